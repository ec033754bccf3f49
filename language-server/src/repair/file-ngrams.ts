// What the rest of the file says about a token edit: code repeats itself, so a fixed line whose token
// pairs occur elsewhere in the same file (`self . params`, `params ,`) is likelier than one whose pairs
// occur nowhere (the naturalness of software: Hindle et al. 2012; token-pair repair: Santos et al. 2018).
// Two uses: names and literals of the file worth inserting at a place (those seen next to its
// neighbours), and a prior term for any edit (how many of its window's pairs the file has seen).
import { lex, type Token } from './lex';
import type { OffsetEdit } from './text';

/** Token pairs of a file, counted; and which tokens were seen after / before each token. */
export interface FilePairs {
  /** How often the file has the pair (n-gram texts: gramOf, a literal as its class). */
  count(a: string, b: string): number;
  /** Names, numbers and strings seen right after `a` / right before `b` elsewhere in the file. */
  after(a: string): ReadonlySet<string>;
  before(b: string): ReadonlySet<string>;
  /** How often each name, number or string occurs. */
  words: ReadonlyMap<string, number>;
}

const KEY = '\u0000';
const code = (toks: readonly Token[]) => toks.filter((t) => t.kind !== 'comment' && t.kind !== 'newline');

/**
 * The n-grams count literals by their class: a string or number that occurs once in a file (most of
 * them) could make no n-gram the file has seen elsewhere, so every edit next to one looked unfamiliar
 * and deleting the literal looked best (`"ended" "hidden"` -> drop a string, not insert the lost ',').
 * `"ended" ,` is read as `<string> ,`, which the file has seen (back-off to the token's class, as
 * code language models abstract literals). Studies (eval/syntax-weights.ts --raw-literals) turn it off.
 */
export const ngramStudy: { rawLiterals?: boolean } = {};
const STRING = '\u0001string';
const NUMBER = '\u0001number';
/** The text a token counts as in n-grams (file pairs, triples). */
export function gramOf(t: Token): string {
  if (ngramStudy.rawLiterals) return t.text;
  return t.kind === 'string' ? STRING : t.kind === 'number' ? NUMBER : t.text;
}
const isValue = (t: Token) => t.kind === 'word' || t.kind === 'number' || t.kind === 'string';

export function filePairs(text: string, codeType: string, tokens?: readonly Token[]): FilePairs {
  const toks = code(tokens ?? lex(text, codeType));
  const counts = new Map<string, number>();
  const after = new Map<string, Set<string>>();
  const before = new Map<string, Set<string>>();
  const words = new Map<string, number>();
  const add = (m: Map<string, Set<string>>, k: string, v: string) => { let s = m.get(k); if (!s) m.set(k, (s = new Set())); s.add(v); };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (isValue(t) && t.text.length <= 40 && !t.text.includes('\n')) words.set(t.text, (words.get(t.text) ?? 0) + 1);
    const n = toks[i + 1];
    if (!n) continue;
    const pair = gramOf(t) + KEY + gramOf(n);
    counts.set(pair, (counts.get(pair) ?? 0) + 1);
    if (isValue(n) && n.text.length <= 40) add(after, t.text, n.text);
    if (isValue(t) && t.text.length <= 40) add(before, n.text, t.text);
  }
  const none = new Set<string>();
  return {
    count: (a, b) => counts.get(a + KEY + b) ?? 0,
    after: (a) => after.get(a) ?? none,
    before: (b) => before.get(b) ?? none,
    words,
  };
}

/** Tokens of the window an edit's pairs are read in: this many code tokens either side of it. */
const SIDE = 2;

/**
 * How much more familiar an edit's window is after it than before: each of its token pairs the file
 * has seen elsewhere (outside this window) counts +1, each it has not -1. For edits of `text`.
 */
