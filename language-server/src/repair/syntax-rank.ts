// Terms beside the model's score when ordering proven syntax candidates (syntax.ts rankAccepted). The
// model reads a 20-line region, not the file, and pays for every sub-word of a long rare name that it
// cannot predict: `req` beats `writeDeadline` even when the file uses `writeDeadline` six times. These
// say what the rest of the file and the parser know about an edit:
//   restore:  the edit brings back a name, number or string the file uses elsewhere (log of how often)
//   newChars: characters of names/literals the edit writes (the model's cost grows with them)
//   atError:  the edit is at the token the parser blamed (1) or next to it (0.5)
//   tri:      file-ngrams.ts ngramGain with token triples: how many more of the window's triples
//             the file has seen elsewhere after the edit than before (tells `]` at the right place from
//             the same `]` one token off, which pairs often cannot)
//   near:     the edit writes a name, number or string used on the lines around it (log of how often):
//             code is local (a cache model: Tu, Su and Devanbu 2014), so `this` before `.zero` where the
//             line reads `this.zero`, or the name the lines around use, not one from elsewhere in the file
//   drop:     the edit takes away a name, number or string used on the lines around it (log of how often):
//             a token typed by mistake is rarely one the neighbourhood uses
//   binds:    the edit writes, right after a declaring keyword, a name the file reads but binds nowhere
//             (unbound-names.ts): a declaration that lost its name gets back the one used further down
//   grows:    code tokens the edit writes less those it takes away: the model pays for each token of a
//             document, so a deletion looks likelier to it by one token's cost whether or not it is right
import { lex, type Token } from './lex';
import { lineStarts, positionAt, type OffsetEdit } from './text';
import { gramOf, ngramGainFrom } from './file-ngrams';
import { isDeclaring, unboundNames } from './unbound-names';

export interface RankFeatures {
  restore: number;
  newChars: number;
  atError: number;
  tri: number;
  near: number;
  drop: number;
  binds: number;
  grows: number;
}

const KEY = '\u0000';
/** Code tokens either side of an edit whose triples are read. */
const SIDE = 3;

/** Lines either side of an edit whose names count as its neighbourhood (near, drop). */
export const NEAR_LINES = 5;

const isValue = (t: Token) => t.kind === 'word' || t.kind === 'number' || t.kind === 'string';

