// The syntax repair search: propose token edits around the error, prove them with the language's own
// parser, rank what it accepts (prior, then the model), present the best with what proved it.
//   stage 1: one-token edits of punctuation and keywords near the error, and the file's names seen next
//            to the same neighbours elsewhere (file-ngrams.ts) on the error's lines; at the token the
//            parser blamed, the names of the two lines around it, and the file's names where its
//            message asks for one (`Identifier expected`)
//   stage 2: also the names and numbers of the lines around it, a wider window
//   stage 3: two-token edits (nothing accepted so far): the first edits that fixed the parser's error or
//            moved it on, each with a second edit around the error left; a pair must parse clean
// The order: the prior and how familiar the edit makes its window (token pairs, triples: syntax-rank.ts) to
// the rest of the file, whether the names it writes or takes away are the lines around it's (near, drop),
// with the model's score of those near the leader (the model is most of the time; parsing stops once the
// ranked set is settled); a merged name is split (propose-split.ts). rustc's labelled spans (an unclosed
// opener) are anchors too, and so, when the parser found a block open at the end, is where the layout
// says it ends (layout-anchors.ts).
// Python is screened on the top-level block that holds the error (the parser's cost grows with the
// text), then the winner is parsed whole.
// Tree-sitter reads each candidate first (incrementally, as an edit of the original) and only those it
// passes reach the language's parser (screen-policy.ts: every one for Python/JS/TS/Go/Java, the first few
// by the cheap terms for g++/rustfmt); it never proves a fix. Where nothing it passed holds, the parser reads what it kept
// out (the rescue). A candidate whose cheap terms lie more than modelWithin behind a clean one already
// accepted is not read at all: it could be neither the cheap leader nor scored by the model.
import { DecodeAbortedError } from '../decode';
import { hintsFromMessage, proposeTokenEdits, type ErrorAnchor, type TokenEditCandidate } from './propose-syntax';
import { proposeSplits } from './propose-split';
import { rankFeatures, type RankFeatures } from './syntax-rank';
import { layoutAnchors, saysBlockOpen } from './layout-anchors';
import { applyOffsetEdits, lineStarts, positionAt, resultKey } from './text';
import { judgeCandidate, type Judgement, type Prover } from './prove';
import { lineStartsOf } from './prove/common';
import type { ParseError, ParseVerdict } from './types';

export interface SyntaxSearchLimits {
  /** Candidates parsed in each stage (best prior first). */
  stage1: number;
  stage2: number;
  /** First edits extended by a second one, and second edits tried for each. */
  pairSeeds: number;
  pairsPerSeed: number;
  /** Accepted candidates the ranking reads (the clean ones best by prior), and of those the model scores
   * (the best by prior, familiarity and triples: the model is most of a search's time). */
  rankTop: number;
  modelTop: number;
  /** Of those, the model scores only the ones within this many nats of the cheap terms' leader (none: the leader wins). */
  modelWithin: number;
  /** The whole search stops after this many milliseconds (then says so). */
  budgetMs: number;
  /** Two-token edits (stage 3) may run this much longer than budgetMs. */
  pairBudgetMs: number;
  /** With a screen: candidates the slow parser proves per stage (those the screen accepts, best prior first). */
  slowProve: number;
}

export const DEFAULT_LIMITS: SyntaxSearchLimits = { stage1: 600, stage2: 1200, pairSeeds: 8, pairsPerSeed: 120, rankTop: 16, modelTop: 16, modelWithin: 10, budgetMs: 3000, pairBudgetMs: 2000, slowProve: 16 };
/** Candidates parsed between checks of whether the ranking's set is settled (the provers' own batch, BATCH_TEXTS). */
const BATCH = 64;
/** Candidates a screen reads between checks of how many passed (and of whether the ranked set is settled). */
const SCREEN_CHUNK = 64;
/** Candidates a screen reads without passing one before the parser reads the rest itself (screenRescue only). */
const SCREEN_IDLE = 256;
/** The chunk while no clean candidate is in yet (the cheap terms' bound has nothing to go by). */
const FIRST_CHUNK = 16;
/** Candidates the screen passed that wait for one slow parser call (one process call each: gofmt, javac). */
const SLOW_FLUSH = 16;
/** How much an edit's prior counts beside the model's log-probability (nats per prior unit). */
export const DEFAULT_PRIOR_WEIGHT = 0.5;
/** The file's word on an edit (token pairs seen elsewhere, file-ngrams.ts): nats per pair in the proposal
 * order (part of the prior), and added beside the model's score. Chosen on the s16 cases' accepted
 * candidates (eval/syntax-study.ts --dump): the original ranked first in 51 of 62 instead of 46. */
const PROPOSE_PAIR_WEIGHT = 1;
const RANK_PAIR_WEIGHT = 2.5;
/** Nats per token triple of the edit's window the file has seen elsewhere (syntax-rank.ts tri), beside the
 * model's score. Chosen on the s17 cases' proven candidates (seed 1, eval/syntax-weights.ts): the original
 * ranked first in 63 of 75 instead of 57 (2 -> 62, 3 and 4 -> 63, 6 -> 64); unchanged on seed 2 (held out):
 * 35 of 43 instead of 33 (the best five-term weighting on seed 1, 66 of 75, gave 34 there: not used). */
const RANK_TRIPLE_WEIGHT = 3;
/** Nats per log-use of a name the edit writes / takes away on the lines around it (syntax-rank.ts near,
 * drop). Chosen on the s20 cases' proven candidates (seed 1, eval/syntax-weights.ts --local --refam):
 * the original ranked first in 69 of 77 instead of 67; seed 2 (held out) 38 of 42 instead of 36. They
 * are cheap terms like the others (they choose what the model scores too): kept out of that choice,
 * seed 2 lost two cases it won and seed 1 won back one (`System.out.. printf`, where `out.out` is near). */
const RANK_NEAR_WEIGHT = 4;
const RANK_DROP_WEIGHT = 6;
/** Nats for an edit that gives a declaration a name the file reads but binds nowhere (syntax-rank.ts binds:
 * `var  = []struct{...}` -> `var tests`, read 60 lines down). Offline, 0 to 14 do alike on seeds 1 and 2 (session 20,
 * eval/syntax-weights.ts --grow); 10 lets seed 3's go/4 win in the engine (seed 3: 29 -> 30 of 55). */
