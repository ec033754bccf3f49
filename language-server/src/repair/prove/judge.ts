// Does a candidate fix the target error, and add none anywhere? Given the prover's verdicts on the
// original document and on the candidate (`parse([original, ...candidates])`), each candidate error is
// mapped back through the candidate's edits into the original's coordinates and classed:
//  - inside the text the edit wrote                       -> added (the edit caused it)
//  - the target itself (same position, or same line and message) -> the target is still there
//  - another error of the original (same rule)            -> kept (it was there before)
//  - on a line after the target and every edited line, when the parser stops at its first error (Python, V8,
//    bash) and every edit is balanced (it writes as many of each bracket, quote and comment mark as
//    it removes): later (the text there is unchanged and read in the same state; the parser could
//    not show it before)
//  - anything else                                        -> added
// An unbalanced edit (one that opens a bracket or a string) moves a first-error-only parser's error far
// from the edit into unchanged text, so there such an error counts as added.
// proven: the target is gone and nothing was added.
import type { OffsetEdit } from '../text';
import type { ParseError, ParseVerdict } from '../types';
import { lineStartsOf, offsetOf, positionOf, type Prover } from './common';

export interface Judgement {
  proven: boolean;
  targetGone: boolean;
  /** Errors the candidate has that the original did not (in the candidate's coordinates). */
  added: ParseError[];
  /** Errors the original had too (other than the target). */
  kept: ParseError[];
  /** Errors past the target that a first-error-only parser could not have shown before. */
  later: ParseError[];
  /** One line for logs and "why not": what decided it. */
  reason: string;
}

export interface JudgeInput {
  original: string;
  originalVerdict: ParseVerdict;
  /** The error to fix, in the original's coordinates (usually one of originalVerdict.errors). */
  target: ParseError;
  candidate: { fixed: string; edits: readonly OffsetEdit[] };
  candidateVerdict: ParseVerdict;
  prover: Pick<Prover, 'firstErrorOnly' | 'precision'>;
  /** lineStartsOf(original), when the caller judges many candidates of one original (the screen). */
  originalStarts?: number[];
}

const MARKS = ['(', ')', '[', ']', '{', '}', '"', "'", '`', '#', '//', '/*', '*/', '<!--', '-->'];

/** The edit writes as many of each bracket, quote and comment mark as the text it replaces had. */
function balanced(original: string, e: OffsetEdit): boolean {
  const old = original.slice(e.start, e.end);
  const count = (s: string, m: string) => s.split(m).length - 1;
  return MARKS.every((m) => count(old, m) === count(e.newText, m));
}

type Mapped = { inEdit: true } | { inEdit: false; offset: number };

/** Maps a candidate offset back to the original through the (non-overlapping) edits. */
function mapBack(offset: number, edits: readonly OffsetEdit[]): Mapped {
  let delta = 0; // candidate offset - original offset, before the current edit
  for (const e of edits) {
    const candStart = e.start + delta;
    const candEnd = candStart + e.newText.length;
    if (offset < candStart) return { inEdit: false, offset: offset - delta };
    if (offset < candEnd) return { inEdit: true };
    delta += e.newText.length - (e.end - e.start);
  }
  return { inEdit: false, offset: offset - delta };
}

