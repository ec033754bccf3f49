// web-tree-sitter: one-time init, cached parsers per grammar, ERROR/MISSING collection, queries.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Language, Node, Parser, Query, Tree } from 'web-tree-sitter';
import { grammarManifest, querySource } from './grammars';
import { repoRoot } from './paths';

let init: Promise<void> | undefined;
const languages = new Map<string, Promise<Language>>();
const parsers = new Map<string, Parser>();
const queries = new Map<string, Query | null>();

type TreeSitter = typeof import('web-tree-sitter');
let ts: TreeSitter | undefined;

/**
 * web-tree-sitter through require(): esbuild then bundles its CommonJS build (its ES module build
 * locates itself through import.meta.url, which the CommonJS bundles in dist/ do not have).
 * Outside CommonJS (an ES module host), it is loaded from the installation's node_modules.
 */
function treeSitter(): TreeSitter {
  if (!ts) {
    ts =
      typeof require === 'function'
        ? (require('web-tree-sitter') as TreeSitter)
        : (createRequire(join(repoRoot(), 'package.json'))('web-tree-sitter') as TreeSitter);
  }
  return ts;
}

function wasmDir(): string {
  return join(repoRoot(), 'grammars', 'wasm');
}

function initRuntime(): Promise<void> {
  if (!init) {
    const runtime = join(wasmDir(), 'web-tree-sitter.wasm');
    init = treeSitter().Parser.init(existsSync(runtime) ? { locateFile: () => runtime } : undefined);
  }
  return init;
}

export class GrammarError extends Error {}

/** The language object of a grammar (loaded once). */
export async function loadLanguage(grammar: string): Promise<Language> {
  await initRuntime();
  let lp = languages.get(grammar);
  if (!lp) {
    if (!grammarManifest().grammars[grammar]) throw new GrammarError(`no grammar named ${grammar}`);
    const file = join(wasmDir(), `${grammar}.wasm`);
    if (!existsSync(file)) {
      throw new GrammarError(`grammar ${grammar} is not built (${file} is missing): run npm run build`);
    }
    lp = treeSitter().Language.load(file);
    languages.set(grammar, lp);
    lp.catch(() => languages.delete(grammar));
  }
  return lp;
}

export async function getParser(grammar: string): Promise<Parser> {
  const have = parsers.get(grammar);
  if (have) return have;
  const lang = await loadLanguage(grammar);
  const p = parsers.get(grammar) ?? new (treeSitter().Parser)();
  p.setLanguage(lang);
  parsers.set(grammar, p);
  return p;
}

/** Parses text; the caller owns the tree (tree.delete()). */
export async function parse(grammar: string, text: string): Promise<Tree> {
  const parser = await getParser(grammar);
  const tree = parser.parse(text);
  if (!tree) throw new GrammarError(`tree-sitter could not parse the ${grammar} text`);
  return tree;
}

/** Runs fn on a parse tree and frees the tree afterwards. */
export async function withTree<T>(grammar: string, text: string, fn: (tree: Tree) => T): Promise<T> {
  const tree = await parse(grammar, text);
  try {
    return fn(tree);
  } finally {
    tree.delete();
  }
}

/** Grammar names that load (for status and tests). */
export async function loadableGrammars(): Promise<string[]> {
  const ok: string[] = [];
  for (const g of Object.keys(grammarManifest().grammars)) {
    try {
      await getParser(g);
      ok.push(g);
    } catch {
      /* not shipped */
    }
  }
  return ok;
}

export interface Point { row: number; column: number }

/** One syntax error: an innermost ERROR node or a MISSING node. Columns are UTF-16 code units. */
export interface SyntaxIssue {
  /** empty_block: Python's `def f():` with no statement after it (tree-sitter accepts it) */
  kind: 'error' | 'missing' | 'empty_block';
  start: Point;
  end: Point;
  startIndex: number;
  endIndex: number;
  message: string;
}