const RANK_BIND_WEIGHT = 10;
/** The file's terms of an edit beside the prior and pairs: triples, the names of the lines around it, a name bound. */
const fileTerms = (f: RankFeatures) => RANK_TRIPLE_WEIGHT * f.tri + RANK_NEAR_WEIGHT * f.near - RANK_DROP_WEIGHT * f.drop + RANK_BIND_WEIGHT * f.binds;
/** Stage 1: right after a declaring keyword with no name, also this many of the names the file reads but never binds. */
const UNBOUND_NAMES = 12;
/** Stage 1: at the token the parser blamed, also the names and numbers of this many lines around it. */
const NEAR_WORD_LINES = 2;
/** Names and literals of the file tried at each place: stage 1, stage 2. */
const FILE_WORDS = [4, 12] as const;
/** An error left after a fix counts as another one of the file's only this many lines or more from the edit. */
const FAR_LINES = 10;

export interface SyntaxSearchInput {
  text: string;
  codeType: string;
  /** Where the error to fix was reported (0-based offset into text) and its message. */
  target: { offset: number; message?: string };
  prover: Prover;
  /** Model scores of candidate documents (higher is better), one per document; none: the prior decides. */
  rank?: (fixedDocs: string[]) => Promise<number[]>;
  /** Studies (syntaxStudy.scoreAll): another ranker whose scores the trace shows beside rank's. */
  rankAlt?: (fixedDocs: string[]) => Promise<number[]>;
  /** How much the prior counts beside the model's log-probability (nats per prior unit). */
  priorWeight?: number;
  limits?: Partial<SyntaxSearchLimits>;
  signal?: AbortSignal;
  /** Lines (0-based) where another reader (tree-sitter) saw errors in the original: an error the parser
   * reports there after a fix was there before; anywhere else, the fix made it. */
  otherErrorLines?: number[];
  /** The prover's verdict on the whole `text` with `path` (the caller parsed it already): not parsed again. */
  originalVerdict?: ParseVerdict;
  /** The document's path: every parse reads it as the caller's did (a .tsx, an .mjs, a C file's own folder). */
  path?: string;
  /** A fast parser whose acceptance a candidate needs before the slow `prover` sees it (tree-sitter for g++). */
  screen?: Prover;
  /** The screen's verdicts on candidates read as edits of the original (prove/treesitter-edits.ts: incremental, same verdicts). */
  screenEdits?: (original: string, cands: { fixed: string; edits: { start: number; end: number; newText: string }[] }[], signal?: AbortSignal, rejects?: (k: number, v: ParseVerdict) => boolean) => Promise<ParseVerdict[]>;
  /** With a screen: the order it reads a stage's candidates in: by prior (default), or by the ranking's
   * cheap terms (screen-policy.ts: slow parsers, that prove only the first few it passes). */
  screenOrder?: 'prior' | 'cheap';
  /** With a screen: when stages 1 and 2 (or stage 3) find nothing, the slow parser reads what the screen kept out
   * (a screen that never costs a fix the slow parser would find there; its verdicts seed stage 3). */
  screenRescue?: boolean;
  /** Python: parse the target's own top-level block even in a short file (an earlier error elsewhere
   * would hide this one from a parser that stops at its first error). */
  ownBlock?: boolean;
}

/** Studies (eval/syntax-study.ts) set `trace` to see what each search proposed, accepted and offered first. */
export const syntaxStudy: { trace?: (t: SyntaxSearchTrace) => void; scoreAll?: boolean; scoreAlt?: boolean; screenAudit?: boolean; limits?: Partial<SyntaxSearchLimits>; scoringLines?: number } = {};

export interface SyntaxSearchTrace {
  proposed: TokenEditCandidate[];
  accepted: { c: TokenEditCandidate; clean: boolean }[];
  order: TokenEditCandidate[];
  /** With scoreAll: every accepted candidate's scores by rank and rankAlt. */
  scores?: { of: { c: TokenEditCandidate; clean: boolean }[]; whole: number[]; alt: number[] };
  timings: Record<string, number>;
  /** Candidates left unparsed because the ranked set was settled (rankSettled). */
  skipped?: number;
  /** Candidates left unread because a clean one accepted outranks them by the cheap terms beyond modelWithin. */
  outranked?: number;
  /** When the model ranked: the first by the cheap terms, its lead over the second, and the first by the total. */
  rankNote?: RankNote;
  /** The cheap terms (nats) of the candidates the ranking read, the value the model's score is added to
   * (models/data/ranking/syntax.ts: the fine-tune learns the model's part of the product's total). */
  cheap?: Map<TokenEditCandidate, number>;
  /** Where the parser reported its first error in the original (offset into the text). */
  errorOffset?: number;
  stage?: 1 | 2 | 3;
  /** Stage 3: the first edits extended, with their progress step. */
  seeds?: string[];
  /** With a screen: candidates it kept out of the slow parser, and those the slow parser read after all (screenRescue). */
  screen?: { keptOut: number; rescued: number };
  /** With screenAudit: the slow parser's verdicts on what the screen kept out (false rejects: ones it accepts). */
  audit?: { rejected: number; falseRejects: { c: TokenEditCandidate; clean: boolean }[] };
}

export interface SyntaxFix extends TokenEditCandidate {
  /** What proved it: the prover's name, with the lines it parsed when it parsed a block. */
  provenBy: string;
  /** The first error the parser still reports (an error elsewhere in the file), or none. */
  remaining?: ParseError;
}

export interface SyntaxSearchResult {
  fix: SyntaxFix | null;
  /** The parser's name (also when nothing was proven). */
  prover: string;
  /** Candidates parsed, and how many of them the parser accepted. */
  tried: number;
  accepted: number;
  /** Accepted candidates the model scored. */
  ranked: number;
  /** Other accepted candidates, best first (at most 3). */
  alternatives: TokenEditCandidate[];
  /** Why there is no fix. */
  reason?: string;
  /** The parser accepts the document as it is (the error is another tool's). */
  parserAcceptsOriginal?: boolean;
  stage?: 1 | 2 | 3;
  ms: number;
}

/** The parser's error a syntax fix is for: its first; with a compiler that checks names and types too (g++,
 * prover.syntaxError), its first within 3 lines of the user's target (`line`) when there is one, as a header
 * it cannot find makes errors of names and types all over a file, before the one the user is fixing. */
