// One fix's use of the layer in a few calls: find the tests, run them once (traced, so the same run
// gives the baseline and the suspicious lines), then prove candidates in the same scratch copy (and
// more for parallel slots); warm pytest workers are shared per interpreter across sessions and
// stopped after a few idle minutes. The copy is removed by prove(), or by dispose() without one.
import { availableParallelism } from 'node:os';
import { requireTrust } from './env';
import { localize, type SuspiciousLine } from './localize';
import { findTests, type TestPlan } from './plan';
import { proveCandidates, runTimeoutOf, type ProveResult, type TestCandidate } from './prove';
import { isEnvironmental, type TestReport } from './report';
import { runTests } from './run';
import { Scratch } from './scratch';
import { canCompareOnTestMutants, compareOnTestMutants, schemaLanguageOf, screenCandidates, type MutantComparison, type ScreenResult } from './screen';
import { WarmPool } from './warm';

const IDLE_MS = 5 * 60_000;
const pools = new Map<string, { pool: WarmPool; timer?: NodeJS.Timeout }>();

/** The shared warm pool of an interpreter (started on first use; stopped after 5 idle minutes). */
export function sharedWarmPool(python: string, trusted: boolean, size = Math.min(4, availableParallelism())): WarmPool {
  requireTrust(trusted, 'starting a pytest worker');
  let e = pools.get(python);
  if (!e) {
    e = { pool: new WarmPool({ python, size, trusted }) };
    pools.set(python, e);
  }
  clearTimeout(e.timer);
  const entry = e;
  entry.timer = setTimeout(() => {
    entry.pool.dispose();
    pools.delete(python);
  }, IDLE_MS);
  entry.timer.unref();
  return entry.pool;
}

/** Stops every shared worker (server shutdown). */
export function disposeWarmPools(): void {
  for (const { pool, timer } of pools.values()) {
    clearTimeout(timer);
    pool.dispose();
  }
  pools.clear();
}

export interface SessionOptions {
  trusted: boolean;
  verifyCommand?: string;
  verifyBuild?: string;
  functionName?: string;
  /** Test files that must run (see FindOptions.testFiles). */
  testFiles?: string[];
  /** The function's lines (1-based, inclusive) to rank; without them no localization. */
  fromLine?: number;
  toLine?: number;
  signal?: AbortSignal;
  /** Use warm pytest workers (default true). */
  warm?: boolean;
  timeoutMs?: number;
}

export class TestSession {
  private constructor(
    readonly plan: TestPlan,
    /** The tests before any change. */
    readonly baseline: TestReport,
    /** Best first (empty without a line range, or when nothing fails). */
    readonly suspicious: SuspiciousLine[],
    private readonly opts: SessionOptions,
    private readonly pool?: WarmPool,
    /** The baseline's copy, lent to the first prove() (a copy of a large workspace costs ~1 s). */
    private scratch?: Scratch,
  ) {}

  /** Finds the tests of `file` and runs them once; `{none}` says why there is nothing to run. */
  static async open(file: string, root: string, opts: SessionOptions): Promise<TestSession | { none: string }> {
    requireTrust(opts.trusted, 'running tests');
    const plan = findTests(file, root, { trusted: true, verifyCommand: opts.verifyCommand, verifyBuild: opts.verifyBuild, functionName: opts.functionName, testFiles: opts.testFiles });
    if (!('kind' in plan)) return plan;
    const pool = plan.kind === 'pytest' && opts.warm !== false ? sharedWarmPool(plan.python ?? 'python3', true) : undefined;
    const scratch = Scratch.create(plan.root);
    try {
      if (opts.fromLine !== undefined && opts.toLine !== undefined) {
        const loc = await localize(plan, scratch, { trusted: true, file: plan.file, fromLine: opts.fromLine, toLine: opts.toLine, signal: opts.signal, timeoutMs: opts.timeoutMs, warm: pool });
        return new TestSession(plan, loc.report, loc.lines, opts, pool, scratch);
      }
      const report = await runTests(plan, scratch, { trusted: true, signal: opts.signal, timeoutMs: opts.timeoutMs, warm: pool });
      return new TestSession(plan, report, [], opts, pool, scratch);
    } catch (e) {
      scratch.dispose();
      throw e;
    }
  }

