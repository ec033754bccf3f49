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
import type { TestFailure } from './tests/report';

export interface SemanticLimits {
  /** Suspicious lines edited (more at a tie with the last one). */
  lines: number;
  /** Candidates that pass collected before the model picks among them. */
  plausible: number;
  /** Candidates proven at most. */
  prove: number;
  /** Proving stops after this many milliseconds (then says so). */
  budgetMs: number;
}

export const DEFAULT_SEMANTIC_LIMITS: SemanticLimits = { lines: 8, plausible: 3, prove: 40, budgetMs: 30_000 };
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
}

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

/** What proved a fix: the runner, the tests that pass, the ones it fixed. */
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
  let opened: Awaited<ReturnType<typeof TestSession.open>>;
  try {
    opened = await TestSession.open(input.file, input.root, {
      trusted: true, verifyCommand: input.verifyCommand, functionName: input.functionName, fromLine: input.fromLine, toLine: input.toLine, signal: input.signal,
    });
  } catch (e) {
    if (input.signal?.aborted) throw e;
    // a workspace too large to copy, a runner that cannot start: the tests prove nothing here
    return { ...empty, outcome: 'not_run', reason: `the tests could not run: ${(e as Error).message}`, verifyMs: ms(), ms: ms() };
  }
  let verifyMs = ms();
  if (!(opened instanceof TestSession)) return { ...empty, outcome: 'no_tests', reason: opened.none, verifyMs, ms: ms() };
  const session = opened;
  const base = session.baseline;
  const targets = base.failed.map((f) => f.name);
  if (base.errors.length && base.passed.length + base.failed.length === 0) {
    return { ...empty, outcome: 'not_run', baseline: base.summary, reason: `the tests did not run before any change: ${base.errors[0]!.split('\n')[0]}`, verifyMs, ms: ms() };
  }
  // a run that timed out with no failure recorded is no evidence that the tests pass
  if (base.failed.length === 0 && (base.timedOut || base.cancelled)) {
    return { ...empty, outcome: 'not_run', baseline: base.summary, reason: `the tests did not finish before any change (${base.summary}): nothing to prove against`, verifyMs, ms: ms() };
  }
  if (base.failed.length === 0) {
    return { ...empty, outcome: 'tests_pass', baseline: base.summary, reason: `the tests pass (${base.summary}): nothing to fix`, verifyMs, ms: ms() };
  }

  // where: the most suspicious lines of the function (all of them when the spectrum says nothing)
  const inFn = session.suspicious.filter((l) => l.line >= input.fromLine && l.line <= input.toLine);
  let lines: SuspectLine[] | undefined;
  if (inFn.length > 0) {
    const cut = inFn[Math.min(limits.lines, inFn.length) - 1]!.score;
    lines = inFn.filter((l, i) => i < limits.lines || l.score >= cut).map((l) => ({ line: l.line, score: l.score }));
  }
  let cands = proposeSemanticEdits(input.text, input.codeType, { fromLine: input.fromLine, toLine: input.toLine, lines });
  const proposed = cands.length;
  // never run what does not parse (the screen is cheap beside a test run)
  if (input.parses && cands.length) {
    const ok = await input.parses(cands.map((c) => c.fixed));
    cands = cands.filter((_, i) => ok[i]);
  }
  // prove in prior order (a test run of a warm worker costs less than scoring many candidates), and
  // collect up to `plausible` candidates that pass; the model's own answer joins them when few do;
  // then the model picks among them (several edits can pass weak tests: prefer the likeliest code)
  const order = cands.slice(0, limits.prove);
  const budget = new AbortController();
  const proveStart = ms();
  let extraMs = 0;
  let rankMs = 0;
  let ranked = 0;
  let timer = setTimeout(() => budget.abort(), limits.budgetMs);
  const onAbort = () => budget.abort();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  let tried = 0;
  const rel = session.plan.file;
  type Pending = { fixed: string; label: string; origin: 'operator' | 'model'; edits?: SemanticCandidate['edits']; prior: number; size: number };
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
  const asPending = (c: SemanticCandidate): Pending => ({ fixed: c.fixed, label: c.label, origin: 'operator', edits: c.edits, prior: c.prior, size: c.size });
  try {
    await proveAll(order.map(asPending), limits.plausible);
    if (input.extra && passing.length < 2 && !budget.signal.aborted && !input.signal?.aborted) {
      // the model's decode does not count against the proving budget
      const te = performance.now();
      const own = await input.extra(base.failed).catch(() => null);
      extraMs = Math.round(performance.now() - te);
      clearTimeout(timer);
      timer = setTimeout(() => budget.abort(), Math.max(0, limits.budgetMs - (ms() - proveStart - extraMs)));
      if (own && own.fixed !== input.text && !order.some((c) => c.fixed === own.fixed)) await proveAll([{ fixed: own.fixed, label: own.label, origin: 'model', prior: 0, size: 0 }], passing.length + 1);
    }
  } finally {
    clearTimeout(timer);
    input.signal?.removeEventListener('abort', onAbort);
  }
  let pick = passing[0];
  if (input.rank && passing.length > 1) {
    const tr = performance.now();
    const scores = await input.rank(passing.map((x) => x.c.fixed), base.failed);
    rankMs = Math.round(performance.now() - tr);
    ranked = passing.length;
    const w = input.priorWeight ?? SEMANTIC_PRIOR_WEIGHT;
    passing.forEach((x, i) => { x.score = scores[i]! + w * x.c.prior; });
    pick = [...passing].sort((x, y) => y.score! - x.score! || x.c.size - y.c.size)[0];
  }
  const won = pick ? { pick: pick.c, r: { report: pick.report, targets: pick.targets } } : undefined;
  const common = { baseline: base.summary, targets, proposed, ranked, tried, verifyMs, rankMs, modelMs: extraMs };
  if (process.env.TREASURE_DEBUG_SEMANTIC) process.stderr.write(`semantic: open ${proveStart} ms, ${proposed} proposed, ${cands.length} parse, ${passing.length} pass, ${ranked} ranked in ${rankMs} ms, model's answer ${extraMs} ms, ${tried} tried, tests ${verifyMs} ms, total ${ms()} ms\n`);
  if (won?.pick && won.r.report) {
    return { ...common, outcome: 'proven', fix: { ...won.pick, provenBy: provenByWords(won.r.report, won.r.targets) }, ms: ms() };
  }
  const secs = (ms() / 1000).toFixed(1);
  const why = input.signal?.aborted ? 'cancelled' : budget.signal.aborted ? `stopped after ${(limits.budgetMs / 1000).toFixed(0)} s` : undefined;
  const what = proposed === 0 ? 'no edit to try at the suspicious lines' : `no fix passes ${listNames(targets)}`;
  return { ...common, outcome: 'no_fix', fix: null, reason: `${what} (${tried} candidates tried, ${secs} s${why ? `; ${why}` : ''})`, ms: ms() };
}