export function targetError(errors: readonly ParseError[], line: number | undefined, prover: Pick<Prover, 'syntaxError'>): ParseError {
  const near = prover.syntaxError && line !== undefined ? errors.find((e) => Math.abs(e.line - line) <= 3) : undefined;
  return near ?? errors[0]!;
}

/** The lines of the top-level block (Python: from a line at column 0 to the next one) holding `line`. */
export function topLevelBlock(lines: string[], line: number): { start: number; end: number } {
  const top = (l: string | undefined) => l !== undefined && l.trim() !== '' && !/^[ \t]/.test(l) && !l.startsWith('#');
  let start = Math.min(line, lines.length - 1);
  while (start > 0 && !top(lines[start])) start--;
  while (start > 0 && lines[start - 1]!.startsWith('@')) start--; // decorators belong to their definition
  let end = line + 1;
  while (end < lines.length && !(top(lines[end]) && !/^(else|elif|except|finally)\b/.test(lines[end]!) && !lines[end]!.startsWith(')') && !lines[end]!.startsWith(']') && !lines[end]!.startsWith('}'))) end++;
  return { start, end: end - 1 };
}

/** The last non-blank line before the first later line indented no deeper than `line` (the end of what it opens). */
export function blockEndLine(lines: string[], line: number): number {
  const indent = (l: string) => /^[ \t]*/.exec(l)![0].length;
  const base = indent(lines[line] ?? '');
  let last = line;
  for (let j = line + 1; j < lines.length; j++) {
    const l = lines[j]!;
    if (l.trim() === '') continue;
    if (indent(l) <= base) break;
    last = j;
  }
  return last;
}

