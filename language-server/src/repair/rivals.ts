// The rivals of a fix that passed the tests (issue 26: plausible-but-wrong fixes). The search proves a
// few candidates in a 12 s budget; most of the others were never run, and when the tests are weak some of
// them would pass too. All of them are called in one process on the tests' own calls and their mutants
// (tests/differential.ts, `screen`: a candidate that answers a recorded call unlike the fix is dropped at
// once): those that answer every recorded call as the fix does are its rivals (the tests cannot tell
// them apart), and a rival that answers a mutated input differently contests it. Then:
//   - the model reads the fix and its contested rivals; when it prefers a rival, that rival is proven by
//     the tests and, if it passes, replaces the fix (a fix the budget never reached: Python/0's abs());
//   - a fix still contested is not "proven": its title says that the tests pass but do not decide it.
// Python and JavaScript only (the calls are replayed in-process); a few hundred candidates take ~1 s.
import type { TestPlan } from './tests/plan';
import { replayBehaviour, canCompareBehaviour } from './tests/differential';
import { rivalsOf } from './tests/evidence';

export interface RivalCandidate {
  fixed: string;
  label: string;
  prior: number;
}

export interface RivalCheck<C extends RivalCandidate> {
  /** The fix after the check (the model's choice among the fix and its contested rivals, proven by the tests). */
  pick: C;
  /** The fix it replaced, when a rival won. */
  replaced?: C;
  /** Candidates that answer the tests' calls as the pick does, and those of them that behave differently elsewhere. */
  rivals: number;
  contested: C[];
  /** An input where the pick and a contested rival differ ("f(3) -> 4 | 5"). */
  example?: string;
  /** Candidates called (the pool), and why nothing was compared. */
  pool: number;
  note?: string;
  ms: number;
}

export interface RivalInput<C extends RivalCandidate> {
  plan: TestPlan;
  functionName: string;
  pick: C;
  /** Every other candidate of the search (proven or not, parsed or not: those that do not load drop out). */
  pool: C[];
  /**
   * Edits of the fix itself near its own edit (two edits from the original): they contest it like the pool
   * (the tests cannot tell them apart, a moved input can) but never replace it, being less likely fixes
   * than one edit the tests proved. A proof is then a claim about the fix's neighbourhood too.
   */
  neighbours?: C[];
  /** The model's scores of documents (higher is better; with the prior added by the caller's weight), if any. */
  score?: (docs: C[]) => Promise<number[]>;
  /** Proves one candidate with the tests (the search's session); true when it passes. */
  prove: (c: C) => Promise<boolean>;
  /** Contested rivals the model reads at most (the best by prior). */
  maxRead?: number;
  maxPool?: number;
  signal?: AbortSignal;
}

/** Whether the plan's calls can be replayed (pytest and node --test workspaces). */
export const canCheckRivals = canCompareBehaviour;

/**
 * The model reads the fix (all[0]) and its best contested rivals (`contested`, sorted here by prior); a rival
 * it prefers must pass the tests to win. The winner's index in `all` (0: the fix stays).
 */
async function preferredRival<C extends RivalCandidate>(all: C[], contested: number[], input: Pick<RivalInput<C>, 'score' | 'prove' | 'maxRead' | 'signal'>): Promise<number> {
  if (!contested.length || !input.score || input.signal?.aborted) return 0;
  const read = [0, ...contested.sort((a, b) => all[b]!.prior - all[a]!.prior).slice(0, input.maxRead ?? 8)];
  const scores = await input.score(read.map((i) => all[i]!));
  const best = read.map((i, k) => ({ i, s: scores[k]! })).sort((x, y) => y.s - x.s)[0]!;
  return best.i !== 0 && best.s > scores[0]! && (await input.prove(all[best.i]!)) ? best.i : 0;
}

/** The neighbours that are neither the fix nor a candidate of the pool already, `max` at most. */
function newNeighbours<C extends RivalCandidate>(pick: C, pool: C[], neighbours: C[] | undefined, max: number): C[] {
  const known = new Set([pick.fixed, ...pool.map((c) => c.fixed)]);
  return (neighbours ?? []).filter((c) => !known.has(c.fixed)).slice(0, max);
}

