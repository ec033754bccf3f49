// Runs a plan's tests in a scratch copy and reads the result as a TestReport.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTrust, testEnv } from './env';
import { cargoTestArgs, goTestArgs, parseCargoTest, parseGoTestJson } from './go-cargo';
import { fileOf, namePatternOf, nodeTestArgs, parseNodeReport } from './node';
import type { TestPlan } from './plan';
import { DEFAULT_OUTPUT_CAP, runProcess, type ProcessResult } from './process';
import type { WarmPool } from './warm';
import { importRoot, parsePytestReport, pytestArgs, pytestEnv } from './pytest';
import { summarize, tail, WHOLE_RUN, type TestFailure, type TestReport } from './report';
import type { Scratch } from './scratch';
import { createHash } from 'node:crypto';

export interface RunTestsOptions {
  trusted: boolean;
  /** Run only these test ids (as a report names them); all of the plan's tests when absent. */
  only?: string[];
  /** The whole run's time limit (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Most bytes of output kept (default 1 MB). */
  outputCap?: number;
  /** pytest: record the lines of this file (absolute path in the scratch) each test runs. */
  traceFile?: string;
  /** Extra environment (e.g. NODE_V8_COVERAGE for a coverage run). */
  env?: Record<string, string>;
  /**
   * pytest: run these ids first, and stop at the first failure of one in `stopOn` (a candidate that
   * fails a test it must pass is rejected without running the rest). Other runners ignore it.
   */
  order?: { first: string[]; stopOn: string[] };
  /** pytest: run in a warm worker of this pool (same interpreter as the plan's) instead of a new process. */
  warm?: WarmPool;
}

const MAX_IDS = 200;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `treasure.verify.command` with ${file}, ${relativeFile}, ${fileBasename}, ${fileDirname}, ${function}, ${workspaceFolder} filled in (shell-quoted). */
export function substitute(command: string, plan: TestPlan, scratch: Scratch): string {
  const file = scratch.path(plan.file);
  const vars: Record<string, string> = {
    file,
    relativeFile: plan.file,
    fileBasename: file.split('/').pop() ?? '',
    fileDirname: file.slice(0, file.lastIndexOf('/')),
    function: plan.functionName ?? '',
    workspaceFolder: scratch.root,
  };
  return command.replace(/\$\{(\w+)\}/g, (m, k: string) => (k in vars ? shellQuote(vars[k]!) : m));
}

