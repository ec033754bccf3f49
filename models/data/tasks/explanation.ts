// CodeExplanation examples: a function without its docstring / doc comment -> the doc's text.
import type { FnInfo } from './functions.js';
import type { Settings } from './settings.js';
import type { Pair } from './generation.js';

/** The function text with the python docstring statement's lines removed (null if nothing is left). */
export function withoutDocstring(info: FnInfo): string | null {
  if (!info.docstring) return info.text;
  const t = info.text;
  const ls = t.lastIndexOf('\n', info.docstring.start - 1) + 1;
  if (t.slice(ls, info.docstring.start).trim()) return null; // docstring on the def line
  let le = t.indexOf('\n', info.docstring.end);
  le = le < 0 ? t.length : le + 1;
  // a blank line that followed the docstring goes with it
  if (/^[ \t]*\n/.test(t.slice(le))) le = t.indexOf('\n', le) + 1;
  const out = t.slice(0, ls) + t.slice(le);
  // the body must keep a statement
  const rest = t.slice(le);
  if (!rest.split('\n').some((l) => l.trim() && !l.trim().startsWith('#'))) return null;
  return out.replace(/\n$/, '');
}

export function explain(info: FnInfo, s: Settings): Pair | null {
  const e = s.explanation;
  const doc = info.doc;
  if (!doc || doc.length < e.minDocChars || doc.length > e.maxDocChars) return null;
  if (!/[A-Za-z]{3,}/.test(doc) || /^(TODO|FIXME|XXX|eslint|@ts-|istanbul|noinspection|pylint|type:|region|endregion|-\*-)/i.test(doc)) return null;
  if (/copyright|license|SPDX/i.test(doc)) return null;
  const code = info.span.grammar === 'python' ? withoutDocstring(info) : info.text;
  if (!code || code.length > e.maxFunctionChars || code.split('\n').length < 2) return null;
  return { code, answer: doc, kind: 'explanation' };
}