function describe(node: Node): string {
  if (node.isMissing) {
    const t = node.type;
    return node.isNamed ? `missing ${t}` : `missing '${t}'`;
  }
  const first = node.firstChild ?? node;
  const text = first.text.split('\n')[0]!.trim();
  if (!text) return 'syntax error';
  return `unexpected '${text.length > 30 ? text.slice(0, 30) + '…' : text}'`;
}

/** Innermost ERROR nodes and every MISSING node, in document order (and Python's empty blocks unless
 * `emptyBlocks` is false: a screen that rejects a candidate on its other errors never needs them). */
export function syntaxIssues(tree: Tree, o: { emptyBlocks?: boolean } = {}): SyntaxIssue[] {
  const out: SyntaxIssue[] = [];
  // Depth-first through the nodes that hold an error, with an explicit stack (a deep tree, e.g. a long
  // expression, would overflow a recursive walk). A frame's `inner`: an error was found inside its node,
  // so an ERROR node is reported only when it is innermost (after its subtree, as a recursion would).
  const root = tree.rootNode;
  if (root.hasError) {
    const stack: { node: Node; children: (Node | null)[]; next: number; inner: boolean }[] = [{ node: root, children: root.children, next: 0, inner: false }];
    while (stack.length) {
      const frame = stack[stack.length - 1]!;
      if (frame.next < frame.children.length) {
        const child = frame.children[frame.next++];
        if (!child) continue;
        if (child.isMissing) {
          out.push(issue(child, 'missing'));
          frame.inner = true;
        } else if (child.hasError || child.isError) {
          frame.inner = true;
          stack.push({ node: child, children: child.children, next: 0, inner: false });
        }
        continue;
      }
      stack.pop();
      if (frame.node.isError && !frame.inner) out.push(issue(frame.node, 'error'));
    }
  }
  if (o.emptyBlocks !== false && tree.language.name === 'python') out.push(...emptyPythonBlocks(root));
  out.sort((a, b) => a.startIndex - b.startIndex || a.endIndex - b.endIndex);
  return out;
}

/**
 * Python needs at least one statement in a block (`def f():` alone is a SyntaxError), but
 * tree-sitter-python accepts an empty block without an ERROR or MISSING node: found here, so a
 * generation cut after a header, or a fix that leaves a body empty, does not pass for valid code.
 */
function emptyPythonBlocks(root: Node): SyntaxIssue[] {
  const out: SyntaxIssue[] = [];
  for (const b of root.descendantsOfType('block')) {
    // (the first named child decides unless it is a comment: most blocks' children are not read)
    if (!b || (b.firstNamedChild && b.firstNamedChild.type !== 'comment') || b.namedChildren.some((c) => c && c.type !== 'comment')) continue;
    // reported at the end of the header the block belongs to (the block itself is empty)
    const at = b.parent ?? b;
    const end = b.startIndex > at.startIndex ? b : at;
    out.push({ kind: 'empty_block', start: { ...end.startPosition }, end: { ...end.startPosition }, startIndex: end.startIndex, endIndex: end.startIndex, message: 'missing indented block' });
  }
  return out;
}

function issue(node: Node, kind: 'error' | 'missing'): SyntaxIssue {
  return {
    kind,
    start: { ...node.startPosition },
    end: { ...node.endPosition },
    startIndex: node.startIndex,
    endIndex: node.endIndex,
    message: describe(node),
  };
}

/** The compiled query grammars/queries/<grammar>/<name>.scm, or null when there is none. */
export async function getQuery(grammar: string, name: string): Promise<Query | null> {
  const key = `${grammar}/${name}`;
  if (queries.has(key)) return queries.get(key)!;
  const src = querySource(grammar, name);
  const lang = await loadLanguage(grammar);
  const q = src ? new (treeSitter().Query)(lang, src) : null;
  queries.set(key, q);
  return q;
}

/** Texts captured as @module by the grammar's imports query. */
export async function importedModules(grammar: string, tree: Tree): Promise<string[]> {
  const q = await getQuery(grammar, 'imports');
  if (!q) return [];
  return q.captures(tree.rootNode).filter((c) => c.name === 'module').map((c) => c.node.text);
}