  /** The kept copy's folder, until prove() or dispose() removes it. */
  get scratchRoot(): string | undefined {
    return this.scratch?.root;
  }

  /** Removes the kept copy (prove() does it too; call this when a session ends without proving). */
  dispose(): void {
    this.scratch?.dispose();
    this.scratch = undefined;
  }

  /**
   * Why the tests cannot prove a fix, before any candidate is made: they did not run, they already
   * pass, or they fail only from the environment. Undefined when there is a failure to fix.
   */
  get cannotProve(): string | undefined {
    const b = this.baseline;
    if (b.errors.length && b.passed.length + b.failed.length === 0) return `the tests did not run: ${b.errors[0]}`;
    const real = b.failed.filter((f) => !isEnvironmental(f));
    if (real.length) return undefined;
    if (b.failed.length) return `the only failing tests fail from the environment (${b.failed.map((f) => f.name).join(', ')}): no evidence`;
    return `the tests already pass (${b.summary}): nothing to prove with them`;
  }

  /** Whether screen() can build many candidates at once here (go test, cargo test). */
  get canScreen(): boolean {
    return schemaLanguageOf(this.plan) !== undefined;
  }

  /**
   * One build of every candidate (whole texts of the file, edits inside the function on lines
   * fromLine..toLine of `original`), the failing tests run once per candidate (tests/screen.ts). It
   * orders the proof and proves nothing itself. `{none}`: no screen here.
   */
  async screen(original: string, candidates: readonly string[], fromLine: number, toLine: number, opts: { signal?: AbortSignal; parallel?: number; runUntilMs?: number; enough?: number } = {}): Promise<ScreenResult | { none: string }> {
    const targets = this.baseline.failed.filter((f) => !isEnvironmental(f)).map((f) => f.name);
    if (targets.length === 0) return { none: 'nothing fails' };
    return this.withScratch((scratch) => screenCandidates(this.plan, scratch, original, candidates, fromLine, toLine, {
      targets, timeoutMs: runTimeoutOf(this.plan, this.baseline), signal: opts.signal ?? this.opts.signal, parallel: opts.parallel, runUntilMs: opts.runUntilMs, enough: opts.enough,
    }));
  }

  /** Runs `fn` in the kept copy (it puts the copy back as it found it) or, once prove() took it, in a new one. */
  private async withScratch<T>(fn: (scratch: Scratch) => Promise<T>): Promise<T> {
    const scratch = this.scratch ?? Scratch.create(this.plan.root);
    try {
      return await fn(scratch);
    } finally {
      if (scratch !== this.scratch) scratch.dispose();
    }
  }

  /** Whether compareOnMutants() can run here (go test, cargo test, a Java or C++ verify command with a build). */
  get canCompareOnMutants(): boolean {
    return canCompareOnTestMutants(this.plan);
  }

  /** The candidates run on mutants of the tests from one build (tests/screen.ts compareOnTestMutants). */
  async compareOnMutants(original: string, candidates: readonly string[], fromLine: number, toLine: number, opts: { signal?: AbortSignal } = {}): Promise<MutantComparison | { none: string }> {
    return this.withScratch((scratch) => compareOnTestMutants(this.plan, scratch, original, candidates, fromLine, toLine, { timeoutMs: runTimeoutOf(this.plan, this.baseline), signal: opts.signal ?? this.opts.signal }));
  }

  /** Proves candidates best-first against this session's baseline. */
  async prove(candidates: TestCandidate[], opts: { parallel?: number; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ProveResult> {
    const lent = this.scratch ? [this.scratch] : [];
    this.scratch = undefined;
    try {
      return await proveCandidates(this.plan, candidates, this.baseline, { trusted: this.opts.trusted, warm: this.pool, signal: opts.signal ?? this.opts.signal, parallel: opts.parallel, timeoutMs: opts.timeoutMs, scratches: lent });
    } finally {
      for (const s of lent) s.dispose();
    }
  }
}