export function judgeCandidate(input: JudgeInput): Judgement {
  const { original, originalVerdict, target, candidate, candidateVerdict, prover } = input;
  const result: Judgement = { proven: false, targetGone: true, added: [], kept: [], later: [], reason: '' };
  if (candidateVerdict.ok) {
    return { ...result, proven: true, reason: 'the candidate parses without an error' };
  }
  const byLine = prover.precision === 'line';
  const edits = [...candidate.edits].sort((a, b) => a.start - b.start);
  const oStarts = input.originalStarts ?? lineStartsOf(original);
  const cStarts = lineStartsOf(candidate.fixed);
  const targetOffset = offsetOf(original, oStarts, target.line, byLine ? 0 : target.column);
  // a later error must lie on a line after every edited line (an error right after an inserted
  // indentation, say, is the edit's)
  const lastEditLine = edits.length > 0 ? positionOf(oStarts, Math.max(...edits.map((e) => e.end))).line : -1;
  const editedLines = new Set<number>();
  for (const e of edits) {
    const a = positionOf(oStarts, e.start).line;
    const b = positionOf(oStarts, e.end).line;
    for (let l = a; l <= b; l++) editedLines.add(l);
  }
  const same = (a: { line: number; column: number; message: string }, b: ParseError) =>
    a.line === b.line && (byLine || a.column === b.column || a.message === b.message);

  for (const err of candidateVerdict.errors) {
    const m = mapBack(offsetOf(candidate.fixed, cStarts, err.line, byLine ? 0 : err.column), edits);
    if (m.inEdit) {
      result.added.push(err);
      continue;
    }
    const at = { ...positionOf(oStarts, m.offset), message: err.message };
    if (byLine && editedLines.has(at.line)) {
      // bash names a line only: an error on an edited line may be the edit's or the old one
      if (at.line === target.line) result.targetGone = false;
      else result.added.push(err);
      continue;
    }
    if (same(at, target)) {
      result.targetGone = false;
      continue;
    }
    if (originalVerdict.errors.some((o) => same(at, o))) {
      result.kept.push(err);
      continue;
    }
    if (prover.firstErrorOnly && m.offset > targetOffset && at.line > lastEditLine && edits.every((e) => balanced(original, e))) {
      result.later.push(err);
      continue;
    }
    result.added.push(err);
  }
  result.proven = result.targetGone && result.added.length === 0;
  const where = (e: ParseError) => `line ${e.line + 1}: ${e.message}`;
  result.reason = !result.targetGone
    ? `the error is still there (${where(target)})`
    : result.added.length > 0
      ? `the candidate adds an error (${where(result.added[0]!)})`
      : result.later.length > 0
        ? `fixes the error; the parser now reaches a later one (${where(result.later[0]!)})`
        : result.kept.length > 0
          ? `fixes the error; ${result.kept.length} other error(s) of the original remain`
          : 'fixes the error';
  return result;
}

/** The original's error a diagnostic at (line, column) is about: the nearest one, same line first. */
export function nearestError(v: ParseVerdict, at: { line: number; column: number }): ParseError | undefined {
  let best: ParseError | undefined;
  let bestKey = Infinity;
  for (const e of v.errors) {
    const key = Math.abs(e.line - at.line) * 1_000_000 + Math.abs(e.column - at.column);
    if (key < bestKey) {
      best = e;
      bestKey = key;
    }
  }
  return best;
}

export interface ProofRun {
  originalVerdict: ParseVerdict;
  /** The error the candidates were judged against (the original's error nearest `at`). */
  target: ParseError | undefined;
  /** One per candidate, in order; empty when the prover finds no error in the original to fix. */
  judgements: Judgement[];
}

/**
 * One prover call for the original and every candidate, then a judgement per candidate against the
 * original's error nearest `at` (the diagnostic's position).
 */
export async function proveCandidates(
  prover: Prover,
  original: string,
  candidates: readonly { fixed: string; edits: readonly OffsetEdit[] }[],
  at: { line: number; column: number },
  o: { signal?: AbortSignal; path?: string } = {},
): Promise<ProofRun> {
  const [originalVerdict, ...verdicts] = await prover.parse([original, ...candidates.map((c) => c.fixed)], o);
  const target = nearestError(originalVerdict!, at);
  if (!target) return { originalVerdict: originalVerdict!, target, judgements: [] };
  const judgements = candidates.map((candidate, i) =>
    judgeCandidate({ original, originalVerdict: originalVerdict!, target, candidate, candidateVerdict: verdicts[i]!, prover }));
  return { originalVerdict: originalVerdict!, target, judgements };
}