export async function searchSyntaxFix(input: SyntaxSearchInput): Promise<SyntaxSearchResult> {
  const t0 = performance.now();
  const limits = { ...DEFAULT_LIMITS, ...input.limits, ...syntaxStudy.limits };
  const { text, codeType, prover, signal } = input;
  const ms = () => Math.round(performance.now() - t0);
  const starts = lineStarts(text);
  const lines = text.split('\n');
  const lineOf = (off: number) => positionAt(starts, Math.max(0, Math.min(off, text.length))).line;
  const offsetOf = (e: ParseError, base = 0) => Math.min(text.length, (starts[e.line + base] ?? text.length) + e.column);

  // Python: parse the block that holds the error (its parser's cost grows with the text); the winner is parsed whole
  const targetLine = lineOf(input.target.offset);
  let block = codeType === 'python' && (lines.length > 60 || input.ownBlock) ? topLevelBlock(lines, targetLine) : undefined;
  // another error comes first (ownBlock) and the target opens its block: tree-sitter reports a bracket left
  // open at the end of a block where its recovery stops, the next line, so the block before is read too
  if (block && input.ownBlock && block.start === targetLine && targetLine > 0) block = { start: topLevelBlock(lines, targetLine - 1).start, end: block.end };
  const blockStart = block ? starts[block.start]! : 0;
  const blockEnd = block ? (block.end + 1 < starts.length ? starts[block.end + 1]! - 1 : text.length) : text.length;
  const slice = (doc: string, delta = 0) => (block ? doc.slice(blockStart, blockEnd + delta) : doc);
  const base = block?.start ?? 0;
  let tried = 0;
  const parse = async (docs: string[]): Promise<ParseVerdict[]> => {
    if (signal?.aborted) throw new DecodeAbortedError();
    const v = await prover.parse(docs, { signal, path: input.path });
    tried += docs.length;
    return v;
  };

  // the caller's verdict on the whole text, when the search reads the whole text too (g++, rustfmt: 100-300 ms a parse)
  const [orig] = !block && input.originalVerdict ? [input.originalVerdict] : await parse([slice(text)]);
  tried = 0;
  if (orig!.ok) {
    return { fix: null, prover: prover.name, tried: 0, accepted: 0, ranked: 0, alternatives: [], parserAcceptsOriginal: true, reason: `${prover.name} accepts this code as it is: nothing for it to prove`, ms: ms() };
  }
  // the error to fix: the parser's first (g++ without the project's headers: its first error near the
  // target, as errors of names or types may come before it: targetError)
  const origFirst = targetError(orig!.errors, targetLine - base, prover);
  // rustc names an unclosed or mismatched delimiter's opener only in a labelled span, often far from its first error
  const related = (origFirst.related ?? []).map((r) => ({ offset: offsetOf(r, base), message: r.message, penalty: relatedPenalty(r.message) }));
  const anchors = errorAnchors([{ offset: input.target.offset, message: input.target.message }, { offset: offsetOf(origFirst, base), message: origFirst.message }, ...related], lines, starts, lineOf);
  // a block the parser found open at the end: where the layout says it ends (layout-anchors.ts)
  if (saysBlockOpen(origFirst.message) || saysBlockOpen(input.target.message)) anchors.push(...layoutAnchors(text, codeType));
  // the parser's own error is the one a fix must remove, adding none (judge.ts)
  // An error left after the edit must be one the original had: a parser that stops at its first error
  // could not show it, so another reader's (tree-sitter's) report of the original must
  // (within 3 lines: tree-sitter reports a bracket never closed where its recovery ends, Python at the opener)
  const wasThere = (line: number) => (input.otherErrorLines ?? []).some((l) => Math.abs(l - line) <= 3);
  // A compiler that checks names and types too (g++ without the project's headers) reports errors in the
  // original that tree-sitter, reading syntax alone, does not see (`std::vector<Widget*>` with Widget
  // unknown: "expected primary-expression"): one such error left as it was, away from the error to fix,
  // is the compiler's want of a header, not the candidate's doing
  const typesOnly = (e: ParseError) => !!prover.syntaxError && !wasThere(e.line + base) && Math.abs(e.line + base - targetLine) > 3;
  const parsedStarts = lineStartsOf(slice(text)); // (each judgement reads them)
  const judge = (c: TokenEditCandidate, v: ParseVerdict) => {
    const j = judgeCandidate({ original: slice(text), originalVerdict: orig!, target: origFirst, candidate: inSlice(c), candidateVerdict: v, prover, originalStarts: parsedStarts });
    // errors the parser still reports (later ones it could not show before, or ones it calls the
    // original's) must be where tree-sitter saw the original broken: a cascade of this error is not "kept"
    // and far from the edit (a cascade lies near what caused it)
    const editLine = lineOf(c.edits[0]!.start);
    const ok = j.proven && (v.ok || [...j.later, ...j.kept].every((e) => (wasThere(e.line + base) && Math.abs(e.line + base - editLine) > FAR_LINES) || typesOnly(e)));
    return { ok, step: ok ? 0 : progressStep(j, v, origFirst) };
  };
  const inBlock = (c: TokenEditCandidate) => !block || c.edits.every((e) => e.start >= blockStart && e.end <= blockEnd);

  // what was read already, by a short key of each result (resultKey: the same result, the same key)
  const keyOf = (c: TokenEditCandidate) => resultKey(text, c.edits.length === 1 ? c.edits[0]! : spanEdit(text, c.fixed)) ?? '';
  const seen = new Set<string>(['']);
  const accepted: Accepted[] = [];
  const progress: Progress[] = [];
  let deadline = t0 + limits.budgetMs;
  // A slow parser (g++: 100-200 ms a file) gets only what a fast one (tree-sitter) accepts first
  const screen = input.screen;
  const screenOrig = screen ? (await screen.parse([slice(text)], { signal }))[0]! : undefined;
  const inSlice = (c: TokenEditCandidate) => ({ fixed: slice(c.fixed, c.fixed.length - text.length), edits: c.edits.map((e) => ({ start: e.start - blockStart, end: e.end - blockStart, newText: e.newText })) });
  const proposed: TokenEditCandidate[] = [];
  const timings: Record<string, number> = {};
  let skipped = 0;
  const timed = async <T>(stage: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try { return await f(); } finally { timings[stage] = (timings[stage] ?? 0) + performance.now() - t; }
  };
  // The cheap terms' bound (rankAccepted, with the model): a candidate whose cheap terms are more than
  // modelWithin behind those of a clean one accepted already can be neither the cheap leader nor scored
  // by the model, so it is not read at all. While fewer than rankTop clean ones are in, the one accepted
  // stays in the ranked set (the bound only rises), and in stage 1 an insert is skipped only once one is
  // accepted (else stage 2 would run where it did not). Only the order after the first choices changes.
  let features: ReturnType<typeof rankFeatures> | undefined;
  const priorWeight = input.priorWeight ?? DEFAULT_PRIOR_WEIGHT;
  const cheap = new Map<TokenEditCandidate, number>(); // (the screen's order and the bound both ask)
  const cheapOf = (c: TokenEditCandidate) => {
    let v = cheap.get(c);
    if (v !== undefined) return v;
    features ??= rankFeatures(text, codeType, offsetOf(origFirst, base));
    cheap.set(c, (v = priorWeight * c.prior + RANK_PAIR_WEIGHT * (c.familiarity ?? 0) + fileTerms(features(c.edits))));
    return v;
  };
  let lead = -Infinity;
  let cleanIn = 0;
  let insertIn = false;
  const outranked = (c: TokenEditCandidate, needInsert: boolean) =>
    !!input.rank && limits.modelWithin >= 0 && lead > -Infinity && cleanIn < limits.rankTop && (!needInsert || insertIn || !c.label.startsWith('insert ')) && lead - cheapOf(c) > limits.modelWithin;
  const judgeBatch = (part: TokenEditCandidate[], vs: ParseVerdict[], keepProgress: boolean, cleanOnly: boolean) => {
    vs.forEach((v, k) => {
      const c = part[k]!;
      const j = judge(c, v);
      if (j.ok && (v.ok || !cleanOnly)) {
        accepted.push({ c, v });
        if (c.label.startsWith('insert ')) insertIn = true;
        if (v.ok) { cleanIn++; if (input.rank) lead = Math.max(lead, cheapOf(c)); }
      } else if (keepProgress && j.step > 0) progress.push({ c, v, step: j.step });
    });
  };
  const parseJudged = (part: TokenEditCandidate[], keepProgress: boolean, cleanOnly: boolean) =>
    timed('parse', () => parse(part.map((c) => slice(c.fixed, c.fixed.length - text.length)))).then((vs) => judgeBatch(part, vs, keepProgress, cleanOnly));
  // the ranking reads only the rankTop clean ones best by prior: once they are settled, what is
  // left (lower prior) could not be offered (stage 1 also needs an insert: else stage 2 runs)
  const settled = (nextPrior: number, needInsert: boolean) => rankSettled(accepted, nextPrior, limits.rankTop) && (!needInsert || accepted.some((x) => x.c.label.startsWith('insert ')));
  // what the screen kept out, in order (screenRescue: the slow parser reads it when stages 1-2, or 3, found nothing)
  const keptOut: TokenEditCandidate[] = [];
  const runStage = async (cands: TokenEditCandidate[], max: number, keepProgress: boolean, cleanOnly = false, needInsert = false) => {
    let todo = cands.filter((c) => !seen.has(keyOf(c)) && inBlock(c)).slice(0, max);
    // a slow parser proves only the first few the screen passes: the likeliest by the ranking's cheap terms
    // (one-token edits: the pairs keep their prior order, that puts the first edits that fixed the error first)
    if (screen && input.screenOrder === 'cheap' && stage < 3) todo = byCheapTerms(todo, cheapOf);
    if (syntaxStudy.trace) proposed.push(...todo);
    if (screen && screenOrig && !screenIdle()) return runScreened(todo, keepProgress, cleanOnly, needInsert);
    return runPlain(todo, keepProgress, cleanOnly, needInsert);
  };
  const runPlain = async (todo: TokenEditCandidate[], keepProgress: boolean, cleanOnly: boolean, needInsert: boolean) => {
    for (const c of todo) seen.add(keyOf(c));
    const ahead = priorsAhead(todo);
    for (let i = 0; i < todo.length; i += BATCH) {
      if (performance.now() > deadline) return false;
      if (settled(ahead[i]!, needInsert)) {
        skipped += todo.length - i;
        return true;
      }
      const chunk = todo.slice(i, i + BATCH);
      const part = chunk.filter((c) => !outranked(c, needInsert));
      outrankedN += chunk.length - part.length;
      if (part.length) await parseJudged(part, keepProgress, cleanOnly);
    }
    return true;
  };
  // With a screen: tree-sitter reads the candidates a chunk at a time in prior order; those it passes
  // (at most slowProve per stage) go to the slow parser in batches; the ranked set's settling is checked
  // before each chunk, with what the slow parser has accepted so far (lossless: never earlier than without)
  const screenState = screen && screenOrig ? screenTarget(screenOrig, origFirst.line) : undefined;
  const runScreened = async (todo: TokenEditCandidate[], keepProgress: boolean, cleanOnly: boolean, needInsert: boolean) => {
    let passed = 0;
    let pending: TokenEditCandidate[] = [];
    const flush = async () => { if (pending.length) { const part = pending; pending = []; await parseJudged(part, keepProgress, cleanOnly); } };
    const ahead = priorsAhead(todo);
    // small chunks until a clean one is in (the bound's start: the first is usually among the first few dozen)
    for (let i = 0, n = FIRST_CHUNK; i < todo.length && passed < limits.slowProve; i += n, n = lead === -Infinity ? FIRST_CHUNK : SCREEN_CHUNK) {
      if (performance.now() > deadline) { await flush(); return false; }
      if (settled(ahead[i]!, needInsert)) {
        skipped += todo.length - i;
        break;
      }
      const chunk = todo.slice(i, i + n);
      const part = chunk.filter((c) => !outranked(c, needInsert));
      outrankedN += chunk.length - part.length;
      for (const c of part) seen.add(keyOf(c));
      const pass = await timed('screen', () => screenChunk(part, { screen: screen!, screenEdits: input.screenEdits, original: slice(text), originalVerdict: screenOrig!, target: screenState!, inSlice, signal }));
      screenRead += part.length;
      screenPassed += pass.filter(Boolean).length;
      for (const [k, c] of part.entries()) {
        if (!pass[k]) { keptOutAll++; keptOut.push(c); continue; }
        if (passed >= limits.slowProve) continue;
        passed++;
        pending.push(c);
      }
      if (syntaxStudy.screenAudit) await auditScreen(part.filter((_, k) => !pass[k]));
      // until a clean one is in (the bound's start) each chunk's passes are proven at once
      // (a slow parser, g++ or rustfmt, gets its few at once: one process call)
      if (pending.length >= SLOW_FLUSH || passed >= limits.slowProve || (lead === -Infinity && input.screenRescue)) await flush();
      if (screenIdle()) {
        // the parser reads the rest itself (what the screen kept out waits for the rescue as before)
        await flush();
        return runPlain(todo.slice(i + n), keepProgress, cleanOnly, needInsert);
      }
    }
    await flush();
    return true;
  };
  // A screen that passed nothing of its first SCREEN_IDLE candidates is of no use to this search (two broken
  // tokens, or a construct tree-sitter misreads): with a rescue, every one it keeps out is parsed anyway
  let screenRead = 0;
  let screenPassed = 0;
  let screenOff = false;
  const screenIdle = () => screenOff || (!!input.screenRescue && screenPassed === 0 && screenRead >= SCREEN_IDLE);
  // Studies: the slow parser's verdicts on what the screen kept out (false rejects: it accepts them)
  const audit = { rejected: 0, falseRejects: [] as { c: TokenEditCandidate; clean: boolean }[] };
  const auditScreen = async (out: TokenEditCandidate[]) => {
    if (!out.length) return;
    const vs = await prover.parse(out.map((c) => slice(c.fixed, c.fixed.length - text.length)), { signal, path: input.path });
    audit.rejected += out.length;
    vs.forEach((v, k) => { if (judge(out[k]!, v).ok) audit.falseRejects.push({ c: out[k]!, clean: v.ok }); });
  };

  // nothing the screen passed holds: the slow parser decides on the rest (its verdicts also seed stage 3)
  const rescue = async (keepProgress: boolean, cleanOnly: boolean) => {
    if (accepted.length > 0 || !input.screenRescue || keptOut.length === 0 || !inBudget) return;
    const rest = keptOut.splice(0);
    rescued += rest.length;
    for (let i = 0; i < rest.length; i += BATCH) {
      if (performance.now() > deadline) { inBudget = false; break; }
      await parseJudged(rest.slice(i, i + BATCH), keepProgress, cleanOnly);
    }
  };
  let stage: 1 | 2 | 3 = 1;
  let rescued = 0;
  let keptOutAll = 0;
  let outrankedN = 0;
  const screenNote = () => (screenState ? { screen: { keptOut: keptOutAll, rescued }, ...(syntaxStudy.screenAudit ? { audit } : {}) } : {});
  let seedLabels: string[] | undefined;
  // stage 1: the likeliest edits by prior, and every deletion near the error (a stray token of any kind)
  // (with a merged name split: `Recordstring` -> `Record<string`)
  const first1 = await timed('propose', async () => [...proposeTokenEdits(text, codeType, anchors, { fileWords: FILE_WORDS[0], fileWordsWithin: 1.7, pairWeight: PROPOSE_PAIR_WEIGHT, nearWords: NEAR_WORD_LINES, unboundNames: UNBOUND_NAMES }), ...proposeSplits(text, codeType, anchors)].sort((a, b) => b.prior - a.prior));
  const stage1 = [...first1.slice(0, limits.stage1), ...first1.slice(limits.stage1).filter((c) => c.label.startsWith('delete '))];
  let inBudget = await runStage(stage1, stage1.length, true, false, true);
  // nothing holds after stage 1 (two broken tokens, a name lost, or a construct tree-sitter misreads): what
  // the screen kept out is read now, and stage 2 goes to the parser directly, as it would with the rescue
  if (accepted.length === 0 && input.screenRescue && inBudget) {
    await rescue(true, false);
    screenOff = true;
  }
  // stage 2 also when stage 1 only found edits that take code away or swap it (a name may be what is missing)
  const onlyDestructive = accepted.length > 0 && accepted.every((x) => !x.c.label.startsWith('insert '));
  if ((accepted.length === 0 || onlyDestructive) && inBudget) {
    stage = 2;
    const second = await timed('propose', async () => proposeTokenEdits(text, codeType, anchors, { documentTokens: true, linesBefore: 3, linesAfter: 2, fileWords: FILE_WORDS[1], pairWeight: PROPOSE_PAIR_WEIGHT }));
    inBudget = await runStage(second, limits.stage2, true);
  }
  await rescue(true, false);
  if (accepted.length === 0 && progress.length > 0) {
    stage = 3;
    // progressive search (DeepFix, Break-It-Fix-It): the likeliest first edits that fixed the parser's
    // error (it now reaches another) or moved it on, each extended by one edit around the error left;
    // every pair is parsed whole and judged as any candidate, within its own bounded time
    deadline = t0 + limits.budgetMs + limits.pairBudgetMs;
    const seeds = pairSeeds(progress, limits.pairSeeds);
    seedLabels = seeds.map((x) => `${x.c.label} (step ${x.step}, prior ${x.c.prior.toFixed(1)})`);
    // the seeds that fixed the parser's error also try the file's names (a second name lost: `if`, `class`, `int`)
    // (beside, not instead of, the signs: at most WORDY_PAIRS of them, the best by prior)
    const pairs = await timed('propose', async () => seeds.flatMap((seed, i) => {
      const plain = secondEdits(seed, text, codeType, base, false).slice(0, limits.pairsPerSeed);
      if (i >= WORDY_SEEDS || seed.step !== 2) return plain;
      const have = new Set(plain.map((c) => c.fixed));
      return [...plain, ...secondEdits(seed, text, codeType, base, true).filter((c) => !have.has(c.fixed)).slice(0, WORDY_PAIRS)];
    }).sort((a, b) => b.prior - a.prior));
    // a pair must leave the parser nothing to report: two edits that quiet this error while others remain
    // (a closer put 30 lines on, where the first edit moved the error) are a guess, not a proof
    keptOut.length = 0;
    inBudget = await runStage(pairs, pairs.length, false, true);
    await rescue(false, true);
  }

  const base0 = { prover: prover.name, tried, accepted: accepted.length, ranked: 0, stage, ms: 0 };
  if (accepted.length === 0) {
    syntaxStudy.trace?.({ proposed, accepted: [], order: [], timings, skipped, errorOffset: offsetOf(origFirst, base), stage, seeds: seedLabels, outranked: outrankedN, ...screenNote() });
    const why = inBudget ? `no edit of one or two tokens near line ${targetLine + 1} makes ${prover.name} accept the code` : `stopped after ${Math.round(deadline - t0)} ms`;
    return { fix: null, ...base0, alternatives: [], reason: `${why} (${tried} candidates tried)`, ms: ms() };
  }
  let scores: SyntaxSearchTrace['scores'];
  if (syntaxStudy.scoreAll) {
    const docs = accepted.map((x) => x.c.fixed);
    scores = { of: accepted.map((x) => ({ c: x.c, clean: x.v.ok })), whole: input.rank ? await input.rank(docs) : [], alt: input.rankAlt ? await input.rankAlt(docs) : [] };
  }
  const { order, ranked, note, cheap: cheapRead } = await timed('rank', () => rankAccepted(accepted, input, limits, offsetOf(origFirst, base)));
  const won = await timed('confirm', () => confirmWinner(order, { text, prover, signal, path: input.path, originalVerdict: input.originalVerdict, block, base, origFirst, wasThere }));
  syntaxStudy.trace?.({ proposed, accepted: accepted.map((x) => ({ c: x.c, clean: x.v.ok })), order: order.map((x) => x.c), scores, timings, skipped, rankNote: note, cheap: cheapRead, errorOffset: offsetOf(origFirst, base), stage, seeds: seedLabels, outranked: outrankedN, ...screenNote() });
  if (won) {
    const { pick, provenBy, remaining } = won;
    return { fix: { ...pick.c, provenBy, remaining }, ...base0, ranked, alternatives: order.filter((x) => x !== pick).slice(0, 3).map((x) => x.c), ms: ms() };
  }
  const where = block ? `in lines ${block.start + 1}-${block.end + 1} do not hold for the whole file` : 'in a batch do not hold when parsed alone';
  return { fix: null, ...base0, ranked, alternatives: [], reason: `the edits ${prover.name} accepts ${where} (${tried} candidates tried)`, ms: ms() };
}

