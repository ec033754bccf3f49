// The tested repair search (issue 26): the user's own tests prove a fix of a behaviour bug.
//   open: find the tests, run them once in a scratch copy (baseline + suspicious lines of the function)
//   propose: single edits at the most suspicious lines (propose-semantic.ts), screened by the parser
//   prove: in prior order in scratch copies, collecting the first few that pass what passed before plus
//          the failing tests; the model's own rewrite is proven too when few pass
//   rank: the model picks among those that pass (log-probability of the fixed region + the edit's
//          prior): weak tests let several edits pass, and the likeliest code is the likeliest fix
// Nothing runs without trust; tests that already pass mean there is nothing to fix.
import { proposeSemanticEdits, type SemanticCandidate, type SuspectLine } from './propose-semantic';
import { TestSession, testCandidatesOf, type TestReport } from './tests';
import { canCompareBehaviour, compareBehaviour, type BehaviourResult } from './tests/differential';
import type { TestFailure } from './tests/report';
import { canCheckRivals, checkRivals, checkRivalsOnTestMutants, type RivalCheck } from './rivals';

export interface SemanticLimits {
  /** Suspicious lines edited (more at a tie with the last one). */
  lines: number;
  /**
   * Candidates that pass collected before the model picks among them. 0 (the default): 1 where the rival
   * check replays every other candidate anyway (pytest, node: proving more only repeats it, at ~1 s a run;
   * the e2e sample's fix went from p50 4.0 s to 0.5 s), else 3.
   */
  plausible: number;
  /** Candidates proven at most. */
  prove: number;
  /** Proving stops after this many milliseconds (then says so). */
  budgetMs: number;
  /** With a model: score every candidate first and prove the likeliest first (else prior order, the model picks among those that pass). */
  rankFirst: boolean;
  /**
   * When the candidates that pass behave differently on the tests' calls and their mutants
   * (tests/differential.ts): 'abstain' offers none (the tests do not say which is meant), 'best' the
   * best-ranked anyway and says so, 'off' does not compare. Default 'best': on HumanEvalFix Python the
   * model's pick among fixes that disagree was right more often than wrong (session 16 report).
   */
  ambiguous: 'abstain' | 'best' | 'off';
  /**
   * After a fix passes: every other candidate called on the tests' calls and their mutants (repair/rivals.ts).
   * A rival the model prefers is proven and may replace the fix; a fix that rivals still contest is titled
   * "passes the tests, which do not decide it" instead of "proven" ('abstain' withholds it).
   */
  rivals: boolean;
  /** Compiled languages (go test, cargo test): candidates screened by one build of them all (0: no screen). */
  screen: number;
}

export const DEFAULT_SEMANTIC_LIMITS: SemanticLimits = { lines: 8, plausible: 0, prove: 40, budgetMs: 30_000, rankFirst: false, ambiguous: 'best', rivals: true, screen: 300 };
/** How much an edit's prior counts beside the model's log-probability (nats per prior unit). */
export const SEMANTIC_PRIOR_WEIGHT = 1;

/** A candidate from elsewhere (the model's rewrite): a whole document with a label. */
export interface ExtraCandidate {
  fixed: string;
  label: string;
}

export interface SemanticSearchInput {
  text: string;
  codeType: string;
  /** The file on disk (its workspace copy gets the candidate text) and the workspace root. */
  file: string;
  root: string;
  trusted: boolean;
  /** A shell command that proves a candidate by exiting 0 (run in the scratch copy). */
  verifyCommand?: string;
  /** Builds what verifyCommand runs (treasure.verify.build): then one build screens many candidates. */
  verifyBuild?: string;
  /** Test files that must be among the tests (a failing test the user pointed at). */
  testFiles?: string[];
  /** The function to fix, 1-based inclusive lines. */
  fromLine: number;
  toLine: number;
  functionName?: string;
  /** Model scores of candidate documents (higher is better); none: the prior decides. `failed`: the
   * baseline's failing tests (the model may read the first one, repair/failure.ts). */
  rank?: (docs: string[], failed: TestFailure[]) => Promise<number[]>;
  priorWeight?: number;
  /** Whether each document parses (candidates that do not are never run). */
  parses?: (docs: string[]) => Promise<boolean[]>;
  /** The model's own answer, asked for only when the best few operator candidates fail. */
  extra?: (failed: TestFailure[]) => Promise<ExtraCandidate | null>;
  limits?: Partial<SemanticLimits>;
  signal?: AbortSignal;
}

