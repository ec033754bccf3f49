// Proof by the user's tests: each candidate is applied in a scratch copy (one per parallel slot, put
// back with Scratch.reset between candidates) and tested, best-ranked first, up to `parallel` at a
// time. A candidate is proven when it passes every test that passed in the baseline and every target
// (the baseline's failures, less those that failed from the environment, e.g. no network: no
// evidence either way). Steps per candidate: the targets first (a quick reject: pytest orders them
// first and stops at the first failure in one process; go, cargo and node with several test files run
// them alone first), then the full plan; the winner's full run is repeated once from a reset copy (a
// flaky pass is not a proof). The winner is the best-ranked proven candidate: when a lower-ranked one
// is proven first, the better-ranked ones still running are waited for, and the worse ones cancelled.
import { availableParallelism } from 'node:os';
import type { Candidate } from '../types';
import { requireTrust } from './env';
import type { TestPlan } from './plan';
import { isEnvironmental, WHOLE_RUN, type TestReport } from './report';
import { runTests } from './run';
import { Scratch } from './scratch';
import type { WarmPool } from './warm';

export interface TestCandidate {
  id: string;
  /** Workspace-relative path -> the whole new text of that file. */
  files: Map<string, string>;
}

/** The pipeline's candidates (whole-document texts of one file, best first) as test candidates; ids are their ranks ("0", "1", ...). */
export function testCandidatesOf(relFile: string, candidates: readonly Pick<Candidate, 'fixed'>[]): TestCandidate[] {
  return candidates.map((c, i) => ({ id: String(i), files: new Map([[relFile, c.fixed]]) }));
}

export interface ProveOptions {
  trusted: boolean;
  /** Candidates tested at once (default: the machine's cores, at most 4). */
  parallel?: number;
  /**
   * Per test run. Default: 3x the baseline's time + 1 s, between 2 and 20 s: a candidate that loops
   * forever (an operator swap easily makes one) must not cost 20 s when the tests take 0.2 s.
   */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Makes scratch copies (default: Scratch.create(plan.root)); one per parallel slot, reset between candidates. */
  scratchFactory?: () => Scratch;
  /** Copies of plan.root lent for the search (e.g. the baseline's): used first, reset, never disposed here. */
  scratches?: Scratch[];
  /** Stop after this many candidates (default: all). */
  maxCandidates?: number;
  /** pytest: warm workers to run in (see warm.ts); give it `parallel` workers. */
  warm?: WarmPool;
  /**
   * Run the winner's repeat in a new process, not a warm worker: state a test left in a library
   * between warm runs cannot then make the proof (costs one cold start per proof).
   */
  confirmCold?: boolean;
}

export type Verdict = 'proven' | 'failed' | 'flaky' | 'cancelled' | 'error';

export interface CandidateResult {
  id: string;
  verdict: Verdict;
  /** Why it is not proven: the first regression or target still failing. */
  reason?: string;
  report?: TestReport;
  ms: number;
}

export interface ProveResult {
  winner?: string;
  /** The winner's (last) full report; else the best-ranked candidate's last report. */
  report?: TestReport;
  /** Candidates whose tests started. */
  tried: number;
  results: CandidateResult[];
  /** The baseline failures that count (targets) and those set aside as environmental. */
  targets: string[];
  notEvidence: string[];
  /** When no candidate could be proven at all (nothing fails, the baseline did not run ...). */
  reason?: string;
  ms: number;
}

/** Per candidate run when the baseline timed out: a small test's start and run (pytest, node), or its build and run (the others), with room. */
export function hungBaselineTimeout(plan: Pick<TestPlan, 'kind'>): number {
  return plan.kind === 'pytest' || plan.kind === 'node' ? 3000 : 6000;
}

/** A candidate's test run may take 3x the baseline's time + 1 s, between 2 and 20 s (a fixed limit when the baseline hung). */
export function runTimeoutOf(plan: Pick<TestPlan, 'kind'>, baseline: Pick<TestReport, 'timedOut' | 'ms'>): number {
  return baseline.timedOut ? hungBaselineTimeout(plan) : Math.min(20000, Math.max(2000, baseline.ms * 3 + 1000));
}

