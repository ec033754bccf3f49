// What a fix rewrites and which markers the editor context implies: functions of a document, the
// region around a syntax error or diagnostic, imports -> domain, region size -> length, diagnostic ->
// error_type. Language knowledge comes from grammars/ (grammars.json, queries/, domains.json, error-types.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node, Tree } from 'web-tree-sitter';
import { functionTypes, inferDomain, type LanguageInfo } from './grammars';
import { lengthBucket, mergeMarkers, taxonomy, type Markers } from './markers';
import { importedModules, parse, syntaxIssues, type SyntaxIssue } from './parsing';
import { repoRoot } from './paths';

/** Whole lines, inclusive, 0-based. */
export interface LineRegion { startLine: number; endLine: number }

export interface FunctionSpan extends LineRegion {
  nodeType: string;
  /** nesting depth among functions (0 = outermost) */
  depth: number;
}

/** Everything the engine needs to know about one document version. */
export interface Analysis {
  language: LanguageInfo;
  text: string;
  lines: string[];
  path?: string;
  issues: SyntaxIssue[];
  functions: FunctionSpan[];
  modules: string[];
  domain?: string;
  /** 0-based lines that hold only comments or docstrings: an edit confined to them fixes no behaviour. */
  docRows?: ReadonlySet<number>;
}

/** A place to fix and why. */
export interface FixTarget {
  kind: 'syntax' | 'diagnostic' | 'function';
  line: number;
  /** Where on the line the error starts (0-based), when an error was reported. */
  column?: number;
  region: LineRegion;
  /** The text after "Error: " in the prompt (none for a plain function rewrite). */
  diagnostic?: string;
  errorType?: string;
}

/** A diagnostic as the editor gives it (LSP shape, 0-based). */
export interface DiagnosticLike {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  message: string;
  source?: string;
  code?: string | number;
}

/** Functions longer than this are looked into for a smaller one (as the training data build does). */
export const MAX_FUNCTION_LINES = 80;
/** Expression functions count as functions only when bound by a declaration (`const f = () => {}`). */
const EXPRESSION_FUNCTIONS = new Set(['arrow_function', 'function_expression', 'func_literal', 'lambda_expression']);
const BINDING_DECLS = new Set(['lexical_declaration', 'variable_declaration']);
const CLOSERS = /^(\}|\)|\]|end\b|fi\b|done\b|esac\b|#endif\b)/;

export function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

/** The declaration that is a function's example text: decorators, `const f = ...`, `export ...` included. */
function declarationOf(node: Node): Node | null {
  let decl: Node = node;
  if (EXPRESSION_FUNCTIONS.has(node.type)) {
    const p = node.parent;
    const gp = p?.parent;
    if (!p || !gp || p.type !== 'variable_declarator' || !BINDING_DECLS.has(gp.type)) return null;
    decl = gp;
  }
  for (let a = decl.parent; a; a = a.parent) {
    if (a.type === 'decorated_definition' || (a.type === 'export_statement' && a.startPosition.row === decl.startPosition.row)) decl = a;
    else break;
  }
  return decl;
}

function collectFunctions(tree: Tree, grammar: string): FunctionSpan[] {
  const types = functionTypes(grammar);
  const out: FunctionSpan[] = [];
  // An iterative pre-order walk with a cursor: a deep tree (a long expression nests one node per
  // operator) would overflow the call stack of a recursive one. depths[k]: how many functions enclose
  // the nodes of the k-th open level below the root.
  const cursor = tree.walk();
  try {
    if (!cursor.gotoFirstChild()) return out;
    const depths = [0];
    for (;;) {
      const depth = depths[depths.length - 1]!;
      let childDepth = depth;
      if (cursor.nodeIsNamed && types.has(cursor.nodeType)) {
        const node = cursor.currentNode;
        const decl = declarationOf(node);
        if (decl) {
          const endRow = decl.endPosition.column === 0 && decl.endPosition.row > decl.startPosition.row ? decl.endPosition.row - 1 : decl.endPosition.row;
          out.push({ startLine: decl.startPosition.row, endLine: endRow, nodeType: node.type, depth });
          childDepth = depth + 1;
        }
      }
      // named nodes only, as before: an anonymous node (a keyword, a bracket) holds no function
      if (cursor.nodeIsNamed && cursor.gotoFirstChild()) {
        depths.push(childDepth);
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        if (depths.length === 1) return out; // the root's last child is done
        cursor.gotoParent();
        depths.pop();
      }
    }
  } finally {
    cursor.delete();
  }
}

/** Analyses run in this thread so far: a test counts them per quick fix (one for the document, one per candidate check). */
export const analysisCounter = { count: 0 };

/** Parses and analyses a document. */
export async function analyze(text: string, language: LanguageInfo, path?: string): Promise<Analysis> {
  analysisCounter.count++;
  const lines = splitLines(text);
  if (!language.grammar) {
    return { language, text, lines, path, issues: [], functions: [], modules: [] };
  }
  const tree = await parse(language.grammar, text);
  try {
    const issues = syntaxIssues(tree);
    const functions = collectFunctions(tree, language.grammar);
    const modules = await importedModules(language.grammar, tree);
    const domain = inferDomain(modules, path);
    return { language, text, lines, path, issues, functions, modules, domain, docRows: documentationRows(tree, lines) };
  } finally {
    tree.delete();
  }
}