export type SemanticOutcome = 'proven' | 'no_fix' | 'tests_pass' | 'no_tests' | 'untrusted' | 'not_run';

export interface SemanticFix {
  fixed: string;
  label: string;
  origin: 'operator' | 'model';
  edits?: SemanticCandidate['edits'];
  /** "pytest: 6/6 tests pass (test_ten_is_small fixed)" */
  provenBy: string;
  /** The proof in numbers: tests that pass of those that ran, and the failing ones it fixed (ids). */
  tests?: { passed: number; total: number; fixed: string[] };
  /** Other edits that pass the tests (or answer their calls alike) and behave differently: the tests do not decide this fix. */
  contested?: number;
  /** The fix that passed first, when a rival the model preferred replaced it (its label and document). */
  replaced?: string;
  replacedFixed?: string;
}

/** The screen of a search (tests/screen.ts): candidates built into one program, how many passed the failing tests, failed them, did not compile; builds, time; `note`: why there was none. */
export type ScreenSummary = { candidates: number; passed: number; failed: number; broken: number; builds: number; note?: string; ms: number };

export interface SemanticSearchResult {
  outcome: SemanticOutcome;
  fix: SemanticFix | null;
  reason?: string;
  /** The baseline's summary ("pytest: 5 passed, 1 failed"), when the tests ran. */
  baseline?: string;
  /** The failing tests a fix must make pass. */
  targets: string[];
  proposed: number;
  ranked: number;
  /** Candidates whose tests started. */
  tried: number;
  /** Time spent running tests (baseline and proofs). */
  verifyMs: number;
  /** Time the model spent scoring candidates, and writing its own answer. */
  rankMs?: number;
  /** Candidates that passed the tests, and how they behave beyond them (when two or more passed). */
  plausible?: number;
  behaviour?: Omit<BehaviourResult, 'ms'> & { ms: number };
  /** The screen, when the runner has one (compiled languages). */
  screen?: ScreenSummary;
  /** The rival check (repair/rivals.ts): candidates called, rivals, contested ones, its time. */
  rivals?: { pool: number; rivals: number; contested: number; replaced?: string; note?: string; ms: number };
  modelMs?: number;
  ms: number;
}

/** A test's short name: "tests/test_a.py::test_x" -> "test_x". */
export function shortTestName(name: string): string {
  const parts = name.split(/::| > /);
  return parts[parts.length - 1]!;
}

function listNames(names: string[], max = 3): string {
  const short = names.map(shortTestName);
  return short.length <= max ? short.join(', ') : `${short.slice(0, max).join(', ')} and ${short.length - max} more`;
}

/** Of the candidates that pass, the one the model finds likeliest (with the edit's prior), scoring those not scored before. */
async function pickLikeliest<T extends { c: { fixed: string; prior: number; size: number }; score?: number }>(
  passing: T[], rank: ((docs: string[]) => Promise<number[]>) | undefined, scoreOf: Map<string, number>, w: number,
): Promise<{ pick: T | undefined; ranked: number }> {
  if (!rank || passing.length <= 1) return { pick: passing[0], ranked: 0 };
  // scores of the ones not scored before (all of them without rankFirst; the model's own answer)
  const ranked = await scoreMissing(passing.map((x) => x.c), rank, scoreOf, w);
  passing.forEach((x) => { x.score = scoreOf.get(x.c.fixed)!; });
  return { pick: [...passing].sort((x, y) => y.score! - x.score! || x.c.size - y.c.size)[0], ranked };
}

/** Puts the model's score plus the weighted prior of every candidate not scored before into `scoreOf`; how many it scored. */
async function scoreMissing(cs: { fixed: string; prior: number }[], rank: (docs: string[]) => Promise<number[]>, scoreOf: Map<string, number>, w: number): Promise<number> {
  const need = cs.filter((c) => !scoreOf.has(c.fixed));
  if (need.length) {
    const scores = await rank(need.map((c) => c.fixed));
    need.forEach((c, i) => scoreOf.set(c.fixed, scores[i]! + w * c.prior));
  }
  return need.length;
}

