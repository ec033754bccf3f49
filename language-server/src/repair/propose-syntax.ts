// Candidates for a syntax error: single-token edits (insert, delete, replace) around the places the
// parsers blame, in the order a person would try them (the token the message names, at the error,
// first). Each candidate is a whole-document edit with a plain-words label and a prior; the parser
// proves them and the model ranks what the parser accepts (syntax.ts).
import { applyOffsetEdits, resultKey, type OffsetEdit } from './text';
import { filePairs, pairGainOf, type FilePairs } from './file-ngrams';
import { lex, type Token } from './lex';
import type { Candidate } from './types';
import { isDeclaring, unboundNames } from './unbound-names';

/** A place an error was reported, with the tokens its message suggests (`expected ':'` -> ':'). */
export interface ErrorAnchor {
  offset: number;
  hints: string[];
  /** Tokens the message says to remove (`unmatched ')'`). */
  extra?: string[];
  /** Prior (nats) taken off edits near this anchor: a place the parser names less surely (rustc's "nearest open delimiter"). */
  penalty?: number;
  /** The message says a name belongs here (`Identifier expected`, `expected 'IDENT'`): the file's names
   * replace the token at the anchor, or go before it (with fileWords). */
  names?: boolean;
}

export interface TokenEditCandidate extends Candidate {
  /** Higher is likelier before any parser or model has looked (distance to the error, hints, edit kind,
   * and with pairWeight the familiarity below). */
  prior: number;
  /** How much more familiar the edit makes its window to the rest of the file (file-ngrams.ts pairGainOf). */
  familiarity?: number;
}

const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Messages that say a name was expected where the parser stopped (tsc, gofmt, rustc, javac). */
const NAME_EXPECTED = /identifier expected|expected identifier|expected 'IDENT'|<identifier> expected/i;

/** The tokens an error message names: quoted ones, a never-closed opener's closer, a forgotten comma; and
 * whether it asks for a name. */
export function hintsFromMessage(message: string): { hints: string[]; extra: string[]; names?: boolean } {
  const hints: string[] = [];
  const extra: string[] = [];
  const never = /'([([{])' was never closed/.exec(message);
  if (never) hints.push(CLOSERS[never[1]!]!);
  const mismatch = /closing parenthesis '(.)' does not match opening parenthesis '(.)'/.exec(message);
  if (mismatch) { hints.push(CLOSERS[mismatch[2]!]!); extra.push(mismatch[1]!); }
  const unmatched = /unmatched '(.)'/.exec(message);
  if (unmatched) extra.push(unmatched[1]!);
  if (/forgot a comma/i.test(message)) hints.push(',');
  for (const m of message.matchAll(/(?:expected|missing|Maybe you meant|insert|instead of)\s+'([^'\s]{1,3})'(?:\s+or\s+'([^'\s]{1,3})')?/gi)) {
    hints.push(m[1]!);
    if (m[2]) hints.push(m[2]);
  }
  for (const m of message.matchAll(/missing "([^"\s]{1,3})"/gi)) hints.push(m[1]!);
  for (const m of message.matchAll(/expected `([^`\s]{1,3})`/gi)) hints.push(m[1]!);
  for (const m of message.matchAll(/missing open `([^`\s]{1,3})`/gi)) hints.push(m[1]!);
  return { hints: [...new Set(hints)], extra: [...new Set(extra)], ...(NAME_EXPECTED.test(message) ? { names: true } : {}) };
}

/** Punctuation and keywords worth inserting or swapping in, per language (the rest comes from the document). */
const BASE_TOKENS: Record<string, string[]> = {
  python: [':', ')', ']', '}', ',', '(', '[', '{', '.', '=', '==', "'", '"', 'in', 'if', 'else', 'for', 'not', 'and', 'or', 'return', 'import'],
  javascript: [';', ')', ']', '}', ',', '(', '[', '{', '.', '=', '==', '===', ':', '=>', "'", '"', '+'],
  typescript: [';', ')', ']', '}', ',', '(', '[', '{', '.', '=', '==', '===', ':', '=>', "'", '"', '+', '>'],
  java: [';', ')', ']', '}', ',', '(', '[', '{', '.', '=', '==', ':', '"', '>', '<', '+'],
  c: [';', ')', ']', '}', ',', '(', '[', '{', '.', '=', '==', ':', '"', '*', '&', '->'],
  cpp: [';', ')', ']', '}', ',', '(', '[', '{', '.', '=', '==', ':', '::', '"', '*', '&', '>', '<', '->'],
  csharp: [';', ')', ']', '}', ',', '(', '[', '{', '.', '=', '==', ':', '"', '>', '<'],
  go: [')', ']', '}', ',', '(', '[', '{', '.', '=', ':=', '==', ':', '"', ';'],
  rust: [';', ')', ']', '}', ',', '(', '[', '{', '.', '=', '==', ':', '::', '"', '>', '<', '&', '->', '=>', '!'],
};