/**
 * The error of the screen's (tree-sitter's) reading of the original that a candidate must remove: the
 * one near the slow parser's, else none (where the fast parser sees no error near the slow one's, a
 * macro line tree-sitter reads as fine, it cannot say whether that error is gone: it only keeps out
 * candidates that break what it does read); undefined when it sees no error at all (it passes all).
 */
function screenTarget(orig: ParseVerdict, near: number): { near?: ParseError; any?: ParseError } {
  const n = orig.errors.find((e) => Math.abs(e.line - near) <= 2);
  return { near: n, any: n ?? orig.errors[0] };
}

/** Which candidates of a chunk the screen (tree-sitter, read incrementally where it can) passes to the slow parser. */
async function screenChunk(
  part: TokenEditCandidate[],
  o: {
    screen: Prover; screenEdits?: SyntaxSearchInput['screenEdits']; original: string; originalVerdict: ParseVerdict; target: { near?: ParseError; any?: ParseError }; signal?: AbortSignal;
    inSlice: (c: TokenEditCandidate) => { fixed: string; edits: { start: number; end: number; newText: string }[] };
  },
): Promise<boolean[]> {
  const { near, any } = o.target;
  if (!any) return part.map(() => true);
  const sliced = part.map(o.inSlice);
  const originalStarts = lineStartsOf(o.original);
  const passes = (k: number, v: ParseVerdict) => {
    const j = judgeCandidate({ original: o.original, originalVerdict: o.originalVerdict, target: any, candidate: sliced[k]!, candidateVerdict: v, prover: o.screen, originalStarts });
    return near ? j.proven : j.added.length === 0;
  };
  const vs = o.screenEdits ? await o.screenEdits(o.original, sliced, o.signal, (k, v) => !passes(k, v)) : await o.screen.parse(sliced.map((c) => c.fixed), { signal: o.signal });
  return vs.map((v, k) => passes(k, v));
}

