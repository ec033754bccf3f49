// Finding functions, their docstrings and doc comments with tree-sitter, per language.
import type { Node, Parser } from 'web-tree-sitter';
import { child, functionTypes, parseStandalone, hasError, walk, type PNode, type Standalone } from './parsers.js';

const COMMENT_TYPES = new Set(['comment', 'line_comment', 'block_comment', 'doc_comment', 'haddock']);
/** Function-valued expressions: taken only when bound by a declaration (`const f = () => {}`). */
const EXPRESSION_FUNCTIONS = new Set(['arrow_function', 'function_expression', 'func_literal', 'lambda_expression']);
const BINDING_PARENTS = new Set(['variable_declarator']);
const BINDING_DECLS = new Set(['lexical_declaration', 'variable_declaration']);

export interface FnSpan {
  grammar: string;
  /** node type of the function (from grammars.json `functions`) */
  nodeType: string;
  /** the declaration whose text is the function: the function node, or `const f = ...;` */
  start: number;
  end: number;
  /** where the example text begins: the line start when only indentation precedes `start` */
  regionStart: number;
  indent: string;
  /** the run of comments just above (no blank line between), if any */
  comment: { start: number; end: number } | null;
  lines: number;
}

/** Functions of a file worth making examples of (functions nested in small functions are left out). */
export function findFunctions(parser: Parser, grammar: string, text: string, opts: { descendLines?: number } = {}): FnSpan[] {
  const tree = parser.parse(text);
  if (!tree) return [];
  try {
    return functionsIn(tree.rootNode, grammar, text, opts.descendLines ?? 80);
  } finally {
    tree.delete();
  }
}

/** findFunctions on a tree already parsed (the tasks build parses each file once). */
export function functionsIn(root: Node, grammar: string, text: string, descendLines = 80): FnSpan[] {
  const fnTypes = functionTypes(grammar);
  const out: FnSpan[] = [];
  const rowsOf = (n: Node) => n.endPosition.row - n.startPosition.row + 1;
  for (const f of root.descendantsOfType([...fnTypes])) {
    if (!f) continue;
    const type = f.type;
    // nested in a small function: not a unit of its own
    let nested = false;
    for (let a = f.parent; a; a = a.parent) {
      if (fnTypes.has(a.type) && rowsOf(a) <= descendLines) { nested = true; break; }
    }
    if (nested) continue;
    let decl: Node = f;
    if (EXPRESSION_FUNCTIONS.has(type)) {
      const p = f.parent;
      const gp = p?.parent;
      if (!p || !gp || !BINDING_PARENTS.has(p.type) || !BINDING_DECLS.has(gp.type)) continue;
      decl = gp;
    }
    const declStart = decl.startIndex;
    let declEnd = decl.endIndex;
    // wrappers starting on the same line (export ...) or decorators own the comment above
    let owner: Node = decl;
    for (let a = decl.parent; a; a = a.parent) {
      if (a.type === 'decorated_definition' || (a.startIndex < declStart && a.endIndex >= declEnd && !text.slice(a.startIndex, declStart).includes('\n') && a.parent)) owner = a;
      else break;
    }
    const textStart = Math.min(owner.startIndex, declStart);
    if (owner.endIndex > declEnd && owner.type !== 'decorated_definition') declEnd = owner.endIndex;
    const ls = text.lastIndexOf('\n', textStart - 1) + 1;
    const prefix = text.slice(ls, textStart);
    const onlyIndent = /^[ \t]*$/.test(prefix);
    // the adjacent run of comments just above: no blank line between them, nor before the owner
    let comment: FnSpan['comment'] = null;
    let next = owner.startIndex;
    for (let sib = owner.previousSibling; sib && COMMENT_TYPES.has(sib.type); sib = sib.previousSibling) {
      const gap = text.slice(sib.endIndex, next);
      if (gap.trim() || /\n[ \t]*\n/.test(gap)) break;
      comment = { start: sib.startIndex, end: comment ? comment.end : sib.endIndex };
      next = sib.startIndex;
    }
    out.push({
      grammar,
      nodeType: type,
      start: declStart,
      end: declEnd,
      regionStart: onlyIndent ? ls : textStart,
      indent: onlyIndent ? prefix : '',
      comment,
      lines: rowsOf(f),
    });
  }
  return out;
}

export interface FnInfo {
  span: FnSpan;
  /** the function as it appears in the file, from its region start (indentation included) */
  text: string;
  sa: Standalone;
  /** the function node inside sa.root */
  node: PNode;
  /** python docstring or the comment above, cleaned to plain text */
  doc: string | null;
  /** python docstring statement, in `text` coordinates */
  docstring: { start: number; end: number } | null;
  /** comment block above, as in the file (first line's indentation included) */
  commentText: string | null;
  /** in `text` coordinates: where the body's content starts (after `{` / `:` line / docstring) */
  bodyStart: number | null;
  bodyNode: PNode | null;
}