export function pairGainOf(text: string, codeType: string, pairs: FilePairs, tokens: readonly Token[]): (edit: OffsetEdit) => number {
  const toks = code(tokens);
  const firstEndingAfter = (off: number) => {
    let lo = 0, hi = toks.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (toks[m]!.end > off) hi = m; else lo = m + 1; }
    return lo;
  };
  // the edits proposed replace whole tokens (or insert between two): the window after one is the tokens
  // around it with the new text's own tokens between them (each new text lexed once)
  const newTokens = new Map<string, string[]>();
  const lexed = (s: string) => { let t = newTokens.get(s); if (!t) newTokens.set(s, (t = code(lex(s, codeType)).map(gramOf))); return t; };
  // the window before the edit, by its tokens (the edits proposed at one place share it)
  const windows = new Map<number, (after: readonly string[]) => number>();
  const gainFrom = (lo: number, hi: number) => {
    let g = windows.get(lo * (toks.length + 1) + hi);
    if (!g) windows.set(lo * (toks.length + 1) + hi, (g = ngramGainFrom(toks.slice(lo, hi).map(gramOf), 2, (w, k) => pairs.count(w[k]!, w[k + 1]!))));
    return g;
  };
  return (edit) => {
    const i = firstEndingAfter(edit.start);
    let j = i;
    while (j < toks.length && toks[j]!.start < edit.end) j++;
    const lo = Math.max(0, i - SIDE);
    const hi = Math.min(toks.length, j + SIDE);
    const whole = (i >= toks.length || toks[i]!.start >= edit.start) && (j === 0 || toks[j - 1]!.end <= edit.end);
    const after = whole
      ? [...toks.slice(lo, i).map(gramOf), ...lexed(edit.newText), ...toks.slice(j, hi).map(gramOf)]
      : code(lex(text.slice(Math.min(toks[lo]?.start ?? edit.start, edit.start), edit.start) + edit.newText + text.slice(edit.end, Math.max(toks[hi - 1]?.end ?? edit.end, edit.end)), codeType)).map(gramOf);
    return gainFrom(lo, hi)(after);
  };
}

/**
 * How much more familiar a window's tokens are after an edit than before: each of its n-grams the file
 * has seen elsewhere counts +1, each it has not -1. `seen(w, k)`: how often the file has the n-gram at
 * w[k]; the window's own n-grams in the original count once each, so what remains was seen elsewhere.
 */
export function ngramGain(before: readonly string[], after: readonly string[], n: number, seen: (w: readonly string[], k: number) => number): number {
  return ngramGainFrom(before, n, seen)(after);
}

/** ngramGain with one `before` for many `after`s (the edits at one place share their window): its own
 * n-grams and familiarity are counted once. */
export function ngramGainFrom(before: readonly string[], n: number, seen: (w: readonly string[], k: number) => number): (after: readonly string[]) => number {
  // (the joined n-gram, written out for pairs and triples: thousands of windows a search)
  const keyAt = n === 2 ? (w: readonly string[], k: number) => w[k] + KEY + w[k + 1] : n === 3 ? (w: readonly string[], k: number) => w[k] + KEY + w[k + 1] + KEY + w[k + 2] : (w: readonly string[], k: number) => w.slice(k, k + n).join(KEY);
  const own = new Map<string, number>();
  for (let k = 0; k + n <= before.length; k++) own.set(keyAt(before, k), (own.get(keyAt(before, k)) ?? 0) + 1);
  const familiarity = (w: readonly string[]) => {
    let score = 0;
    for (let k = 0; k + n <= w.length; k++) score += seen(w, k) - (own.get(keyAt(w, k)) ?? 0) > 0 ? 1 : -1;
    return score;
  };
  const was = familiarity(before);
  return (after) => familiarity(after) - was;
}

/** pairGainOf for one edit. */
export function pairGain(text: string, codeType: string, edit: OffsetEdit, pairs: FilePairs, tokens: readonly Token[]): number {
  return pairGainOf(text, codeType, pairs, tokens)(edit);
}