/** Where to look for an edit: each reported error's place with the tokens its message names; and for
 * an opener never closed, where the indentation falls back to the opener's line (its closer belongs there). */
function errorAnchors(reports: { offset: number; message?: string; penalty?: number }[], lines: string[], starts: number[], lineOf: (offset: number) => number): ErrorAnchor[] {
  const anchors: ErrorAnchor[] = reports.map((r) => {
    const h = hintsFromMessage(r.message ?? '');
    return { offset: r.offset, hints: h.hints, extra: h.extra, ...(r.penalty ? { penalty: r.penalty } : {}), ...(h.names ? { names: true } : {}) };
  });
  for (const a of [...anchors]) {
    if (!a.hints.some((h) => h === ')' || h === ']' || h === '}')) continue;
    const end = blockEndLine(lines, lineOf(a.offset));
    if (end > lineOf(a.offset) + 1) anchors.push({ offset: (starts[end] ?? 0) + lines[end]!.replace(/\s+$/, '').length, hints: a.hints });
  }
  return anchors;
}

/** How much less surely a labelled span of rustc points at the broken token: its guess at the opener least. */
export function relatedPenalty(label: string): number {
  if (/nearest open delimiter|possibly meant for this/.test(label)) return 1;
  if (/^unclosed delimiter$/.test(label)) return 0.5;
  return 0;
}

