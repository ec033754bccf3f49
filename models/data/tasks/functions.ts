// Finding functions, their docstrings and doc comments with tree-sitter, per language.
import type { Parser } from 'web-tree-sitter';
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

/** Functions of a file worth making examples of (nested small functions are not descended into). */
export function findFunctions(parser: Parser, grammar: string, text: string, opts: { descendLines?: number } = {}): FnSpan[] {
  const tree = parser.parse(text);
  if (!tree) return [];
  const fnTypes = functionTypes(grammar);
  const descendLines = opts.descendLines ?? 80;
  const out: FnSpan[] = [];
  const c = tree.walk();
  // Per depth: the current run of comment siblings; per node on the path: its preceding comments.
  interface Frame { type: string; start: number; end: number; startRow: number; comments: [number, number][] }
  const path: Frame[] = [];
  const runs: [number, number][][] = [[]];
  const visit = (): { descend: boolean; pushed: boolean } => {
    const type = c.nodeType;
    const depth = path.length;
    const run = (runs[depth] ??= []);
    if (COMMENT_TYPES.has(type)) {
      run.push([c.startIndex, c.endIndex]);
      return { descend: false, pushed: false };
    }
    const frame: Frame = { type, start: c.startIndex, end: c.endIndex, startRow: c.startPosition.row, comments: run.slice() };
    runs[depth] = [];
    const rows = c.endPosition.row - frame.startRow + 1;
    let descend = true;
    if (fnTypes.has(type)) {
      descend = rows > descendLines;
      let declStart = frame.start;
      let declEnd = frame.end;
      let owner: Frame = frame;
      let i = depth - 1; // ancestors above the owner
      let ok = true;
      if (EXPRESSION_FUNCTIONS.has(type)) {
        const p = path[depth - 1];
        const gp = path[depth - 2];
        if (p && gp && BINDING_PARENTS.has(p.type) && BINDING_DECLS.has(gp.type)) {
          declStart = gp.start;
          declEnd = gp.end;
          owner = gp;
          i = depth - 3;
        } else ok = false;
      }
      if (ok) {
        // wrappers starting on the same line (export ...) or decorators own the comment above
        for (; i >= 0; i--) {
          const a = path[i]!;
          if (a.type === 'decorated_definition' || (a.start < declStart && a.end >= declEnd && !text.slice(a.start, declStart).includes('\n'))) owner = a;
          else break;
        }
        // the example text starts with the outermost wrapper (`export`, decorators)
        const textStart = Math.min(owner.start, declStart);
        if (owner.end > declEnd && owner.type !== 'decorated_definition') declEnd = owner.end;
        const ls = text.lastIndexOf('\n', textStart - 1) + 1;
        const prefix = text.slice(ls, textStart);
        const onlyIndent = /^[ \t]*$/.test(prefix);
        let comment: FnSpan['comment'] = null;
        const cs = owner.comments;
        if (cs.length) {
          // the adjacent tail of the run: no blank line between comments, nor before the declaration
          let k = cs.length - 1;
          const gap = text.slice(cs[k]![1], owner.start);
          if (!/\n[ \t]*\n/.test(gap) && !gap.trim()) {
            while (k > 0) {
              const g = text.slice(cs[k - 1]![1], cs[k]![0]);
              if (/\n[ \t]*\n/.test(g) || g.trim()) break;
              k--;
            }
            comment = { start: cs[k]![0], end: cs[cs.length - 1]![1] };
          }
        }
        out.push({
          grammar,
          nodeType: type,
          start: declStart,
          end: declEnd,
          regionStart: onlyIndent ? ls : textStart,
          indent: onlyIndent ? prefix : '',
          comment,
          lines: rows,
        });
      }
    }
    path.push(frame);
    return { descend, pushed: true };
  };
  let r = visit();
  outer: for (;;) {
    if (r.descend && c.gotoFirstChild()) {
      runs[path.length] = [];
      r = visit();
      continue;
    }
    if (r.pushed) path.pop();
    for (;;) {
      if (c.gotoNextSibling()) {
        r = visit();
        continue outer;
      }
      if (!c.gotoParent()) break outer;
      path.pop();
    }
  }
  c.delete();
  tree.delete();
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