/** The features of edits of `text` (one document), the parser's first error at `errorOffset`. */
export function rankFeatures(text: string, codeType: string, errorOffset?: number, nearLines = NEAR_LINES): (edits: readonly OffsetEdit[]) => RankFeatures {
  const all = lex(text, codeType);
  const toks = all.filter((t) => t.kind !== 'comment' && t.kind !== 'newline');
  let unbound: Set<string> | undefined;
  const starts = lineStarts(text);
  const lineOf = (off: number) => positionAt(starts, Math.max(0, Math.min(off, text.length))).line;
  // each name's, number's and string's uses: their lines and starts, in text order
  const usesAt = new Map<string, { line: number; start: number; end: number }[]>();
  for (const t of toks) if (isValue(t)) { let u = usesAt.get(t.text); if (!u) usesAt.set(t.text, (u = [])); u.push({ line: lineOf(t.start), start: t.start, end: t.end }); }
  // how often `v` occurs within nearLines of `line`, leaving out the tokens in [skipFrom, skipTo)
  const nearUses = (v: string, line: number, skipFrom: number, skipTo: number) => {
    const u = usesAt.get(v);
    if (!u) return 0;
    let lo = 0, hi = u.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (u[m]!.line >= line - nearLines) hi = m; else lo = m + 1; }
    let n = 0;
    for (let k = lo; k < u.length && u[k]!.line <= line + nearLines; k++) if (!(u[k]!.start >= skipFrom && u[k]!.end <= skipTo)) n++;
    return n;
  };

  const uses = new Map<string, number>();
  for (const t of toks) if (isValue(t)) uses.set(t.text, (uses.get(t.text) ?? 0) + 1);
  const tokenAt = (off: number) => {
    let lo = 0, hi = toks.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (toks[m]!.end > off) hi = m; else lo = m + 1; }
    return lo;
  };
  const errorToken = errorOffset === undefined ? undefined : tokenAt(errorOffset);
  const triples = new Map<string, number>();
  const tripleOf = (w: readonly string[], k: number) => w[k] + KEY + w[k + 1] + KEY + w[k + 2];
  const texts = toks.map(gramOf);
  for (let k = 0; k + 2 < texts.length; k++) triples.set(tripleOf(texts, k), (triples.get(tripleOf(texts, k)) ?? 0) + 1);
  // the window before an edit, by its tokens (the candidates at one place share it)
  const windows = new Map<number, (after: readonly string[]) => number>();
  const gainFrom = (lo: number, hi: number) => {
    let g = windows.get(lo * (toks.length + 1) + hi);
    if (!g) windows.set(lo * (toks.length + 1) + hi, (g = ngramGainFrom(texts.slice(lo, hi), 3, (x, k) => triples.get(tripleOf(x, k)) ?? 0)));
    return g;
  };
  const triGain = (edits: readonly OffsetEdit[]) => {
    const first = edits.reduce((a, e) => Math.min(a, e.start), Infinity);
    const last = edits.reduce((a, e) => Math.max(a, e.end), -Infinity);
    const lo = Math.max(0, tokenAt(first) - SIDE);
    let hi = tokenAt(last);
    while (hi < toks.length && toks[hi]!.start < last) hi++;
    hi = Math.min(toks.length, hi + SIDE);
    if (lo >= hi) return 0;
    const from = Math.min(toks[lo]!.start, first);
    const to = Math.max(toks[hi - 1]!.end, last);
    // the window's text with the edits applied (they lie inside it), read again
    let w = '';
    let at = from;
    for (const e of [...edits].sort((a, b) => a.start - b.start)) { w += text.slice(at, e.start) + e.newText; at = e.end; }
    w += text.slice(at, to);
    const after = lex(w, codeType).filter((t) => t.kind !== 'comment' && t.kind !== 'newline').map(gramOf);
    return gainFrom(lo, hi)(after);
  };
  const newValues = new Map<string, Token[]>();
  const counts = new Map<string, number>();
  const codeCount = (s: string) => { let n = counts.get(s); if (n === undefined) counts.set(s, (n = lex(s, codeType).filter((t) => t.kind !== 'comment' && t.kind !== 'newline').length)); return n; };
  const valuesOf = (s: string) => { let v = newValues.get(s); if (!v) newValues.set(s, (v = lex(s, codeType).filter(isValue))); return v; };
  return (edits) => {
    let restore = 0;
    let newChars = 0;
    let atError = 0;
    let near = 0;
    let drop = 0;
    let binds = 0;
    let grows = 0;
    for (const e of edits) {
      const decl = isDeclaring(toks[tokenAt(e.start) - 1]);
      const line = lineOf(e.start);
      grows += codeCount(e.newText);
      for (const v of valuesOf(e.newText)) {
        newChars += v.text.length;
        // the edit's own text was not in the file: every use counted is elsewhere
        restore = Math.max(restore, Math.log1p(uses.get(v.text) ?? 0));
        // (a part of the word the edit splits is not a name it brings: `GetCode` -> `Get{Code`)
        if (!text.slice(e.start, e.end).includes(v.text)) near = Math.max(near, Math.log1p(nearUses(v.text, line, e.start, e.end)));
        // (not a name its own line reads: a declaration seldom names itself, `var  = []testCase{`)
        if (decl && v === valuesOf(e.newText)[0] && !(usesAt.get(v.text) ?? []).some((u) => u.line === line) && (unbound ??= new Set(unboundNames(all, Infinity))).has(v.text)) binds = 1;
      }
      // the whole tokens the edit takes away (a part of a merged word is not one)
      for (let k = tokenAt(e.start); k < toks.length && toks[k]!.end <= e.end; k++) {
        const t = toks[k]!;
        if (t.start >= e.start) grows--;
        if (t.start >= e.start && isValue(t)) drop = Math.max(drop, Math.log1p(nearUses(t.text, line, e.start, e.end)));
      }
      if (errorToken !== undefined) {
        const d = Math.abs(tokenAt(e.start) - errorToken);
        atError = Math.max(atError, d === 0 ? 1 : d === 1 ? 0.5 : 0);
      }
    }
    return { restore, newChars, atError, tri: triGain(edits), near, drop, binds, grows };
  };
}