/** The highest prior of each candidate and those after it (what rankSettled compares with; in prior order, the candidate's own). */
export function priorsAhead(todo: readonly TokenEditCandidate[]): number[] {
  const out = new Array<number>(todo.length);
  for (let i = todo.length - 1, m = -Infinity; i >= 0; i--) out[i] = m = Math.max(m, todo[i]!.prior);
  return out;
}

/** Candidates best first by the ranking's cheap terms (prior, pairs, the file's terms), ties in their order. */
export function byCheapTerms(todo: readonly TokenEditCandidate[], cheap: (c: TokenEditCandidate) => number): TokenEditCandidate[] {
  const scored = todo.map((c, i) => ({ c, i, s: cheap(c) }));
  return scored.sort((a, b) => b.s - a.s || a.i - b.i).map((x) => x.c);
}

/**
 * Whether `top` clean accepted candidates already have a prior above `nextPrior`: the candidates still to
 * parse (in prior order, none higher) could not enter the ranked set (rankAccepted: clean first, by prior).
 */
export function rankSettled(accepted: { c: TokenEditCandidate; v: ParseVerdict }[], nextPrior: number, top: number): boolean {
  let above = 0;
  for (const x of accepted) if (x.v.ok && x.c.prior > nextPrior && ++above >= top) return true;
  return false;
}

/**
 * How far a first edit that the parser still rejects got: 2 when it fixed the target and added no error
 * (the parser now reaches another one: the first of two broken tokens put right), 1 when the parser's
 * first error merely moved on, 0 otherwise (an edit that opens a string moves it too, but adds an error).
 */
export function progressStep(j: Judgement, v: ParseVerdict, origFirst: ParseError): number {
  if (j.targetGone && j.added.length === 0) return 2;
  const e = v.errors[0];
  return e && (e.line > origFirst.line || (e.line === origFirst.line && e.column > origFirst.column)) ? 1 : 0;
}

/** Seeds (the first ones, that fixed the parser's error) whose second edits include the file's names. */
const WORDY_SEEDS = 3;
const WORDY_PAIRS = 40;
/** Seeds that edit the same place (`replace ';' with ','`, `... with '.'`): at most this many. */
const SEEDS_PER_PLACE = 3;

/**
 * The first edits to extend: those that fixed the target first, then by prior; at most `max`, and at
 * most SEEDS_PER_PLACE at one place (a dozen signs typed at one spot would crowd out every other place).
 */
export function pairSeeds(progress: Progress[], max: number): Progress[] {
  const sorted = [...progress].sort((a, b) => b.step - a.step || b.c.prior - a.c.prior);
  const atPlace = new Map<number, number>();
  const out: Progress[] = [];
  for (const p of sorted) {
    if (out.length >= max) break;
    const place = p.c.edits[0]?.start ?? -1;
    const n = atPlace.get(place) ?? 0;
    if (n >= SEEDS_PER_PLACE) continue;
    atPlace.set(place, n + 1);
    out.push(p);
  }
  return out;
}

/** Two-token edits: a first edit that moved the error further, extended by one edit around the new error. */
function secondEdits(seed: Accepted, text: string, codeType: string, base: number, fileWords: boolean): TokenEditCandidate[] {
  const e = seed.v.errors[0]!;
  const at: ErrorAnchor = { offset: Math.min(seed.c.fixed.length, (lineStarts(seed.c.fixed)[e.line + base] ?? seed.c.fixed.length) + e.column), ...hintsFromMessage(e.message) };
  // around the error the first edit left (the one it fixed is gone); file words for the best seeds only:
  // every candidate is a copy of the file, and each seed makes its own set (familiarity orders them all)
  const words = fileWords ? { fileWords: FILE_WORDS[0], fileWordsWithin: 1.7 } : {};
  const second = [...proposeTokenEdits(seed.c.fixed, codeType, [at], { pairWeight: PROPOSE_PAIR_WEIGHT, ...words }), ...proposeSplits(seed.c.fixed, codeType, [at])];
  return second.sort((a, b) => b.prior - a.prior).map((c2) => ({
    ...c2,
    edits: bothEdits(text, seed.c, c2),
    label: `${seed.c.label}; ${c2.label}`,
    size: 2,
    prior: seed.c.prior + c2.prior - 1,
    ...(seed.c.familiarity !== undefined || c2.familiarity !== undefined ? { familiarity: (seed.c.familiarity ?? 0) + (c2.familiarity ?? 0) } : {}),
  }));
}

interface Accepted { c: TokenEditCandidate; v: ParseVerdict }
export interface RankNote { cheapFirst: string; cheapMargin: number; modelFirst: string }
export interface Progress extends Accepted { step: number }

/**
 * The order in which accepted candidates are offered: a candidate after which the parser reports
 * nothing comes before one that leaves an error elsewhere, then by prior; the best rankTop by the cheap
 * terms (prior, familiarity, triples), the model asked about those within modelWithin of the leader (a
 * token the message names, "expected ';'", is often not the one that was lost: a stray word before it
 * is), so a small lead decides nothing alone; a lead the model never overturned on the eval's cases
 * (seed 1: none beyond 12 nats) does. It chooses among the clean ones when there are any.
 */
