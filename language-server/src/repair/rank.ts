// The model ranks: each candidate's fixed region is scored by its log-probability as the answer to the
// CodeFix prompt (markers included). Candidates share the prompt and the answer's start, fed once; what
// differs is scored for all of them in one model step (tree attention, LogitsSession.scoreBranches).
import { logSoftmaxAt, type LogitsSource } from '../runtime';
import { DecodeAbortedError } from '../decode';

/**
 * What the model scores of each candidate document as a fix of `region`: its lines from the region's
 * start to the line after the last one any candidate changes (all of them when one adds or drops lines),
 * after a line break; `last`: the text runs to the region's end (the answer's end token follows it).
 */
export function answerLines(origLines: readonly string[], region: { startLine: number; endLine: number }, docs: readonly string[]): { text: string; last: boolean }[] {
  const { startLine, endLine } = region;
  const docLines = docs.map((d) => d.split(/\r?\n/));
  let last = startLine;
  for (const dl of docLines) {
    if (dl.length !== origLines.length) { last = endLine; break; }
    for (let i = endLine; i > last; i--) if (dl[i] !== origLines[i]) { last = i; break; }
  }
  return docLines.map((dl) => {
    const end = endLine + dl.length - origLines.length;
    const stop = Math.min(end, last + 1);
    return { text: '\n' + dl.slice(startLine, stop + 1).join('\n'), last: stop >= end };
  });
}

/** Most branch tokens scored in one model step (the attention bias grows with their square). */
const MAX_STEP_TOKENS = 768;

/** The longest common prefix of several token sequences. */
export function commonPrefix(seqs: readonly (readonly number[])[]): number {
  if (seqs.length === 0) return 0;
  let n = 0;
  for (;;) {
    const t = seqs[0]![n];
    if (t === undefined || seqs.some((s) => s[n] !== t)) return n;
    n++;
  }
}

/**
 * Sum of log-probabilities of each answer (token ids) after the prompt (ids, marker list included).
 * One feed of the prompt and the answers' common start, then the rest of every answer in steps of at
 * most MAX_STEP_TOKENS tokens. A model without branch scoring is fed answer by answer (slow; tests).
 */
export async function scoreAnswers(model: LogitsSource, promptIds: readonly number[], answers: readonly (readonly number[])[], signal?: AbortSignal, scope?: object): Promise<number[]> {
  if (answers.length === 0) return [];
  const shared = commonPrefix(answers);
  const head = [...promptIds, ...answers[0]!.slice(0, shared)];
  const session = model.start(scope);
  try {
    if (signal?.aborted) throw new DecodeAbortedError();
    const first = await session.feed(head);
    // the shared tokens' own log-probabilities are the same for every answer: left out of the sums
    const rests = answers.map((a) => a.slice(shared));
    if (session.scoreBranches) {
      const sums: number[] = new Array(answers.length).fill(0);
      let i = 0;
      while (i < rests.length) {
        let j = i;
        let n = 0;
        while (j < rests.length && (j === i || n + rests[j]!.length <= MAX_STEP_TOKENS)) n += rests[j++]!.length;
        if (signal?.aborted) throw new DecodeAbortedError();
        const lps = await session.scoreBranches(rests.slice(i, j), first);
        lps.forEach((l, k) => { sums[i + k] = l.reduce((s, x) => s + x, 0); });
        i = j;
      }
      return sums;
    }
    // fallback: one session per answer
    const sums: number[] = [];
    for (const rest of rests) {
      if (signal?.aborted) throw new DecodeAbortedError();
      const s = model.start();
      try {
        let logits = await s.feed(head);
        let sum = 0;
        for (const id of rest) {
          sum += logSoftmaxAt(logits)(id);
          logits = await s.feed([id]);
        }
        sums.push(sum);
      } finally {
        s.dispose();
      }
    }
    return sums;
  } finally {
    session.dispose();
  }
}

/** Where a candidate document differs from the original, in lines (0-based, within a region). */
export interface LineEditWindow {
  /** First line that differs (the same in both documents: the lines before it are shared). */
  first: number;
  /** Last line of the candidate's window (its own numbering): one line past its last change. */
  stop: number;
  /** The original's line matching `stop` (stop minus the lines the candidate adds). */
  origStop: number;
}