export function baseTokens(codeType: string): string[] {
  return BASE_TOKENS[codeType] ?? BASE_TOKENS.c!;
}

const isWordChar = (c: string | undefined) => c !== undefined && /[\w$]/.test(c);
const CLOSING = new Set([')', ']', '}', ';', ',', ':']);

/** The text to insert at offset p so that `tok` stays one token and keeps the spacing a person would write. */
function insertion(text: string, p: number, tok: string): { at: number; newText: string } {
  // two spaces where one token was deleted: the token goes between them ("a  b" -> "a = b")
  if (text[p] === ' ' && text[p + 1] === ' ' && text[p - 1] !== ' ') return { at: p + 1, newText: tok };
  let s = tok;
  if (isWordChar(tok[0]) && isWordChar(text[p - 1])) s = ' ' + s;
  if (isWordChar(tok[tok.length - 1]) && isWordChar(text[p])) s = s + ' ';
  return { at: p, newText: s };
}

interface Window { tokens: Token[]; lo: number; hi: number }

/** The tokens on the anchor lines, the two lines before and the one after (code tokens only). */
function windowAround(tokens: Token[], text: string, anchors: ErrorAnchor[], before = 2, after = 1): Window {
  const lineOf = (off: number) => { let n = 0; for (let i = 0; i < off && i < text.length; i++) if (text.charCodeAt(i) === 10) n++; return n; };
  const lines = anchors.map((a) => lineOf(a.offset));
  const lo = Math.max(0, Math.min(...lines) - before);
  const hi = Math.max(...lines) + after;
  const code: Token[] = [];
  let line = 0;
  for (const t of tokens) {
    if (t.kind === 'newline') { line++; continue; }
    if (line >= lo && line <= hi && t.kind !== 'comment') code.push(t);
    if (t.kind === 'comment' || t.kind === 'string') line += (t.text.match(/\n/g) ?? []).length;
  }
  return { tokens: code, lo, hi };
}

/**
 * Every candidate is a copy of the whole text, and each window token makes ~2 x vocabulary of them: a
 * ~300,000-character line (its tokens all "near" the error) once made millions and ran the model's
 * thread out of memory. The window keeps the tokens nearest the anchors, at most as many as keep
 * candidates x text length under this many characters (~150 tokens for a 10,000-character file, the
 * few around the error in a 300,000-character one), and never more than MAX_WINDOW_TOKENS.
 */
const CANDIDATE_CHARS = 200_000_000;
const MAX_WINDOW_TOKENS = 400;
/** A vocabulary size for the bound (base tokens, hints, and the words near the error). */
const BOUND_VOCAB = 64;

export function windowTokenLimit(textLength: number): number {
  return Math.max(4, Math.min(MAX_WINDOW_TOKENS, Math.floor(CANDIDATE_CHARS / (Math.max(1, textLength) * (2 * BOUND_VOCAB + 1)))));
}

/** The `limit` tokens nearest the anchors (by token count), in text order. */
function nearestTokens(toks: Token[], anchors: ErrorAnchor[], limit: number): Token[] {
  if (toks.length <= limit) return toks;
  const at = anchors.map((a) => {
    const k = toks.findIndex((t) => t.end > a.offset);
    return k < 0 ? toks.length - 1 : k;
  });
  const distance = (i: number) => Math.min(...at.map((k) => Math.abs(k - i)));
  const keep = toks.map((_, i) => i).sort((x, y) => distance(x) - distance(y) || x - y).slice(0, limit).sort((x, y) => x - y);
  return keep.map((i) => toks[i]!);
}

/** Prior (nats) for deleting the very token a parser reports its error at. */
const AT_ERROR = 1;