async function rankAccepted(accepted: Accepted[], input: SyntaxSearchInput, limits: SyntaxSearchLimits, errorOffset: number): Promise<{ order: Accepted[]; ranked: number; note?: RankNote; cheap?: Map<TokenEditCandidate, number> }> {
  accepted.sort((a, b) => Number(b.v.ok) - Number(a.v.ok) || b.c.prior - a.c.prior || a.c.size - b.c.size);
  const clean = accepted.filter((x) => x.v.ok).length || accepted.length;
  if (!input.rank || clean <= 1) return { order: accepted, ranked: 0 };
  const top = accepted.slice(0, Math.min(clean, limits.rankTop));
  const w = input.priorWeight ?? DEFAULT_PRIOR_WEIGHT;
  const features = rankFeatures(input.text, input.codeType, errorOffset);
  const file = new Map(top.map((x) => [x, fileTerms(features(x.c.edits))]));
  // the model (most of a search's time) reads only the best by the cheap terms; the rest follow by them
  const cheap = (x: Accepted) => w * x.c.prior + RANK_PAIR_WEIGHT * (x.c.familiarity ?? 0) + file.get(x)!;
  const byCheap = [...top].sort((a, b) => cheap(b) - cheap(a));
  const cheapRead = syntaxStudy.trace ? new Map(top.map((x) => [x.c, cheap(x)])) : undefined;
  // those far behind the cheap leader the model would not lift (seed 1: it changed the winner only within 12 nats, an equal one within 6)
  const lead = cheap(byCheap[0]!);
  const modelTop = byCheap.slice(0, limits.modelTop).filter((x) => lead - cheap(x) <= limits.modelWithin);
  const note0 = { cheapFirst: byCheap[0]!.c.label, cheapMargin: lead - cheap(byCheap[1]!) };
  if (modelTop.length <= 1) return { order: [...byCheap, ...accepted.slice(top.length)], ranked: 0, note: { ...note0, modelFirst: note0.cheapFirst }, cheap: cheapRead };
  const scores = await input.rank(modelTop.map((x) => x.c.fixed));
  modelTop.forEach((x, i) => { x.c.score = scores[i]!; });
  const total = (x: Accepted) => x.c.score! + cheap(x);
  const scored = [...modelTop].sort((a, b) => total(b) - total(a));
  const note = { ...note0, modelFirst: scored[0]!.c.label };
  return { order: [...scored, ...byCheap.slice(modelTop.length), ...accepted.slice(top.length)], ranked: modelTop.length, note, cheap: cheapRead };
}

interface WinnerCheck {
  text: string;
  prover: SyntaxSearchInput['prover'];
  signal?: AbortSignal;
  path?: string;
  /** The caller's verdict on the whole text, when it has one. */
  originalVerdict?: ParseVerdict;
  /** Python: the top-level block the search parsed instead of the whole file. */
  block?: { start: number; end: number };
  base: number;
  origFirst: ParseError;
  /** Whether tree-sitter saw the original broken at this line too. */
  wasThere: (line: number) => boolean;
}

/**
 * The first of the best three that holds on its own: a verdict read from a batch must hold alone
 * (rustfmt's batch reports passed candidates whose file alone it rejects), and one found on a Python
 * block must hold for the whole file (judged against the whole file's own error); a file with errors
 * elsewhere says so in what proved it.
 */
async function confirmWinner(order: Accepted[], w: WinnerCheck): Promise<{ pick: Accepted; provenBy: string; remaining?: ParseError } | null> {
  const { text, prover, signal, path, block, base, origFirst, wasThere } = w;
  let wholeOriginal: ParseVerdict | undefined;
  for (const [i, pick] of order.entries()) {
    let provenBy = prover.name;
    let remaining: ParseError | undefined = pick.v.ok ? undefined : pick.v.errors[0] && { ...pick.v.errors[0], line: pick.v.errors[0].line + base };
    // (a prover whose batch verdicts are each text's own, gofmt's, needs no second look)
    if (!block && pick.v.ok && !prover.batchExact) {
      const [alone] = await prover.parse([pick.c.fixed], { signal, path });
      if (!alone!.ok) {
        if (i < 3) continue;
        break;
      }
    }
    if (block) {
      wholeOriginal ??= w.originalVerdict ?? (await prover.parse([text], { signal, path }))[0]!;
      const [whole] = await prover.parse([pick.c.fixed], { signal, path });
      const w0 = wholeOriginal.errors[0];
      const outside = (e: ParseError) => e.line < block.start || e.line > block.end;
      let holds: boolean;
      if (w0 && outside(w0)) {
        // an error in another block comes first: the whole file must still stop there, and nowhere else
        const w1 = whole!.errors[0];
        holds = !!w1 && w1.line === w0.line && w1.message === w0.message;
      } else {
        const j = judgeCandidate({ original: text, originalVerdict: wholeOriginal, target: w0 ?? origFirst, candidate: { fixed: pick.c.fixed, edits: pick.c.edits }, candidateVerdict: whole!, prover });
        // a first-error-only parser's error left in this block is the edit's doing; one in another block was hidden before
        holds = j.proven && (whole!.ok || (outside(whole!.errors[0]!) && wasThere(whole!.errors[0]!.line)));
      }
      if (!holds && i < 3) continue;
      if (!holds) break;
      remaining = whole!.ok ? undefined : whole!.errors[0];
      if (!whole!.ok) provenBy = `${prover.name} (lines ${block.start + 1}-${block.end + 1}; the file has another error)`;
    }
    return { pick, provenBy, remaining };
  }
  return null;
}

/**
 * A first edit of `text` and a second one of its result, as two edits of `text` (the second moved back
 * past the first); one span over both where they touch (the client sees two small edits, and the ranking
 * reads the window of each).
 */
export function bothEdits(text: string, first: TokenEditCandidate, second: TokenEditCandidate): { start: number; end: number; newText: string }[] {
  const [e1] = first.edits;
  const [e2] = second.edits;
  if (first.edits.length !== 1 || second.edits.length !== 1 || !e1 || !e2) return [spanEdit(text, second.fixed)];
  const grew = e1.newText.length - (e1.end - e1.start);
  const end1 = e1.start + e1.newText.length; // where the first edit's text ends in its result
  let out: { start: number; end: number; newText: string }[];
  if (e2.end < e1.start) out = [e2, e1];
  else if (e2.start > end1) out = [e1, { start: e2.start - grew, end: e2.end - grew, newText: e2.newText }];
  else return [spanEdit(text, second.fixed)];
  return applyOffsetEdits(text, out) === second.fixed ? out : [spanEdit(text, second.fixed)];
}

/** One edit that turns `text` into `fixed`: the span between their common start and common end. */
export function spanEdit(text: string, fixed: string): { start: number; end: number; newText: string } {
  let p = 0;
  while (p < text.length && p < fixed.length && text[p] === fixed[p]) p++;
  let s = 0;
  while (s < text.length - p && s < fixed.length - p && text[text.length - 1 - s] === fixed[fixed.length - 1 - s]) s++;
  return { start: p, end: text.length - s, newText: fixed.slice(p, fixed.length - s) };
}