/** The window of one candidate: from its first changed line to one line past its last (capped at the region's end). */
export function lineEditWindow(orig: readonly string[], doc: readonly string[], startLine: number, endLine: number): LineEditWindow | undefined {
  const delta = doc.length - orig.length;
  const end = endLine + delta;
  let first = startLine;
  while (first <= Math.min(end, endLine) && doc[first] === orig[first]) first++;
  if (first > end && first > endLine) return undefined; // the same region
  let last = end;
  while (last >= first && last - delta >= first && doc[last] === orig[last - delta]) last--;
  const stop = Math.min(end, Math.max(first, last + 1));
  return { first: Math.min(first, end), stop, origStop: stop - delta };
}

/** One group of a line-edit scoring plan: the candidates whose first changed line is the same, scored after one prefix. */
export interface LineEditGroup {
  /** The prompt head and the original's lines before the group's first changed line. */
  prefix: number[];
  /** The candidates' windows, then the original's matching windows (bases). */
  answers: number[][];
  bases: number[][];
  /** candidate document index -> its answer and base index within this group. */
  members: { doc: number; answer: number; base: number }[];
}

/**
 * What scoreLineEdits feeds the model, without a model: the groups of candidates by their first changed
 * line, each with its prefix, the candidates' windows and the original's. The evaluation's ranking dump
 * and the ranking fine-tune (models/train/rank_train.py) score exactly these token ids.
 */
export function lineEditPlan(
  head: readonly number[],
  orig: readonly string[],
  docs: readonly (readonly string[])[],
  region: { startLine: number; endLine: number },
  tok: { encode: (s: string) => number[]; endId: number },
): LineEditGroup[] {
  const { startLine, endLine } = region;
  const pieces = new Map<string, number[]>();
  const piece = (line: string) => { let p = pieces.get(line); if (!p) pieces.set(line, (p = tok.encode('\n' + line))); return p; };
  const span = (lines: readonly string[], from: number, to: number, last: number) => {
    const ids: number[] = [];
    for (let i = from; i <= to; i++) ids.push(...piece(lines[i] ?? ''));
    if (to >= last) ids.push(tok.endId);
    return ids;
  };
  const windows = docs.map((d) => lineEditWindow(orig, d, startLine, endLine));
  const firsts = [...new Set(windows.flatMap((w) => (w ? [w.first] : [])))].sort((a, b) => a - b);
  const prefix = [...head];
  let fed = startLine;
  const groups: LineEditGroup[] = [];
  for (const first of firsts) {
    for (; fed < first; fed++) prefix.push(...piece(orig[fed] ?? ''));
    const group = windows.flatMap((w, i) => (w?.first === first ? [i] : []));
    const answers = group.map((i) => span(docs[i]!, first, windows[i]!.stop, endLine + docs[i]!.length - orig.length));
    const baseStops = [...new Set(group.map((i) => windows[i]!.origStop))];
    const bases = baseStops.map((s) => span(orig, first, Math.max(first - 1, s), endLine));
    groups.push({ prefix: [...prefix], answers, bases, members: group.map((i, k) => ({ doc: i, answer: k, base: baseStops.indexOf(windows[i]!.origStop) })) });
  }
  return groups;
}

/**
 * Scores of candidate documents as edits of `orig` inside region [startLine, endLine]: each one's
 * log-probability from its first changed line to one line past its last change (the CodeFix answer
 * after `head`), minus the original's over its matching lines: how much likelier the code is with the
 * edit than without it, with a line of look-ahead. Candidates are grouped by their first changed line
 * and each group is scored after the original's lines before it, fed once for all groups (the scope's
 * prefix reuse): a candidate costs the tokens of its own lines, not of the whole region. The answer's
 * lines are encoded one by one ('\n' + line, as the answer is written), the end mark after the last.
 */
export async function scoreLineEdits(
  model: LogitsSource,
  head: readonly number[],
  orig: readonly string[],
  docs: readonly (readonly string[])[],
  region: { startLine: number; endLine: number },
  tok: { encode: (s: string) => number[]; endId: number },
  signal?: AbortSignal,
  scope: object = {},
): Promise<number[]> {
  const scores = new Array<number>(docs.length).fill(0);
  for (const g of lineEditPlan(head, orig, docs, region, tok)) {
    const lps = await scoreAnswers(model, g.prefix, [...g.answers, ...g.bases], signal, scope);
    for (const m of g.members) scores[m.doc] = lps[m.answer]! - lps[g.answers.length + m.base]!;
  }
  return scores;
}