export interface ProposeOptions {
  /** Also insert and swap in the words and numbers found near the error (a deleted or misspelt name). */
  documentTokens?: boolean;
  /** Lines before the first anchor and after the last one to edit in. */
  linesBefore?: number;
  linesAfter?: number;
  /** Also insert and swap in the file's names and literals seen next to a place's neighbours elsewhere
   * (a deleted name comes back: `foo(, x)` -> `foo(params, x)`), at most this many per place. */
  fileWords?: number;
  /** Only at places this near an anchor (the prior's distance: 0.8 a line); default 2.5. */
  fileWordsWithin?: number;
  /** Nats of prior per token pair of the edit's window that the file has seen elsewhere (file-ngrams.ts pairGain). */
  pairWeight?: number;
  /** At the token a parser blamed (and either side of it), also the names and numbers of this many lines around it. */
  nearWords?: number;
  /** Right after a declaring keyword with no name there (`var  =`, `fn ()`), also the file's names read
   * but never bound (unbound-names.ts), at most this many. */
  unboundNames?: number;
}

/** Names and numbers at most this many are tried at the blamed token (the most used nearby first). */
const NEAR_WORDS_MAX = 24;

/** The names and numbers on the lines within `lines` of the offsets, the most used there first, leaving out `skip`. */
function wordsNear(all: readonly Token[], text: string, offsets: readonly number[], lines: number, skip: ReadonlySet<string>): string[] {
  const lineOf = (off: number) => { let n = 0; for (let i = text.indexOf('\n'); i >= 0 && i < off; i = text.indexOf('\n', i + 1)) n++; return n; };
  const at = offsets.map(lineOf);
  const counts = new Map<string, number>();
  let line = 0;
  for (const t of all) {
    if (t.kind === 'newline') { line++; continue; }
    if ((t.kind === 'word' || t.kind === 'number') && t.text.length <= 40 && !skip.has(t.text) && at.some((l) => Math.abs(l - line) <= lines)) counts.set(t.text, (counts.get(t.text) ?? 0) + 1);
    if (t.kind === 'comment' || t.kind === 'string') line += (t.text.match(/\n/g) ?? []).length;
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, NEAR_WORDS_MAX).map(([w]) => w);
}

/** Names tried where a message asks for one: at most this many of the file's, the most used first. */
const NAMES_EXPECTED = 48;

/** The file's names (not literals), the most used first, leaving out `skip`. */
function fileNames(pairs: FilePairs, skip: ReadonlySet<string>, max: number): string[] {
  return [...pairs.words.entries()]
    .filter(([w]) => /^[A-Za-z_$][\w$]*$/.test(w) && !skip.has(w))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, max)
    .map(([w]) => w);
}

/** Names and literals of the file seen after `prev` or before `next` elsewhere, both sides first, then by frequency. */
function fittingWords(pairs: FilePairs, prev: Token | undefined, next: Token | undefined, skip: ReadonlySet<string>, max: number): string[] {
  const a = prev ? pairs.after(prev.text) : new Set<string>();
  const b = next ? pairs.before(next.text) : new Set<string>();
  const fit = (w: string) => Number(a.has(w)) + Number(b.has(w));
  return [...new Set([...a, ...b])]
    .filter((w) => !skip.has(w))
    .sort((x, y) => fit(y) - fit(x) || (pairs.words.get(y) ?? 0) - (pairs.words.get(x) ?? 0) || (x < y ? -1 : 1))
    .slice(0, max);
}

/**
 * Single-token edits near the anchors, deduplicated by their result, in prior order (best first).
 * The label names the edit and its 1-based line: "insert ':' at line 4".
 */