/** cargo's build folder for a workspace: in the temp folder, one per workspace, shared by its candidates (incremental builds). */
export function cargoTargetDir(root: string): string {
  return join(tmpdir(), `treasure-cargo-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
}

interface Invocation {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  reportFile?: string;
  /** pytest: folders put first on sys.path (the warm worker sets them itself). */
  paths?: string[];
}

function invocation(plan: TestPlan, scratch: Scratch, opts: RunTestsOptions, tmp: string): Invocation {
  const cwd = plan.cwd ? scratch.path(plan.cwd) : scratch.root;
  const base = testEnv();
  switch (plan.kind) {
    case 'pytest': {
      const reportFile = join(tmp, 'report.jsonl');
      let orderFile: string | undefined;
      if (opts.order) {
        orderFile = join(tmp, 'order.json');
        writeFileSync(orderFile, JSON.stringify(opts.order));
      }
      const python = plan.python?.startsWith(plan.root) ? scratch.path(plan.python) : (plan.python ?? 'python3');
      // many ids would make a long command line: their files instead (a superset; the verdicts still name each test)
      const only = opts.only && opts.only.length > MAX_IDS ? [...new Set(opts.only.map((id) => id.split('::')[0]!))] : opts.only;
      const paths = [...new Set([importRoot(scratch.root, plan.file), scratch.root])];
      return { argv: [python, '-m', 'pytest', ...pytestArgs(only ?? plan.testFiles)], cwd, env: pytestEnv(base, reportFile, opts.traceFile, orderFile, paths), reportFile, paths };
    }
    case 'node': {
      const reportFile = join(tmp, 'report.jsonl');
      const files = opts.only ? [...new Set(opts.only.map(fileOf))] : plan.testFiles;
      const patterns = opts.only && opts.only.length <= MAX_IDS ? opts.only.map(namePatternOf) : [];
      return { argv: [process.execPath, ...nodeTestArgs(reportFile, files, patterns)], cwd, env: {}, reportFile };
    }
    case 'go':
      return { argv: ['go', ...goTestArgs(plan.goPackage ?? './...', opts.only)], cwd, env: {} };
    case 'cargo':
      return { argv: ['cargo', ...cargoTestArgs(opts.only)], cwd, env: { CARGO_TARGET_DIR: cargoTargetDir(plan.root), RUST_BACKTRACE: '1', CARGO_TERM_COLOR: 'never' } };
    case 'npm':
    case 'command':
      // the build and then the command, each as written (a group: `a; b` or `a || b` in either stays itself)
      return { argv: ['/bin/sh', '-c', plan.build ? `{ ${substitute(plan.build, plan, scratch)}\n} && { ${substitute(plan.command ?? 'false', plan, scratch)}\n}` : substitute(plan.command ?? 'false', plan, scratch)], cwd, env: {} };
  }
}

/** Runs the plan's tests (or `only` of them) in `scratch`. Never throws for a failing or broken run. */
export async function runTests(plan: TestPlan, scratch: Scratch, opts: RunTestsOptions): Promise<TestReport> {
  requireTrust(opts.trusted, 'running tests');
  if (opts.signal?.aborted) {
    // nothing started (and a healthy warm worker is not killed for a run that never was)
    const r: TestReport = { runner: plan.kind, passed: [], failed: [], skipped: [], errors: [], timedOut: false, cancelled: true, exitCode: null, ms: 0, outputTail: '', summary: '' };
    r.summary = summarize(r);
    return r;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'treasure-run-')); // outside the scratch: a test cannot delete it
  // the whole run is no test id a runner can select: asked for with others, they run; alone, everything runs
  const only = opts.only?.filter((t) => t !== WHOLE_RUN);
  opts = { ...opts, only: only?.length ? only : undefined, order: opts.order && { first: opts.order.first.filter((t) => t !== WHOLE_RUN), stopOn: opts.order.stopOn.filter((t) => t !== WHOLE_RUN) } };
  try {
    const inv = invocation(plan, scratch, opts, tmp);
    const timeoutMs = opts.timeoutMs ?? 30000;
    const cold = () => runProcess(inv.argv, { cwd: inv.cwd, env: testEnv({ ...inv.env, ...opts.env }), timeoutMs, signal: opts.signal, outputCap: opts.outputCap });
    let proc: ProcessResult;
    if (opts.warm && plan.kind === 'pytest' && opts.warm.python === (plan.python ?? 'python3')) {
      proc = await runWarm(opts.warm, inv, timeoutMs, opts, tmp);
      if (proc.spawnError) {
        // the worker died under a test (os._exit, a crash in an extension): that suite gets a new process
        rmSync(inv.reportFile!, { force: true });
        proc = await cold();
      }
    } else proc = await cold();
    let reportText = '';
    if (inv.reportFile) {
      try {
        reportText = readFileSync(inv.reportFile, 'utf8');
      } catch {
        /* no report: the runner did not start, or died before the first test */
      }
    }
    return toReport(plan, scratch, proc, reportText, timeoutMs);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function runWarm(pool: WarmPool, inv: Invocation, timeoutMs: number, opts: RunTestsOptions, tmp: string): Promise<ProcessResult> {
  const worker = await pool.acquire();
  try {
    const args = inv.argv.slice(inv.argv.indexOf('pytest') + 1);
    const r = await worker.run(inv.cwd, args, { ...inv.env, ...opts.env }, inv.paths ?? [], { timeoutMs, signal: opts.signal, outputFile: join(tmp, 'output.txt'), outputCap: opts.outputCap ?? DEFAULT_OUTPUT_CAP });
    const crash = r.crashed ? 'the pytest worker exited during the run (a test ended the process?)' : undefined;
    return { exitCode: r.exitCode, timedOut: r.timedOut, cancelled: r.cancelled, output: r.output, outputBytes: r.output.length, ms: r.ms, spawnError: crash };
  } finally {
    pool.release(worker);
  }
}

function toReport(plan: TestPlan, scratch: Scratch, proc: ProcessResult, reportText: string, timeoutMs: number): TestReport {
  const rel = (p: string) => scratch.relative(p);
  const r: TestReport = {
    runner: plan.kind,
    passed: [],
    failed: [],
    skipped: [],
    errors: [],
    timedOut: proc.timedOut,
    cancelled: proc.cancelled,
    exitCode: proc.exitCode,
    ms: Math.round(proc.ms),
    outputTail: tail(proc.output),
    summary: '',
  };
  if (proc.spawnError) r.errors.push(`${plan.describe}: could not start (${proc.spawnError})`);
  let running: string | undefined;
  if (plan.kind === 'pytest') {
    const p = parsePytestReport(reportText, rel);
    Object.assign(r, { passed: p.passed, failed: p.failed, skipped: p.skipped, errors: [...r.errors, ...p.errors], coverage: p.coverage });
    running = p.running;
    if (!reportText && !proc.timedOut && !proc.cancelled && proc.exitCode !== 0 && r.errors.length === 0) r.errors.push(`pytest did not run (exit ${proc.exitCode}): ${tail(proc.output, 600)}`);
    else if (proc.exitCode !== null && proc.exitCode >= 2 && proc.exitCode !== 5 && r.errors.length === 0 && !(p.stopped && proc.exitCode === 2)) r.errors.push(`pytest exited with ${proc.exitCode}: ${tail(proc.output, 600)}`);
  } else if (plan.kind === 'node') {
    const p = parseNodeReport(reportText, rel);
    Object.assign(r, { passed: p.passed, failed: p.failed, skipped: p.skipped, errors: [...r.errors, ...p.errors] });
    running = p.running;
    if (r.passed.length + r.failed.length === 0 && r.errors.length === 0 && proc.exitCode !== 0 && !proc.timedOut && !proc.cancelled) {
      // node prints "file:line", the source line, a caret, then "SyntaxError: ..." and the stack
      const err = proc.output.match(/^(\w*Error\b.*)$/m)?.[1];
      const at = proc.output.match(/^(\/\S+?):(\d+)$/m);
      const where = at ? ` at ${rel(at[1]!)}:${at[2]}` : '';
      r.errors.push(`node did not run the tests (exit ${proc.exitCode}): ${err ? err + where : tail(proc.output, 600)}`);
    }
  } else if (plan.kind === 'go' || plan.kind === 'cargo') {
    const p = plan.kind === 'go' ? parseGoTestJson(proc.output, rel, [plan.cwd, plan.goPackage?.replace(/^\.\/?/, '')].filter(Boolean).join('/')) : parseCargoTest(proc.output, rel, plan.cwd ?? '');
    Object.assign(r, { passed: p.passed, failed: p.failed, skipped: p.skipped, errors: [...r.errors, ...p.errors] });
    running = p.running;
  } else {
    // a generic command: one pseudo-test, passed when it exits 0
    const name = plan.kind === 'npm' ? 'npm test' : 'verify command';
    if (proc.exitCode === 126 || proc.exitCode === 127) {
      // the shell could not run it: no verdict on any candidate, say why
      const why = proc.output.trim().split('\n').slice(-2).join(' ');
      r.errors.push(`${plan.describe}: could not run (exit ${proc.exitCode}${why ? `: ${why}` : ''})`);
    } else if (proc.exitCode === 0 && !proc.timedOut && !proc.cancelled) r.passed.push(name);
    else if (!proc.spawnError && !proc.cancelled) {
      const lastLines = proc.output.trimEnd().split('\n').slice(-12).join('\n');
      r.failed.push({ name, message: proc.timedOut ? `timed out after ${timeoutMs} ms` : `exit status ${proc.exitCode ?? 'killed'}${lastLines ? `\n${lastLines}` : ''}`, traceback: [], timedOut: proc.timedOut || undefined });
    }
  }
  if (proc.timedOut && running && !r.failed.some((f) => f.name === running)) {
    const f: TestFailure = { name: running, message: `timed out after ${timeoutMs} ms (an infinite loop?)`, traceback: [], timedOut: true };
    r.failed.push(f);
  } else if (proc.timedOut && !proc.cancelled && r.failed.length === 0) {
    // the runner did not say which test hung: the run itself is the failure (a hang is a bug to fix, not "no result")
    r.failed.push({ name: WHOLE_RUN, message: `timed out after ${timeoutMs} ms before the tests finished (an infinite loop?)`, traceback: [], timedOut: true });
  }
  r.summary = summarize(r);
  return r;
}