/** Python: the string statement that opens a module, class or function body, if there is one. */
function docstringOf(body: Node | null): Node | null {
  const first = body?.firstNamedChild;
  return first?.type === 'expression_statement' && first.namedChildCount === 1 && first.namedChild(0)?.type === 'string' ? first : null;
}

/** Lines whose only content is comments or docstrings (a node's first/last line counts when nothing else is on it). */
function documentationRows(tree: Tree, lines: string[]): Set<number> {
  const root = tree.rootNode;
  const nodes: Node[] = root.descendantsOfType(['comment', 'line_comment', 'block_comment']).filter((n): n is Node => !!n);
  // Python docstrings: only the first statement of each body is looked at, not every statement
  if (root.type === 'module') {
    const bodies = root.descendantsOfType(['function_definition', 'class_definition']).map((d) => d?.childForFieldName('body') ?? null);
    for (const body of [root, ...bodies.filter((b) => b?.type === 'block')]) {
      const doc = docstringOf(body);
      if (doc) nodes.push(doc);
    }
  }
  const rows = new Set<number>();
  for (const n of nodes) {
    const s = n.startPosition;
    const e = n.endPosition;
    for (let r = s.row; r <= e.row; r++) {
      const line = lines[r] ?? '';
      const before = r === s.row ? line.slice(0, s.column) : '';
      const after = r === e.row ? line.slice(e.column) : '';
      if (before.trim() === '' && after.trim() === '') rows.add(r);
    }
  }
  return rows;
}

const regionLines = (r: LineRegion) => r.endLine - r.startLine + 1;

/**
 * The function to rewrite for a line: the outermost function containing it that is at most
 * MAX_FUNCTION_LINES long (the training examples are such functions), else the innermost one.
 */
export function enclosingFunction(a: Analysis, line: number): FunctionSpan | null {
  const around = a.functions
    .filter((f) => f.startLine <= line && line <= f.endLine)
    .sort((x, y) => x.depth - y.depth);
  if (around.length === 0) return null;
  return around.find((f) => regionLines(f) <= MAX_FUNCTION_LINES) ?? around[around.length - 1]!;
}

const indentOf = (s: string) => /^[ \t]*/.exec(s)![0].replace(/\t/g, '    ').length;
const blank = (s: string | undefined) => s === undefined || s.trim() === '';

/**
 * The block a broken line heads: the line, the following lines indented deeper (blank lines
 * inside kept), and one closing line at the same indentation (`}`, `end`, ...).
 */
export function indentBlock(lines: string[], line: number, atLeastTo = line): LineRegion {
  // a line past the end (a stale or hostile diagnostic) starts at the last line, not a walk back to it
  const last = Math.max(0, lines.length - 1);
  let start = Math.min(Math.max(0, Math.floor(line) || 0), last);
  while (start > 0 && blank(lines[start])) start--;
  const i0 = indentOf(lines[start] ?? '');
  let end = start;
  for (let j = start + 1; j < lines.length; j++) {
    if (blank(lines[j])) continue;
    if (indentOf(lines[j]!) > i0) end = j;
    else {
      if (indentOf(lines[j]!) === i0 && CLOSERS.test(lines[j]!.trim())) end = j;
      break;
    }
  }
  const to = Number.isFinite(atLeastTo) ? Math.min(atLeastTo, last) : start;
  return { startLine: start, endLine: Math.max(end, to) };
}

/** The region a syntax error's fix rewrites: its function, else the block it heads. */
export function regionForLine(a: Analysis, line: number, lastLine = line): LineRegion {
  const fn = enclosingFunction(a, line);
  if (fn && fn.endLine >= lastLine) return { startLine: fn.startLine, endLine: fn.endLine };
  return indentBlock(a.lines, line, lastLine);
}

interface ErrorTypeRules { rules: [string, string][] }
let errorRules: { re: RegExp; value: string }[] | undefined;

/** error_type for a diagnostic's text (grammars/error-types.json), or undefined. */
export function errorTypeFor(text: string): string | undefined {
  if (!errorRules) {
    const raw = JSON.parse(readFileSync(join(repoRoot(), 'grammars', 'error-types.json'), 'utf8')) as ErrorTypeRules;
    const allowed = new Set(taxonomy().categories.error_type.values);
    errorRules = raw.rules.filter(([, v]) => allowed.has(v)).map(([re, value]) => ({ re: new RegExp(re, 'i'), value }));
  }
  return errorRules.find((r) => r.re.test(text))?.value;
}

/** The prompt's diagnostic line for a tree-sitter error, in the words the training data uses for them. */
export function syntaxDiagnosticText(issue: SyntaxIssue): string {
  return `Syntax error: ${issue.message}`;
}

/** The prompt's diagnostic line for an editor diagnostic. */
export function diagnosticText(d: DiagnosticLike): string {
  const code = d.code !== undefined && d.code !== '' ? `(${d.code})` : '';
  const src = d.source ? `${d.source}${code}: ` : code ? `${code}: ` : '';
  return (src + d.message.split('\n')[0]!.trim()).slice(0, 300);
}