export function proposeTokenEdits(text: string, codeType: string, anchors: ErrorAnchor[], opts: ProposeOptions = {}): TokenEditCandidate[] {
  if (anchors.length === 0) return [];
  const all = lex(text, codeType);
  const win = windowAround(all, text, anchors, opts.linesBefore ?? 2, opts.linesAfter ?? 1);
  const toks = nearestTokens(win.tokens, anchors, windowTokenLimit(text.length));
  if (toks.length === 0) return [];
  const hints = new Set(anchors.flatMap((a) => a.hints));
  const extra = new Set(anchors.flatMap((a) => a.extra ?? []));
  let vocab = [...new Set([...hints, ...baseTokens(codeType)])];
  if (opts.documentTokens) {
    const near = toks.filter((t) => t.kind === 'word' || t.kind === 'number' || t.kind === 'punct').map((t) => t.text);
    vocab = [...new Set([...vocab, ...near])];
  }
  const lineStartsArr: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStartsArr.push(i + 1);
  const lineNo = (off: number) => {
    let lo = 0, hi = lineStartsArr.length - 1;
    while (lo < hi) { const m = (lo + hi + 1) >> 1; if (lineStartsArr[m]! <= off) lo = m; else hi = m - 1; }
    return lo + 1;
  };
  // distance from the nearest anchor: in lines first (an error is usually on its own line or the one
  // before), then in tokens (capped: a closer belongs at the end of what the opener began)
  const anchorAt = anchors.map((a) => {
    let k = toks.findIndex((t) => t.end > a.offset);
    if (k < 0) k = toks.length;
    return { k, line: lineNo(a.offset), penalty: a.penalty ?? 0 };
  });
  // k: a token (or the boundary before it); off: where the edit is (its line counts)
  const dist = (k: number, off = toks[Math.min(k, toks.length - 1)]!.start) => {
    const line = lineNo(off);
    return Math.min(...anchorAt.map((a) => a.penalty + 0.8 * Math.abs(a.line - line) + 0.08 * Math.min(20, Math.abs(a.k - k))));
  };
  const pairs = opts.fileWords || opts.pairWeight ? filePairs(text, codeType, all) : undefined;
  const gain = pairs && opts.pairWeight ? pairGainOf(text, codeType, pairs, all) : undefined;
  const inVocab = new Set(vocab);
  // every candidate is a copy of the text: the file's words only where an edit is likely
  const wordsWithin = opts.fileWordsWithin ?? 2.5;
  const fitMemo = new Map<string, string[]>();
  const fitting = (prev: Token | undefined, next: Token | undefined) => {
    const key = `${prev?.text ?? ''}\u0000${next?.text ?? ''}`;
    let w = fitMemo.get(key);
    if (!w) fitMemo.set(key, (w = fittingWords(pairs!, prev, next, inVocab, opts.fileWords!)));
    return w;
  };
  // where a name is expected: the file's names, the most used first (the ranking reads where each is used)
  const namesAt = new Set(anchors.filter((a) => a.names && !a.penalty).map((a) => a.offset));
  const expectedNames = pairs && opts.fileWords && namesAt.size ? fileNames(pairs, inVocab, NAMES_EXPECTED) : [];
  // at the token the parser blamed: the names and numbers of the lines around it (code is local: a name
  // typed over or lost there is often one the next lines use, `;[] data = new byte[...]`)
  const blamed = anchors.filter((a) => !a.penalty).map((a) => a.offset);
  const localWords = opts.nearWords ? wordsNear(all, text, blamed, opts.nearWords, inVocab) : [];
  const isBlamed = (t: Token | undefined) => !!t && blamed.some((o) => o >= t.start && o < t.end);
  // a declaration that lost its name: the names the file reads and binds nowhere (used further down)
  const unbound = opts.unboundNames ? unboundNames(all, opts.unboundNames).filter((w) => !inVocab.has(w)) : [];
  const unnamed = (decl: Token | undefined, at: Token | undefined, k: number) =>
    unbound.length > 0 && isDeclaring(decl) && (!at || at.kind === 'punct') && dist(k) <= wordsWithin;
  const out = new Map<string, TokenEditCandidate>();
  const add = (edit: OffsetEdit, label: string, prior: number) => {
    const familiarity = gain?.(edit);
    if (familiarity !== undefined) prior += opts.pairWeight! * familiarity;
    // (by a short key of the result, not the result: every candidate is a copy of the text)
    const key = resultKey(text, edit);
    if (key === undefined) return;
    const have = out.get(key);
    if (have && have.prior >= prior) return;
    out.set(key, { edits: [edit], fixed: applyOffsetEdits(text, [edit]), label, origin: 'token', size: 1, prior, ...(familiarity !== undefined ? { familiarity } : {}) });
  };
  const show = (t: string) => (t.length > 20 ? t.slice(0, 20) + '…' : t);
  // boundaries: right after each token, and at the start of a line's first token
  for (let k = 0; k <= toks.length; k++) {
    const prev = toks[k - 1];
    const next = toks[k];
    const newlineBetween = !!prev && !!next && text.slice(prev.end, next.start).includes('\n');
    const spots: { p: number; lineEnd: boolean; lineStart: boolean }[] = [];
    if (prev) spots.push({ p: prev.end, lineEnd: newlineBetween || !next, lineStart: false });
    if (next && (!prev || newlineBetween)) spots.push({ p: next.start, lineEnd: false, lineStart: true });
    const words = pairs && opts.fileWords && dist(Math.min(k, toks.length - 1)) <= wordsWithin ? fitting(prev, next) : [];
    const named = next && [...namesAt].some((o) => o >= next.start && o < next.end) ? expectedNames.filter((w) => !words.includes(w)) : [];
    const local = isBlamed(next) || isBlamed(prev) ? localWords.filter((w) => !words.includes(w) && !named.includes(w)) : [];
    // (also those among the fitting words and the names asked for: they get the prior of a name a declaration lacks)
    const binding = unnamed(prev, next, Math.min(k, toks.length - 1)) ? unbound.filter((w) => !local.includes(w)) : [];
    for (const spot of spots) {
      const d = dist(k, spot.p);
      for (const tok of [...vocab, ...words, ...named, ...local, ...binding]) {
        // a prior in nats: how likely a person left this token out (punctuation more than names)
        let prior = -d;
        if (hints.has(tok)) prior += 3;
        else if (binding.includes(tok)) prior += 3.5; // a name the file reads and binds nowhere, where a declaration lacks one
        else if (named.includes(tok)) prior += 2; // a name, where the parser asks for one (not the word penalty's full cost)
        if (CLOSING.has(tok) && spot.lineEnd) prior += 0.5;
        if (spot.lineStart) prior -= 1; // the start of a line: rarely where a token is missing
        if (isWordChar(tok[0])) prior -= 2;
        const ins = insertion(text, spot.p, tok);
        add({ start: ins.at, end: ins.at, newText: ins.newText }, `insert '${show(tok)}' at line ${lineNo(ins.at)}`, prior);
      }
    }
  }
  for (const [k, t] of toks.entries()) {
    const d = dist(k);
    // delete: with one of the spaces around it when both sides have one
    let start = t.start;
    let end = t.end;
    if (text[start - 1] === ' ' && text[end] === ' ') end++;
    let prior = -d - 1.5;
    if (extra.has(t.text)) prior += 3;
    if (t.kind === 'word' || t.kind === 'string' || t.kind === 'number') prior -= 1.5; // a stray name is a rarer slip than stray punctuation
    // the token the parser complains about, right where it complains: as likely a stray as a place something is missing before
    if (anchors.some((a) => !a.penalty && a.offset >= t.start && a.offset < t.end)) prior += AT_ERROR;
    add({ start, end, newText: '' }, `delete '${show(t.text)}' at line ${lineNo(t.start)}`, prior);
    // replace
    const words = pairs && opts.fileWords && d <= wordsWithin ? fitting(toks[k - 1], toks[k + 1]) : [];
    const asked = [...namesAt].some((o) => o >= t.start && o < t.end);
    const named = asked ? expectedNames.filter((w) => !words.includes(w)) : [];
    // (the token before the blamed one too: a parser often stops one token past the slip)
    const local = isBlamed(t) || isBlamed(toks[k + 1]) ? localWords.filter((w) => !words.includes(w) && !named.includes(w)) : [];
    const binding = unnamed(toks[k - 1], t, k) ? unbound.filter((w) => !local.includes(w)) : [];
    for (const tok of [...vocab, ...words, ...named, ...local, ...binding]) {
      if (tok === t.text) continue;
      let p = -d - 1.5;
      if (hints.has(tok)) p += 2;
      else if (binding.includes(tok)) p += 1.5;
      const wordIn = isWordChar(tok[0]);
      // a name for a name, a sign for a sign (or a name where the parser or a declaration asks for one)
      if (!((asked || binding.includes(tok)) && wordIn) && (t.kind === 'word' ? !wordIn : t.kind === 'punct' ? wordIn : true)) p -= 2;
      add({ start: t.start, end: t.end, newText: tok }, `replace '${show(t.text)}' with '${show(tok)}' at line ${lineNo(t.start)}`, p);
    }
  }
  return [...out.values()].sort((a, b) => b.prior - a.prior);
}