/** Why `r` does not prove the fix, or undefined when it does. */
export function judge(r: TestReport, mustPass: string[], targets: string[]): string | undefined {
  if (r.cancelled) return 'cancelled';
  if (r.errors.length) return `error: ${r.errors[0]!.split('\n')[0]}`;
  const passed = new Set(r.passed);
  const failedMsg = new Map(r.failed.map((f) => [f.name, f.message.split('\n')[0]]));
  for (const t of targets) {
    const ok = t === WHOLE_RUN ? !r.timedOut && r.failed.length === 0 && r.passed.length > 0 : passed.has(t);
    if (!ok) return `still fails: ${t}${failedMsg.has(t) ? ` (${failedMsg.get(t)})` : ''}`;
  }
  for (const t of mustPass) if (!passed.has(t)) return `breaks: ${t}${failedMsg.has(t) ? ` (${failedMsg.get(t)})` : ''}`;
  if (r.timedOut) return 'timed out';
  return undefined;
}

/** Scratch copies lent to the workers: one per slot, put back (Scratch.reset) between candidates: a walk, not a new copy. */
class ScratchPool {
  private readonly lent: Set<Scratch>;
  private readonly idle: Scratch[];
  private readonly made: Scratch[] = [];

  constructor(lent: Scratch[] | undefined, private readonly make: () => Scratch) {
    this.lent = new Set(lent ?? []);
    this.idle = [...this.lent];
  }

  take(): Scratch {
    const s = this.idle.pop();
    if (s) {
      try {
        s.reset();
        return s;
      } catch {
        if (!this.lent.has(s)) s.dispose(); // the workspace changed under us (a file gone): a new copy
      }
    }
    const n = this.make();
    this.made.push(n);
    return n;
  }

  give(s: Scratch): void {
    this.idle.push(s);
  }

  /** The copies this pool made (the lent ones are the caller's). */
  dispose(): void {
    for (const s of this.made) s.dispose();
  }
}

/** What every candidate's run shares. */
interface ProveRun {
  plan: TestPlan;
  opts: ProveOptions;
  targets: string[];
  mustPass: string[];
  timeoutMs: number;
  order?: { first: string[]; stopOn: string[] };
  /** Run the targets alone first (runners with per-test selection, when there is more to run). */
  quickFirst: boolean;
  scratches: ScratchPool;
  controllers: Map<number, AbortController>;
  /** Index of the best proven candidate so far (Infinity: none). */
  best: () => number;
}

/** One candidate: its files written into a scratch copy, the tests run (targets first where cheap), and a winner run twice. */
async function testCandidate(run: ProveRun, c: TestCandidate, i: number): Promise<CandidateResult> {
  const { plan, opts, targets, mustPass, timeoutMs, order } = run;
  const t = performance.now();
  const ctl = new AbortController();
  run.controllers.set(i, ctl);
  let scratch: Scratch | undefined;
  const done = (verdict: Verdict, report?: TestReport, reason?: string): CandidateResult => ({ id: c.id, verdict, report, reason, ms: Math.round(performance.now() - t) });
  try {
    scratch = run.scratches.take();
    for (const [rel, text] of c.files) scratch.write(rel, text);
    const tests = (only?: string[]) => runTests(plan, scratch!, { trusted: true, only, timeoutMs, signal: ctl.signal, warm: opts.warm, order });
    if (run.quickFirst) {
      const quick = await tests(targets);
      if (ctl.signal.aborted) return done('cancelled', quick);
      const why = judge(quick, [], targets);
      if (why) return done('failed', quick, why);
    }
    const full = await tests();
    if (ctl.signal.aborted) return done('cancelled', full);
    const why = judge(full, mustPass, targets);
    if (why) return done('failed', full, why);
    // would it win? only then pay for the repeat
    if (i > run.best()) return done('cancelled', full, 'a better-ranked candidate was proven');
    // the repeat starts from the same state as the first run (a test may have deleted its inputs)
    scratch.reset();
    for (const [rel, text] of c.files) scratch.write(rel, text);
    const again = await runTests(plan, scratch, { trusted: true, timeoutMs, signal: ctl.signal, warm: opts.confirmCold ? undefined : opts.warm, order });
    if (ctl.signal.aborted) return done('cancelled', again);
    const why2 = judge(again, mustPass, targets);
    if (why2) return done('flaky', again, `passed once, then: ${why2}`);
    return done('proven', again);
  } catch (e) {
    return done('error', undefined, e instanceof Error ? e.message : String(e));
  } finally {
    run.controllers.delete(i);
    if (scratch) run.scratches.give(scratch);
  }
}