export async function checkRivals<C extends RivalCandidate>(input: RivalInput<C>): Promise<RivalCheck<C>> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const pool = input.pool.filter((c) => c.fixed !== input.pick.fixed).slice(0, input.maxPool ?? 400);
  const near = newNeighbours(input.pick, pool, input.neighbours, 120);
  const all = [input.pick, ...pool, ...near];
  const none = (note: string): RivalCheck<C> => ({ pick: input.pick, rivals: 0, contested: [], pool: pool.length, note, ms: ms() });
  if (pool.length + near.length === 0) return none('no other candidate');
  const replay = await replayBehaviour(input.plan, { trusted: true, candidates: all.map((c) => c.fixed), functionName: input.functionName, screen: true, signal: input.signal }).catch((e: unknown) => ({ note: String(e) }));
  if ('note' in replay) return none(replay.note);
  if (replay.recorded === 0) return none('no call of the function was recorded');
  const inPool = (i: number) => i <= pool.length;
  let found = rivalsOf(replay, 0);
  const at = await preferredRival(all, found.contested.filter(inPool), input);
  // the neighbours are the first fix's: a rival that replaced it answers to the pool alone
  if (at) found = (({ rivals, contested, example }) => ({ rivals: rivals.filter(inPool), contested: contested.filter(inPool), example }))(rivalsOf(replay, at));
  const replaced = at ? input.pick : undefined;
  return {
    pick: all[at]!, ...(replaced ? { replaced } : {}), rivals: found.rivals.length, contested: found.contested.map((i) => all[i]!),
    ...(found.example ? { example: found.example } : {}), pool: pool.length, ms: ms(),
  };
}

export interface MutantRivalInput<C extends RivalCandidate> {
  pick: C;
  /** Other candidates that passed the failing tests (the screen's), best first. */
  pool: C[];
  /** The fix's own edits near its edit that pass the failing tests too: they contest it, never replace it (RivalInput). */
  neighbours?: C[];
  /** Runs the candidates' documents on mutants of the tests: a signature per document (tests/screen.ts compareOnTestMutants). */
  compare: (docs: string[]) => Promise<{ signatures: string[] } | { none: string }>;
  score?: (docs: C[]) => Promise<number[]>;
  prove: (c: C) => Promise<boolean>;
  maxRead?: number;
  maxPool?: number;
  signal?: AbortSignal;
}

/** Where two signatures first differ, as "pick's line | rival's line". */
function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `${(x[i] ?? '-').slice(0, 80)} | ${(y[i] ?? '-').slice(0, 80)}`;
  return '';
}

/**
 * The rival check of the compiled languages (go test, cargo test): the fix and the other candidates that
 * passed the failing tests run on mutants of the tests (one integer literal moved by one, one build);
 * one that answers a mutant differently contests the fix, as the replay does for Python and JavaScript.
 */
export async function checkRivalsOnTestMutants<C extends RivalCandidate>(input: MutantRivalInput<C>): Promise<RivalCheck<C>> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const pool = input.pool.filter((c) => c.fixed !== input.pick.fixed).slice(0, input.maxPool ?? 8);
  const near = newNeighbours(input.pick, pool, input.neighbours, input.maxPool ?? 8);
  const all = [input.pick, ...pool, ...near];
  const none = (note: string): RivalCheck<C> => ({ pick: input.pick, rivals: pool.length + near.length, contested: [], pool: pool.length, note, ms: ms() });
  if (pool.length + near.length === 0) return none('no other candidate passes the tests');
  const cmp = await input.compare(all.map((c) => c.fixed)).catch((e: unknown) => ({ none: String(e) }));
  if ('none' in cmp) return none(cmp.none);
  const sig = cmp.signatures;
  const inPool = (k: number) => k <= pool.length;
  const contestedOf = (at: number) => all.map((_, k) => k).filter((k) => k !== at && sig[k] !== undefined && sig[k] !== sig[at]);
  const first = contestedOf(0);
  const at = await preferredRival(all, first.filter(inPool), input);
  // the neighbours are the first fix's: a rival that replaced it answers to the pool alone
  const contested = at ? contestedOf(at).filter(inPool) : first;
  const replaced = at ? input.pick : undefined;
  const example = contested.length ? firstDifference(sig[at]!, sig[contested[0]!]!) : undefined;
  return { pick: all[at]!, ...(replaced ? { replaced } : {}), rivals: pool.length + near.length, contested: contested.map((i) => all[i]!), ...(example ? { example } : {}), pool: pool.length, ms: ms() };
}
