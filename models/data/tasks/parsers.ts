// Tree-sitter grammars (the ones the language server uses, grammars/grammars.json) and a plain-JS
// copy of syntax trees, so the bug operators can walk nodes without crossing into wasm each time.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';
import { REPO_ROOT } from './taxonomy.js';

interface GrammarEntry { functions: string[] }
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'grammars', 'grammars.json'), 'utf8')) as { grammars: Record<string, GrammarEntry> };

/** Grammar name for a corpus file (tsx files use the tsx grammar). */
export function grammarName(codeType: string, path = ''): string | null {
  if (codeType === 'typescript' && /\.tsx$/i.test(path)) return 'tsx';
  if (codeType === 'javascript' && /\.jsx$/i.test(path)) return 'javascript';
  return manifest.grammars[codeType] ? codeType : null;
}

export function functionTypes(grammar: string): Set<string> {
  return new Set(manifest.grammars[grammar]?.functions ?? []);
}

let initDone: Promise<void> | undefined;
const languages = new Map<string, Promise<Language>>();
const parsers = new Map<string, Parser>();

export async function getParser(grammar: string): Promise<Parser> {
  const have = parsers.get(grammar);
  if (have) return have;
  if (!initDone) {
    // The runtime wasm from grammars/wasm when there (a bundled build has no node_modules beside it).
    const runtime = join(REPO_ROOT, 'grammars', 'wasm', 'web-tree-sitter.wasm');
    initDone = Parser.init(existsSync(runtime) ? { locateFile: () => runtime } : undefined);
  }
  await initDone;
  let lp = languages.get(grammar);
  if (!lp) {
    lp = Language.load(join(REPO_ROOT, 'grammars', 'wasm', `${grammar}.wasm`));
    languages.set(grammar, lp);
  }
  const lang = await lp;
  const p = parsers.get(grammar) ?? new Parser();
  p.setLanguage(lang);
  parsers.set(grammar, p);
  return p;
}