/**
 * The first `want` candidates (in their order) that the parser accepts, screened a chunk at a time: a
 * compiler's screen (g++ -fsyntax-only, rustc) costs a fraction of a second a text, and only the first
 * `want` that parse are ever proven, so the rest of a long list is never parsed.
 */
export async function screenInOrder<T extends { fixed: string }>(cands: T[], parses: (docs: string[]) => Promise<boolean[]>, want: number): Promise<T[]> {
  const kept: T[] = [];
  for (let at = 0; at < cands.length && kept.length < want; ) {
    const chunk = cands.slice(at, at + Math.max(1, want - kept.length));
    at += chunk.length;
    const ok = await parses(chunk.map((c) => c.fixed));
    chunk.forEach((c, i) => { if (ok[i]) kept.push(c); });
  }
  return kept;
}

/** The workspace's tests opened and run once before any change; or why there is nothing to prove with them. */
async function openTests(input: SemanticSearchInput, ms: () => number): Promise<TestSession | Pick<SemanticSearchResult, 'outcome' | 'reason' | 'verifyMs' | 'baseline'>> {
  let opened: Awaited<ReturnType<typeof TestSession.open>>;
  try {
    opened = await TestSession.open(input.file, input.root, {
      trusted: true, verifyCommand: input.verifyCommand, verifyBuild: input.verifyBuild, testFiles: input.testFiles, functionName: input.functionName, fromLine: input.fromLine, toLine: input.toLine, signal: input.signal,
    });
  } catch (e) {
    if (input.signal?.aborted) throw e;
    // a workspace too large to copy, a runner that cannot start: the tests prove nothing here
    return { outcome: 'not_run', reason: `the tests could not run: ${(e as Error).message}`, verifyMs: ms() };
  }
  const verifyMs = ms();
  if (!(opened instanceof TestSession)) return { outcome: 'no_tests', reason: opened.none, verifyMs };
  const base = opened.baseline;
  if (base.errors.length && base.passed.length + base.failed.length === 0) {
    return { outcome: 'not_run', baseline: base.summary, reason: `the tests did not run before any change: ${base.errors[0]!.split('\n')[0]}`, verifyMs };
  }
  // a run that timed out with no failure recorded is no evidence that the tests pass
  if (base.failed.length === 0 && (base.timedOut || base.cancelled)) {
    return { outcome: 'not_run', baseline: base.summary, reason: `the tests did not finish before any change (${base.summary}): nothing to prove against`, verifyMs };
  }
  if (base.failed.length === 0) return { outcome: 'tests_pass', baseline: base.summary, reason: `the tests pass (${base.summary}): nothing to fix`, verifyMs };
  return opened;
}

/** The most suspicious lines of the function (more at a tie with the last one); undefined: the spectrum says nothing, so all of them. */
function suspectLines(session: TestSession, input: SemanticSearchInput, max: number): SuspectLine[] | undefined {
  const inFn = session.suspicious.filter((l) => l.line >= input.fromLine && l.line <= input.toLine);
  if (inFn.length === 0) return undefined;
  const cut = inFn[Math.min(max, inFn.length) - 1]!.score;
  return inFn.filter((l, i) => i < max || l.score >= cut).map((l) => ({ line: l.line, score: l.score }));
}

/** What proved a fix: the runner, the tests that pass, the ones it fixed. */
/** How far from the fix's own line its neighbours' edits lie (repair/rivals.ts `neighbours`). */
const NEIGHBOUR_LINES = 2;
/** The neighbours' screen runs their tests this long at most (the build aside). */
const NEIGHBOUR_SCREEN_MS = 4000;

/**
 * The operator edits of a fix near its own edit (the fix's neighbours: two edits from the original). On
 * HumanEvalFix Python (session 21 study) they contested 4 of the 5 wrong fixes that passed the example
 * tests uncontested, and 10 of 52 right ones. None for the model's own answers (no line of their own).
 */
function neighboursOf(fix: { fixed: string; line?: number }, input: Pick<SemanticSearchInput, 'text' | 'codeType' | 'fromLine' | 'toLine'>): SemanticCandidate[] {
  if (fix.line === undefined) return [];
  const shift = fix.fixed.split('\n').length - input.text.split('\n').length;
  return proposeSemanticEdits(fix.fixed, input.codeType, { fromLine: input.fromLine, toLine: input.toLine + shift })
    .filter((c) => Math.abs(c.line - fix.line!) <= NEIGHBOUR_LINES && c.fixed !== input.text);
}