export function syntaxTarget(a: Analysis, issue: SyntaxIssue): FixTarget {
  const text = syntaxDiagnosticText(issue);
  return {
    kind: 'syntax',
    line: issue.start.row,
    column: issue.start.column,
    region: regionForLine(a, issue.start.row, issue.end.row),
    diagnostic: text,
    errorType: errorTypeFor(text),
  };
}

export function diagnosticTarget(a: Analysis, d: DiagnosticLike): FixTarget {
  const text = diagnosticText(d);
  return {
    kind: 'diagnostic',
    line: d.range.start.line,
    column: d.range.start.character,
    region: regionForLine(a, d.range.start.line, d.range.end.line),
    diagnostic: text,
    errorType: errorTypeFor(text),
  };
}

export function functionTarget(a: Analysis, line: number): FixTarget | null {
  const fn = enclosingFunction(a, line);
  if (!fn) return null;
  return { kind: 'function', line, region: { startLine: fn.startLine, endLine: fn.endLine } };
}

/** Syntax issues that lie on a line range (inclusive). */
export function issuesOn(a: Analysis, fromLine: number, toLine: number): SyntaxIssue[] {
  return a.issues.filter((i) => i.start.row <= toLine && i.end.row >= fromLine);
}

/**
 * The syntax error nearest to `line` within `within` lines of it (ties: the earlier one), as a target: for
 * a function rewrite asked where no function parses (a method cut out of its class) but the code is broken.
 */
export function nearestSyntaxTarget(a: Analysis, line: number, within: number): FixTarget | null {
  const dist = (i: SyntaxIssue) => (line < i.start.row ? i.start.row - line : line > i.end.row ? line - i.end.row : 0);
  const near = issuesOn(a, line - within, line + within).sort((x, y) => dist(x) - dist(y) || x.start.row - y.start.row);
  return near[0] ? syntaxTarget(a, near[0]) : null;
}

/**
 * Chooses the fix target: a diagnostic on `line` (or the first one), else a syntax error on `line`
 * (or the first one), else the function around `line`. Without `line` and with no error: the file's
 * only function, if it has exactly one.
 */
export function chooseTarget(a: Analysis, opts: { line?: number; diagnostics?: DiagnosticLike[] }): FixTarget | null {
  const { line } = opts;
  const diags = opts.diagnostics ?? [];
  if (line !== undefined) {
    const d = diags.find((x) => x.range.start.line <= line && line <= x.range.end.line);
    if (d) return diagnosticTarget(a, d);
    const i = issuesOn(a, line, line)[0];
    if (i) return syntaxTarget(a, i);
    return functionTarget(a, line);
  }
  if (diags[0]) return diagnosticTarget(a, diags[0]);
  if (a.issues[0]) return syntaxTarget(a, a.issues[0]);
  const top = a.functions.filter((f) => f.depth === 0);
  if (top.length === 1) return functionTarget(a, top[0]!.startLine);
  return null;
}

/**
 * The target of a fix asked for at `line` (CLI, fixAll): in 'function' mode the function around the line
 * (a diagnostic given with it goes into the prompt), else, or where no function parses around the line
 * but the code near it is broken, what chooseTarget picks.
 */
export function targetAt(a: Analysis, opts: { line?: number; diagnostics?: DiagnosticLike[]; mode?: 'auto' | 'function' }): FixTarget | null {
  if (opts.mode !== 'function' || opts.line === undefined) return chooseTarget(a, opts);
  let target = functionTarget(a, opts.line);
  const d = opts.diagnostics?.[0];
  if (target && d) {
    const dt = diagnosticTarget(a, d);
    target = { ...target, diagnostic: dt.diagnostic, errorType: dt.errorType };
  }
  return target ?? chooseTarget(a, opts) ?? nearestSyntaxTarget(a, opts.line, MAX_FUNCTION_LINES);
}

/** The marker layers a caller gives (already validated): explicit (strongest) and the settings' team defaults. */
export interface MarkerLayers { explicit?: Markers; settings?: Markers }

/** The markers a fix of `target` gives the model: explicit > settings > context (the action's title shows them). */
export function givenMarkers(a: Analysis, target: FixTarget | null, layers: MarkerLayers): Markers {
  return mergeMarkers({ explicit: layers.explicit ?? {}, settings: layers.settings ?? {}, context: contextMarkers(a, target, 'CodeFix') }).markers;
}

/** The markers the editor context implies for a fix of `target`. */
export function contextMarkers(a: Analysis, target: FixTarget | null, task: string): Markers {
  const m: Markers = { task, code_type: a.language.codeType };
  if (a.domain) m.domain = a.domain;
  if (target?.errorType) m.error_type = target.errorType;
  if (target) m.length_bucket = lengthBucket(regionLines(target.region));
  return m;
}

/** The text of a region (whole lines, no line break at the end). */
export function regionText(a: Analysis, r: LineRegion): string {
  return a.lines.slice(r.startLine, r.endLine + 1).join('\n');
}