export async function proveCandidates(plan: TestPlan, candidates: TestCandidate[], baseline: TestReport, opts: ProveOptions): Promise<ProveResult> {
  requireTrust(opts.trusted, 'proving fixes with tests');
  const t0 = performance.now();
  const notEvidence = baseline.failed.filter(isEnvironmental).map((f) => f.name);
  const targets = baseline.failed.filter((f) => !isEnvironmental(f)).map((f) => f.name);
  const mustPass = baseline.passed;
  const base = { tried: 0, results: [] as CandidateResult[], targets, notEvidence };
  if (baseline.errors.length && baseline.passed.length + baseline.failed.length === 0) {
    return { ...base, reason: `the tests did not run before any change: ${baseline.errors[0]}`, ms: performance.now() - t0 };
  }
  if (targets.length === 0) {
    const why = notEvidence.length ? `the only failing tests fail from the environment (${notEvidence.join(', ')}): no evidence` : 'the tests already pass: nothing to prove with them';
    return { ...base, reason: why, ms: performance.now() - t0 };
  }
  const list = candidates.slice(0, opts.maxCandidates ?? candidates.length);
  // cargo: one candidate at a time. The copies share one target folder (run.ts cargoTargetDir), cargo names the
  // crate's build by its path within the workspace, not the copy's, and judges freshness by mtimes: a copy
  // whose candidate was written before another copy's build ended would run that build (measured: a right
  // fix judged with a wrong one's binary). cargo's lock on the folder serialized the builds anyway.
  const parallel = plan.kind === 'cargo' ? 1 : Math.max(1, Math.min(opts.parallel ?? Math.min(4, availableParallelism()), list.length));
  const results: (CandidateResult | undefined)[] = new Array(list.length);
  const controllers = new Map<number, AbortController>();
  let best = Infinity; // index of the best proven candidate so far
  let next = 0;
  let tried = 0;
  const run: ProveRun = {
    plan, opts, targets, mustPass, controllers, best: () => best,
    // a baseline that hung says nothing of how long the tests take: a fixed limit, not 3x the hang
    timeoutMs: opts.timeoutMs ?? runTimeoutOf(plan, baseline),
    // pytest runs the failing tests first and stops at the first test the candidate had to pass, all in
    // one process (start-up dominates); the other runners with per-test selection get a run of the
    // targets first, when there is more to run than them (node: more than one test file).
    order: plan.kind === 'pytest' ? { first: targets, stopOn: [...targets, ...mustPass] } : undefined,
    quickFirst: mustPass.length > 0 && !targets.includes(WHOLE_RUN) && (plan.kind === 'go' || plan.kind === 'cargo' || (plan.kind === 'node' && plan.testFiles.length > 1)),
    scratches: new ScratchPool(opts.scratches, opts.scratchFactory ?? (() => Scratch.create(plan.root))),
  };
  const outer = opts.signal;
  const onOuterAbort = () => controllers.forEach((c) => c.abort());
  outer?.addEventListener('abort', onOuterAbort, { once: true });

  const worker = async () => {
    while (next < list.length && next < best && !outer?.aborted) {
      const i = next++;
      tried++;
      const r = await testCandidate(run, list[i]!, i);
      results[i] = r;
      if (r.verdict === 'proven' && i < best) {
        best = i;
        for (const [j, ctl] of controllers) if (j > i) ctl.abort(); // worse-ranked runs: no longer needed
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
    run.scratches.dispose();
  }
  const done = results.filter((r): r is CandidateResult => r !== undefined);
  const winner = Number.isFinite(best) ? results[best] : undefined;
  const lastReport = winner?.report ?? done.find((r) => r.report)?.report;
  return {
    winner: winner?.id,
    report: lastReport,
    tried,
    results: done,
    targets,
    notEvidence,
    reason: winner ? undefined : outer?.aborted ? 'cancelled' : `none of ${tried} candidates passes the tests`,
    ms: Math.round(performance.now() - t0),
  };
}