/** Loads every grammar of the manifest; returns the names that loaded. */
export async function loadAll(): Promise<string[]> {
  const ok: string[] = [];
  for (const g of Object.keys(manifest.grammars)) {
    try {
      await getParser(g);
      ok.push(g);
    } catch (e) {
      // A missing wasm: that language gets only file continuation (said, so a broken bundle is seen).
      console.error(`[tasks] grammar ${g} not loaded: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return ok;
}

export function parse(parser: Parser, text: string): Tree | null {
  return parser.parse(text);
}

/** A syntax node copied out of wasm. */
export interface PNode {
  type: string;
  named: boolean;
  start: number;
  end: number;
  field: string | null;
  error: boolean; // ERROR or MISSING
  missing: boolean;
  children: PNode[];
  parent: PNode | null;
}

/** Named-ness of each node type id, per language (a property of the symbol, so asked once). */
const namedTypes = new WeakMap<Language, boolean[]>();

/**
 * Copies a tree (or the part of it within [from, to)) into plain objects.
 * Every cursor read is a call into wasm (this copy was an eighth of a worker's time), so a node costs
 * four reads (type id, start, end, field): named-ness comes from the type id, and only a zero-width
 * node can be MISSING (test/data/tasks-operators.test.ts checks both against the Node API).
 */
export function plainTree(tree: Tree, from = 0, to = Infinity): PNode {
  const lang = tree.language;
  const types = lang.types;
  let named = namedTypes.get(lang);
  if (!named) namedTypes.set(lang, (named = []));
  const c = tree.walk();
  const mk = (parent: PNode | null, start: number, end: number): PNode => {
    const id = c.nodeTypeId;
    const type = types[id] || 'ERROR';
    const isNamed = (named[id] ??= lang.nodeTypeIsNamed(id));
    const missing = start === end && c.nodeIsMissing;
    return { type, named: isNamed, start, end, field: c.currentFieldName, error: type === 'ERROR' || missing, missing, children: [], parent };
  };
  const root = mk(null, c.startIndex, c.endIndex);
  const stack: PNode[] = [root];
  if (c.gotoFirstChild()) {
    for (;;) {
      const parent = stack[stack.length - 1]!;
      let descended = false;
      const start = c.startIndex;
      const end = c.endIndex;
      if (end > from && start < to) {
        const n = mk(parent, start, end);
        parent.children.push(n);
        if (c.gotoFirstChild()) {
          stack.push(n);
          descended = true;
        }
      }
      if (descended) continue;
      let moved = c.gotoNextSibling();
      while (!moved) {
        if (!c.gotoParent()) break;
        stack.pop();
        if (stack.length === 0) break;
        moved = c.gotoNextSibling();
      }
      if (!moved) break;
    }
  }
  c.delete();
  return root;
}

export function* walk(n: PNode): Generator<PNode> {
  const stack = [n];
  while (stack.length) {
    const x = stack.pop()!;
    yield x;
    for (let i = x.children.length - 1; i >= 0; i--) stack.push(x.children[i]!);
  }
}

/**
 * The share of a file's characters that its grammar could not read (inside ERROR nodes). A file named
 * like one language but written in another (capstone's `*.s.cs` assembler test vectors labelled C#,
 * literate Haskell) is mostly ERROR; real code with a few unknown macros is not.
 */
export function errorShare(root: Node, length: number): number {
  if (length === 0 || !root.hasError) return 0;
  let err = 0;
  const stack: Node[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'ERROR') { err += n.endIndex - n.startIndex; continue; }
    if (n.hasError) for (const c of n.children) if (c) stack.push(c);
  }
  return err / length;
}

/** Any ERROR or MISSING node (a plain loop: it runs on every analyzed function). */
export function hasError(n: PNode): boolean {
  const stack = [n];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.error) return true;
    for (const c of x.children) stack.push(c);
  }
  return false;
}

export function child(n: PNode, field: string): PNode | undefined {
  return n.children.find((c) => c.field === field);
}

export function namedChildren(n: PNode): PNode[] {
  return n.children.filter((c) => c.named);
}

/**
 * How to parse one function on its own: some grammars only accept a method inside a class.
 * Returns the text to parse and the offset of the function in it.
 */
export function standaloneWrap(grammar: string, nodeType: string, fnText = ''): { before: string; after: string } {
  const inClass = { before: 'class __W {\n', after: '\n}\n' };
  switch (grammar) {
    case 'python':
      return /^[ \t]/.test(fnText) ? { before: 'class __W:\n', after: '\n' } : { before: '', after: '\n' };
    case 'java':
      return inClass;
    case 'csharp':
      return nodeType === 'local_function_statement' ? { before: 'class __W {\nvoid __m() {\n', after: '\n}\n}\n' } : inClass;
    case 'javascript':
    case 'typescript':
    case 'tsx':
      return nodeType === 'method_definition' ? inClass : { before: '', after: '\n' };
    case 'php':
      return nodeType === 'method_declaration' ? { before: '<?php\nclass __W {\n', after: '\n}\n' } : { before: '<?php\n', after: '\n' };
    case 'cpp':
      return { before: '', after: '\n' };
    default:
      return { before: '', after: '\n' };
  }
}

export interface Standalone {
  root: PNode;
  /** offset of the function text inside the parsed text */
  offset: number;
  text: string;
}

/** Parses a function's text on its own (wrapped as its grammar needs) and copies the tree. */
export function parseStandalone(parser: Parser, grammar: string, nodeType: string, fnText: string): Standalone | null {
  const w = standaloneWrap(grammar, nodeType, fnText);
  const text = w.before + fnText + w.after;
  const tree = parser.parse(text);
  if (!tree) return null;
  try {
    return { root: plainTree(tree), offset: w.before.length, text };
  } finally {
    tree.delete();
  }
}

/** First ERROR/MISSING node of a tree, for a diagnostic. */
export function firstError(n: PNode): PNode | null {
  for (const x of walk(n)) if (x.error) return x;
  return null;
}