/** Parses a found function on its own; null when it does not parse cleanly alone. */
export function analyze(parser: Parser, text: string, span: FnSpan): FnInfo | null {
  const fnText = text.slice(span.regionStart, span.end);
  const sa = parseStandalone(parser, span.grammar, span.nodeType, fnText);
  if (!sa || hasError(sa.root)) return null;
  const at = sa.offset + (span.start - span.regionStart);
  let node: PNode | null = null;
  for (const n of walk(sa.root)) {
    if (n.start === at && n.named && n.type !== 'ERROR') { node = n; if (n.type === span.nodeType) break; }
  }
  if (!node) return null;
  let fn: PNode | null = null;
  for (const n of walk(node)) if (n.type === span.nodeType) { fn = n; break; }
  if (!fn) return null;
  const rel = (i: number) => i - sa.offset;
  let body = child(fn, 'body') ?? null;
  if (!body && span.grammar === 'haskell') body = null;
  let docstring: FnInfo['docstring'] = null;
  let doc: string | null = null;
  let bodyStart: number | null = null;
  if (span.grammar === 'python' && body) {
    const first = body.children.find((x) => x.named && x.type !== 'comment');
    if (first && first.type === 'expression_statement' && first.children.length === 1 && first.children[0]!.type === 'string') {
      docstring = { start: rel(first.start), end: rel(first.end) };
      doc = cleanPyDocstring(fnText.slice(docstring.start, docstring.end));
    }
    if (docstring) {
      const nl = fnText.indexOf('\n', docstring.end);
      bodyStart = nl >= 0 ? nl + 1 : null;
    } else {
      const ls = fnText.lastIndexOf('\n', rel(body.start)) + 1;
      bodyStart = ls > 0 ? ls : null;
    }
  } else if (body) {
    const bodyText = fnText.slice(rel(body.start), rel(body.end));
    if (bodyText.startsWith('{')) bodyStart = rel(body.start) + 1;
    else if (span.grammar === 'ruby' || span.grammar === 'shell') {
      const nl = fnText.indexOf('\n');
      bodyStart = nl >= 0 ? nl + 1 : null;
    }
  } else if (span.grammar === 'ruby') {
    const nl = fnText.indexOf('\n');
    bodyStart = nl >= 0 ? nl + 1 : null;
  }
  let commentText: string | null = null;
  if (span.comment) {
    const cls = text.lastIndexOf('\n', span.comment.start - 1) + 1;
    const pre = text.slice(cls, span.comment.start);
    commentText = ((/^[ \t]*$/.test(pre) ? pre : '') + text.slice(span.comment.start, span.comment.end)).replace(/\s+$/, '');
    if (!doc) doc = cleanComment(text.slice(span.comment.start, span.comment.end));
  }
  if (doc !== null && doc.trim().length === 0) doc = null;
  return { span, text: fnText, sa, node: fn, doc, docstring, commentText, bodyStart, bodyNode: body };
}

export function dedent(s: string): string {
  const lines = s.split('\n');
  let min = Infinity;
  for (const l of lines) {
    if (!l.trim()) continue;
    const m = /^[ \t]*/.exec(l)![0].length;
    if (m < min) min = m;
  }
  if (!isFinite(min) || min === 0) return s;
  return lines.map((l) => l.slice(Math.min(min, /^[ \t]*/.exec(l)![0].length))).join('\n');
}

export function cleanPyDocstring(lit: string): string {
  let s = lit.replace(/^[rRuUbBfF]*/, '');
  const q = s.startsWith('"""') || s.startsWith("'''") ? 3 : 1;
  s = s.slice(q, s.length - q);
  const lines = s.split('\n');
  const first = lines.shift()!.trim();
  const rest = dedent(lines.join('\n'));
  return (first + (lines.length ? '\n' + rest : '')).trim();
}

/** Comment markers removed, lines dedented: `/** ... *\/`, `//`, `///`, `#`, `--`, `{- -}`. */
export function cleanComment(raw: string): string {
  const lines = raw.split('\n').map((l) => {
    let x = l.trim();
    x = x.replace(/^\/\*\*?!?/, '').replace(/\*\/$/, '');
    x = x.replace(/^\{-\s?\|?/, '').replace(/-\}$/, '');
    x = x.replace(/^\/\/[\/!]?/, '').replace(/^#+!?/, '').replace(/^--+\s?[|^]?/, '').replace(/^\*(?!\*)/, '');
    return x.replace(/^ /, '').replace(/\s+$/, '');
  });
  while (lines.length && !lines[0]!.trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1]!.trim()) lines.pop();
  return dedent(lines.join('\n')).trim();
}