/** The fix's neighbours that pass the failing tests as it does (compiled languages: one more build of the screen). */
async function screenNeighbours(session: TestSession, fix: { fixed: string; line?: number }, input: SemanticSearchInput): Promise<SemanticCandidate[]> {
  if (!session.canScreen || input.signal?.aborted) return [];
  const near = neighboursOf(fix, input).slice(0, 120);
  if (near.length === 0) return [];
  const r = await session.screen(input.text, near.map((c) => c.fixed), input.fromLine, input.toLine, { signal: input.signal, runUntilMs: NEIGHBOUR_SCREEN_MS, enough: 8 }).catch((e: Error) => ({ none: e.message }));
  return 'none' in r ? [] : r.passed.map((i) => near[i]!);
}

export function provenByWords(report: TestReport, targets: string[]): string {
  const total = report.passed.length + report.failed.length;
  const runner = report.runner === 'command' ? 'verify command' : report.runner;
  if (report.runner === 'command') return `${runner}: exits 0 (${listNames(report.passed)})`;
  return `${runner}: ${report.passed.length}/${total} tests pass (${listNames(targets)} fixed)`;
}

export async function searchSemanticFix(input: SemanticSearchInput): Promise<SemanticSearchResult> {
  const t0 = performance.now();
  const limits = { ...DEFAULT_SEMANTIC_LIMITS, ...input.limits };
  const ms = () => Math.round(performance.now() - t0);
  const empty = { fix: null, targets: [] as string[], proposed: 0, ranked: 0, tried: 0 };
  if (!input.trusted) {
    return { ...empty, outcome: 'untrusted', reason: 'the workspace is not trusted: its tests were not run (trust the folder to have fixes proven by its tests)', verifyMs: 0, ms: ms() };
  }
  const opened = await openTests(input, ms);
  if (!(opened instanceof TestSession)) return { ...empty, ...opened, ms: ms() };
  const session = opened;
  const plausible = limits.plausible > 0 ? limits.plausible : limits.rivals && canCheckRivals(session.plan) ? 1 : 3;
  const base = session.baseline;
  const targets = base.failed.map((f) => f.name);
  let verifyMs = ms();

  // where: the most suspicious lines of the function (all of them when the spectrum says nothing)
  const lines = suspectLines(session, input, limits.lines);
  let cands = proposeSemanticEdits(input.text, input.codeType, { fromLine: input.fromLine, toLine: input.toLine, lines });
  const proposed = cands.length;
  const allProposed = cands;
  // compiled languages: one build of every candidate, the failing tests run once per candidate (the
  // screen, tests/screen.ts); those that fail them are never proven, those that pass are proven first
  let screen: SemanticSearchResult['screen'];
  let screenMs = 0;
  let passedScreen = new Set<SemanticCandidate>();
  if (session.canScreen && cands.length > 0 && limits.screen > 0) {
    const list = cands.slice(0, limits.screen);
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), limits.budgetMs);
    const onStop = () => stop.abort();
    input.signal?.addEventListener('abort', onStop, { once: true });
    const ts = performance.now();
    const r = await session.screen(input.text, list.map((c) => c.fixed), input.fromLine, input.toLine, {
      signal: stop.signal,
      // the proofs keep at least 40% of the time; a few that pass are enough to choose from
      runUntilMs: 0.6 * limits.budgetMs, enough: 2 * plausible,
    }).catch((e: Error) => ({ none: e.message }));
    clearTimeout(timer);
    input.signal?.removeEventListener('abort', onStop);
    screenMs = Math.round(performance.now() - ts);
    if ('none' in r) screen = { candidates: list.length, passed: 0, failed: 0, broken: 0, builds: 0, note: r.none, ms: screenMs };
    else {
      screen = { candidates: list.length - r.unscreened.length, passed: r.passed.length, failed: r.failed.length, broken: r.broken.length, builds: r.builds, ms: screenMs };
      passedScreen = new Set(r.passed.map((i) => list[i]!));
      const rest = r.unscreened.map((i) => list[i]!);
      cands = [...passedScreen, ...(input.parses && rest.length ? await screenInOrder(rest, input.parses, limits.prove) : rest)];
    }
  }
  // never run what does not parse (the screen is cheap beside a test run)
  if (!screen?.builds && input.parses && cands.length) {
    if (input.rank && limits.rankFirst) {
      const ok = await input.parses(cands.map((c) => c.fixed));
      cands = cands.filter((_, i) => ok[i]);
    } else cands = await screenInOrder(cands, input.parses, limits.prove);
  }
  // the order of proof: the model's score with the edit's prior over every candidate (the likeliest
  // are proven first: fewer test runs), or the prior alone; collect up to `plausible` candidates that
  // pass; the model's own answer joins them when few do; then the best-ranked of those that pass wins
  // (several edits can pass weak tests: prefer the likeliest code)
  const w = input.priorWeight ?? SEMANTIC_PRIOR_WEIGHT;
  let rankMs = 0;
  let ranked = 0;
  const scoreOf = new Map<string, number>();
  if (input.rank && limits.rankFirst && cands.length > 1) {
    const tr = performance.now();
    const scores = await input.rank(cands.map((c) => c.fixed), base.failed);
    rankMs += Math.round(performance.now() - tr);
    ranked = cands.length;
    cands.forEach((c, i) => scoreOf.set(c.fixed, scores[i]! + w * c.prior));
    // those that passed the screen stay first
    const first = (c: SemanticCandidate) => (passedScreen.has(c) ? 0 : 1);
    cands = cands.map((c, i) => ({ c, i })).sort((x, y) => first(x.c) - first(y.c) || scoreOf.get(y.c.fixed)! - scoreOf.get(x.c.fixed)! || x.c.size - y.c.size || x.i - y.i).map((x) => x.c);
  }
  const order = cands.slice(0, limits.prove);
  const budget = new AbortController();
  const proveStart = ms();
  let extraMs = 0;
  // the screen's time is the proof's too
  let timer = setTimeout(() => budget.abort(), Math.max(0, limits.budgetMs - screenMs));
  const onAbort = () => budget.abort();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  let tried = 0;
  const rel = session.plan.file;
  type Pending = { fixed: string; label: string; origin: 'operator' | 'model'; edits?: SemanticCandidate['edits']; prior: number; size: number; line?: number };
  const passing: { c: Pending; report: TestReport; targets: string[]; score?: number }[] = [];
  /** Proves `list` best-first, collecting winners until `want` pass or the list ends. */
  const proveAll = async (list: Pending[], want: number) => {
    let rest = list;
    while (rest.length > 0 && passing.length < want && !budget.signal.aborted) {
      const t = performance.now();
      const r = await session.prove(testCandidatesOf(rel, rest), { signal: budget.signal });
      verifyMs += Math.round(performance.now() - t);
      if (r.winner === undefined || !r.report) { tried += r.tried; break; }
      const i = Number(r.winner);
      tried += i + 1; // the ones after the winner were cancelled: they run again in the next round
      passing.push({ c: rest[i]!, report: r.report, targets: r.targets });
      rest = rest.slice(i + 1);
    }
  };
  const asPending = (c: SemanticCandidate): Pending => ({ fixed: c.fixed, label: c.label, origin: 'operator', edits: c.edits, prior: c.prior, size: c.size, line: c.line });
  try {
    await proveAll(order.map(asPending), plausible);
    if (input.extra && passing.length < 2 && !budget.signal.aborted && !input.signal?.aborted) {
      // the model's decode does not count against the proving budget
      const te = performance.now();
      const own = await input.extra(base.failed).catch(() => null);
      extraMs = Math.round(performance.now() - te);
      clearTimeout(timer);
      timer = setTimeout(() => budget.abort(), Math.max(0, limits.budgetMs - screenMs - (ms() - proveStart - extraMs)));
      if (own && own.fixed !== input.text && !order.some((c) => c.fixed === own.fixed)) await proveAll([{ fixed: own.fixed, label: own.label, origin: 'model', prior: 0, size: 0 }], passing.length + 1);
    }
  } finally {
    clearTimeout(timer);
    input.signal?.removeEventListener('abort', onAbort);
  }
  const tp = performance.now();
  const picked = await pickLikeliest(passing, input.rank && ((docs) => input.rank!(docs, base.failed)), scoreOf, w);
  if (picked.ranked) { rankMs += Math.round(performance.now() - tp); ranked += picked.ranked; }
  const pick = picked.pick;
  // do the ones that pass agree beyond the tests? (weak tests let wrong edits pass)
  /** Why a fix the tests do not decide is withheld ('abstain'): n fixes pass and disagree beyond the tests. */
  const undecided = (n: number, where: string | undefined, likeliest: string) =>
    `${n} different fixes pass ${listNames(targets)} and they disagree beyond the tests (${where ?? 'on other inputs'}): unverified, not offered; the likeliest: ${likeliest} (${tried} candidates tried, ${(ms() / 1000).toFixed(1)} s)`;
  let behaviour: SemanticSearchResult['behaviour'];
  if (pick && passing.length > 1 && limits.ambiguous !== 'off' && input.functionName && canCompareBehaviour(session.plan) && !input.signal?.aborted) {
    const ordered = [pick, ...passing.filter((x) => x !== pick)];
    behaviour = await compareBehaviour(session.plan, { trusted: true, candidates: ordered.map((x) => x.c.fixed), functionName: input.functionName, signal: input.signal }).catch(() => undefined);
    if (behaviour && behaviour.groups.length > 1 && limits.ambiguous === 'abstain') {
      const common = { baseline: base.summary, targets, proposed, ranked, tried, verifyMs, rankMs, modelMs: extraMs, plausible: passing.length, behaviour, screen };
      return { ...common, outcome: 'no_fix', fix: null, reason: undecided(passing.length, behaviour.example, pick.c.label), ms: ms() };
    }
  }
  // the candidates never proven that the tests could not tell from the pick (repair/rivals.ts)
  let final = pick;
  let rivalCheck: RivalCheck<Pending> | undefined;
  // both rival checks: the model reads contested rivals, and one it prefers is proven (its proof kept for the fix it becomes)
  const rivalProofs = new Map<Pending, { report: TestReport; targets: string[] }>();
  const scoreRivals = input.rank ? async (cs: Pending[]) => {
    ranked += await scoreMissing(cs, (docs) => input.rank!(docs, base.failed), scoreOf, w);
    return cs.map((c) => scoreOf.get(c.fixed)!);
  } : undefined;
  const proveRival = async (c: Pending) => {
    const t = performance.now();
    const r = await session.prove(testCandidatesOf(rel, [c]), { signal: input.signal });
    verifyMs += Math.round(performance.now() - t);
    tried += r.tried;
    if (r.winner === undefined || !r.report) return false;
    rivalProofs.set(c, { report: r.report, targets: r.targets });
    return true;
  };
  if (pick && limits.rivals && input.functionName && canCheckRivals(session.plan) && !input.signal?.aborted) {
    const tr = performance.now();
    rivalCheck = await checkRivals<Pending>({
      plan: session.plan, functionName: input.functionName, pick: pick.c, pool: allProposed.map(asPending), signal: input.signal,
      neighbours: neighboursOf(pick.c, input).map(asPending),
      score: scoreRivals,
      prove: proveRival,
    }).catch(() => undefined);
    if (process.env.TREASURE_DEBUG_SEMANTIC) process.stderr.write(`semantic: rivals ${rivalCheck ? `${rivalCheck.rivals} of ${rivalCheck.pool}, ${rivalCheck.contested.length} contested${rivalCheck.replaced ? `, replaced ${rivalCheck.replaced.label} by ${rivalCheck.pick.label}` : ''}${rivalCheck.note ? ` (${rivalCheck.note})` : ''}` : 'failed'} in ${Math.round(performance.now() - tr)} ms\n`);
  }
  // compiled languages: the fix and the others that passed the screen, on mutants of the tests (one build)
  let onMutants = false;
  const passedNear = pick && limits.rivals && !rivalCheck && session.canCompareOnMutants ? await screenNeighbours(session, pick.c, input) : [];
  if (pick && limits.rivals && !rivalCheck && session.canCompareOnMutants && passedScreen.size + passedNear.length > 1 && !input.signal?.aborted) {
    rivalCheck = await checkRivalsOnTestMutants<Pending>({
      pick: pick.c, pool: [...passedScreen].map(asPending), signal: input.signal,
      neighbours: passedNear.map(asPending),
      compare: (docs) => session.compareOnMutants(input.text, docs, input.fromLine, input.toLine, { signal: input.signal }),
      score: scoreRivals,
      prove: proveRival,
    }).catch(() => undefined);
    onMutants = true;
    if (process.env.TREASURE_DEBUG_SEMANTIC) process.stderr.write(`semantic: rivals on test mutants ${rivalCheck ? `${rivalCheck.rivals} of ${rivalCheck.pool}, ${rivalCheck.contested.length} contested${rivalCheck.note ? ` (${rivalCheck.note})` : ''}` : 'failed'}\n`);
  } else if (process.env.TREASURE_DEBUG_SEMANTIC && pick) {
    process.stderr.write(`semantic: no rival check on test mutants (can ${session.canCompareOnMutants}, function ${session.plan.functionName}, passed the screen ${passedScreen.size})\n`);
  }
  if (rivalCheck?.replaced) final = { c: rivalCheck.pick, ...rivalProofs.get(rivalCheck.pick)! };
  const rivals = rivalCheck && { pool: rivalCheck.pool, rivals: rivalCheck.rivals, contested: rivalCheck.contested.length, ms: rivalCheck.ms, ...(rivalCheck.replaced ? { replaced: rivalCheck.replaced.label } : {}), ...(rivalCheck.note ? { note: rivalCheck.note } : {}) };
  const won = final ? { pick: final.c, r: { report: final.report, targets: final.targets } } : undefined;
  const common = { baseline: base.summary, targets, proposed, ranked, tried, verifyMs, rankMs, modelMs: extraMs, plausible: passing.length, behaviour, rivals, screen };
  if (process.env.TREASURE_DEBUG_SEMANTIC) process.stderr.write(`semantic: open ${proveStart} ms, ${proposed} proposed, ${cands.length} parse, ${passing.length} pass${behaviour ? ` (${behaviour.groups.length} behaviours on ${behaviour.evidence}/${behaviour.inputs} inputs, ${behaviour.ms} ms)` : ''}, ${ranked} ranked in ${rankMs} ms, model's answer ${extraMs} ms, ${tried} tried, tests ${verifyMs} ms, total ${ms()} ms\n`);
  if (won?.pick && won.r.report) {
    // fixes that pass (or answer the tests' calls alike) but behave differently beyond the tests: the
    // tests do not decide this one, and the title says so
    const split = behaviour && behaviour.groups.length > 1 && !rivalCheck?.replaced ? passing.length - 1 : 0;
    const others = Math.max(split, rivalCheck?.contested.length ?? 0);
    const where = rivalCheck?.contested.length ? rivalCheck.example : behaviour?.example;
    const alike = onMutants && rivalCheck?.contested.length ? ['pass', 'passes', 'differently on their mutants'] : ['answer', 'answers', 'differently'];
    const caveat = others ? `; the tests do not decide it: ${others} other edit${others > 1 ? `s ${alike[0]}` : ` ${alike[1]}`} ${onMutants && rivalCheck?.contested.length ? 'them' : 'their calls alike'} and behave${others > 1 ? '' : 's'} ${alike[2]}${where ? ` (${where})` : ''}` : '';
    if (others && limits.ambiguous === 'abstain') {
      return { ...common, outcome: 'no_fix', fix: null, reason: undecided(others + 1, where, won.pick.label), ms: ms() };
    }
    const tests = { passed: won.r.report.passed.length, total: won.r.report.passed.length + won.r.report.failed.length, fixed: won.r.targets };
    return { ...common, outcome: 'proven', fix: { ...won.pick, provenBy: provenByWords(won.r.report, won.r.targets) + caveat, tests, ...(others ? { contested: others } : {}), ...(rivalCheck?.replaced ? { replaced: rivalCheck.replaced.label, replacedFixed: rivalCheck.replaced.fixed } : {}) }, ms: ms() };
  }
  const secs = (ms() / 1000).toFixed(1);
  const why = input.signal?.aborted ? 'cancelled' : budget.signal.aborted ? `stopped after ${(limits.budgetMs / 1000).toFixed(0)} s` : undefined;
  const what = proposed === 0 ? 'no edit to try at the suspicious lines' : `no fix passes ${listNames(targets)}`;
  return { ...common, outcome: 'no_fix', fix: null, reason: `${what} (${screen?.builds ? `${screen.candidates} candidates built and run at once, ${tried} tested alone` : `${tried} candidates tried`}, ${secs} s${why ? `; ${why}` : ''})`, ms: ms() };
}
