// Spectrum-based fault localization: which lines of the function do failing tests run that passing
// tests do not. Per line, ef / ep = failing / passing tests that run it, nf = failing tests that do not;
// Ochiai = ef / sqrt((ef + nf) * (ef + ep)). Lines in a failing test's traceback get +0.5 (where an
// exception came from is strong evidence). Coverage per test:
//   - pytest: our plugin's sys.settrace recorder, limited to the one file (nothing to install);
//   - node:test: one run per test file with a preload that takes V8's precise block counts through
//     the in-process inspector after each test (node-coverage.ts); without an inspector, one run per
//     test (name pattern) with NODE_V8_COVERAGE, at most `maxTests` runs, 2 at a time.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { requireTrust } from './env';
import type { TestPlan } from './plan';
import { summarize, type TestReport } from './report';
import { coverageEnv } from './node-coverage';
import { runTests } from './run';
import type { Scratch } from './scratch';
import type { WarmPool } from './warm';

export interface SuspiciousLine {
  /** 1-based line of the file. */
  line: number;
  score: number;
  ef: number;
  ep: number;
}

export interface LocalizeOptions {
  trusted: boolean;
  /** The file (workspace-relative) and the 1-based inclusive line range to rank (the function). */
  file: string;
  fromLine: number;
  toLine: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** pytest: run in a warm worker. */
  warm?: WarmPool;
  /** node: 'in-process' (default: the coverage preload, one run per test file) or 'per-test' runs. */
  nodeCoverage?: 'in-process' | 'per-test';
  /** node, per-test runs: most runs (default 40). */
  maxTests?: number;
}

export interface Localization {
  /** Best first; lines no test ran are left out. */
  lines: SuspiciousLine[];
  /** The run the spectrum came from (pytest: one traced run of every test; also usable as a baseline). */
  report: TestReport;
  /** Why there is no spectrum (no failing test, a runner without per-test coverage). */
  note?: string;
}

export function ochiai(ef: number, ep: number, nf: number): number {
  const d = Math.sqrt((ef + nf) * (ef + ep));
  return d === 0 ? 0 : ef / d;
}

/** Ranks lines from per-test line sets (passing and failing) and the failures' tracebacks. */
export function rankLines(coverage: Map<string, Set<number>>, failing: Set<string>, tracebackLines: Set<number>, fromLine: number, toLine: number): SuspiciousLine[] {
  const totalFailed = [...coverage.keys()].filter((t) => failing.has(t)).length;
  const out: SuspiciousLine[] = [];
  for (let line = fromLine; line <= toLine; line++) {
    let ef = 0;
    let ep = 0;
    for (const [t, lines] of coverage) {
      if (!lines.has(line)) continue;
      if (failing.has(t)) ef++;
      else ep++;
    }
    if (ef + ep === 0 && !tracebackLines.has(line)) continue;
    const score = ochiai(ef, ep, totalFailed - ef) + (tracebackLines.has(line) ? 0.5 : 0);
    out.push({ line, score: Math.round(score * 1e4) / 1e4, ef, ep });
  }
  // best first; at equal score the later line (closer to where a wrong value is returned)
  return out.sort((a, b) => b.score - a.score || b.line - a.line);
}

function tracebackLinesOf(report: TestReport, file: string): Set<number> {
  const s = new Set<number>();
  for (const f of report.failed) for (const fr of f.traceback) if (fr.file === file) s.add(fr.line);
  return s;
}

/** Line numbers (1-based) whose first non-blank character V8 counted as run, from coverage JSON. */
export function v8LinesRun(source: string, functions: { ranges: { startOffset: number; endOffset: number; count: number }[] }[]): Set<number> {
  const ranges = functions.flatMap((f) => f.ranges);
  const run = new Set<number>();
  let offset = 0;
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const col = text.search(/\S/);
    // a line of closing brackets belongs to the block it closes: V8 counts it, but it is no statement
    if (col >= 0 && !/^\s*[}\])]+[;,)]*\s*$/.test(text)) {
      const at = offset + col;
      // the innermost range holding the offset decides (V8 nests block ranges inside functions)
      let best: { len: number; count: number } | undefined;
      for (const r of ranges) {
        if (r.startOffset <= at && at < r.endOffset) {
          const len = r.endOffset - r.startOffset;
          if (!best || len <= best.len) best = { len, count: r.count };
        }
      }
      if (best && best.count > 0) run.add(i + 1);
    }
    offset += text.length + 1;
  }
  return run;
}

/** The lines of `absFile` run, merged over every coverage file of a NODE_V8_COVERAGE folder. */
function readV8Coverage(dir: string, absFile: string, source: string): Set<number> {
  const url = pathToFileURL(absFile).href;
  const run = new Set<number>();
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    let data: { result?: { url: string; functions: { ranges: { startOffset: number; endOffset: number; count: number }[] }[] }[] };
    try {
      data = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    } catch {
      continue;
    }
    for (const script of data.result ?? []) if (script.url === url || script.url === absFile) for (const l of v8LinesRun(source, script.functions)) run.add(l);
  }
  return run;
}

type V8Functions = { ranges: { startOffset: number; endOffset: number; count: number }[] }[];

/**
 * node: one run per test file (2 at a time) with the coverage preload: each gives its tests' verdicts
 * and per-test lines at once; the verdicts merged are the baseline. Null when the preload recorded
 * nothing (no inspector): the caller then runs each test alone with NODE_V8_COVERAGE.
 */
async function nodeSpectrumInProcess(plan: TestPlan, scratch: Scratch, opts: LocalizeOptions): Promise<{ report: TestReport; coverage: Map<string, Set<number>> } | null> {
  const absFile = scratch.path(opts.file);
  const source = readFileSync(absFile, 'utf8');
  const coverage = new Map<string, Set<number>>();
  const reports: TestReport[] = [];
  let recorded = true;
  let next = 0;
  const worker = async () => {
    while (next < plan.testFiles.length && !opts.signal?.aborted) {
      const file = plan.testFiles[next++]!;
      const dir = mkdtempSync(join(tmpdir(), 'treasure-cover-'));
      try {
        const out = join(dir, 'cover.json');
        const r = await runTests({ ...plan, testFiles: [file] }, scratch, { trusted: true, timeoutMs: opts.timeoutMs, signal: opts.signal, env: coverageEnv(absFile, out) });
        reports.push(r);
        let byName: Record<string, V8Functions>;
        try {
          byName = JSON.parse(readFileSync(out, 'utf8'));
        } catch {
          // killed at the time limit, the preload wrote nothing: that is no missing inspector
          if (r.passed.length + r.failed.length > 0 && !r.timedOut) recorded = false;
          continue;
        }
        for (const id of [...r.passed, ...r.failed.map((f) => f.name)]) {
          const fns = byName[id.split(' > ').pop()!];
          if (fns) coverage.set(id, v8LinesRun(source, fns));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  };
  await Promise.all([worker(), worker()]);
  if (!recorded) return null;
  return { report: mergeReports(reports), coverage };
}

function mergeReports(rs: TestReport[]): TestReport {
  const r: TestReport = {
    runner: rs[0]?.runner ?? 'node',
    passed: rs.flatMap((x) => x.passed),
    failed: rs.flatMap((x) => x.failed),
    skipped: rs.flatMap((x) => x.skipped),
    errors: rs.flatMap((x) => x.errors),
    timedOut: rs.some((x) => x.timedOut),
    cancelled: rs.some((x) => x.cancelled),
    exitCode: rs.find((x) => x.exitCode !== 0)?.exitCode ?? 0,
    ms: rs.reduce((m, x) => Math.max(m, x.ms), 0),
    outputTail: rs.map((x) => x.outputTail).join('\n').slice(-8192),
    summary: '',
  };
  r.summary = summarize(r);
  return r;
}

/** node without the preload: one run per test (a name pattern), NODE_V8_COVERAGE, 2 at a time. */
async function nodeSpectrumPerTest(plan: TestPlan, scratch: Scratch, opts: LocalizeOptions, baseline: TestReport): Promise<Map<string, Set<number>>> {
  const tests = [...baseline.failed.map((f) => f.name), ...baseline.passed].slice(0, opts.maxTests ?? 40);
  const absFile = scratch.path(opts.file);
  const source = readFileSync(absFile, 'utf8');
  const coverage = new Map<string, Set<number>>();
  let next = 0;
  const worker = async () => {
    while (next < tests.length && !opts.signal?.aborted) {
      const t = tests[next++]!;
      const dir = mkdtempSync(join(tmpdir(), 'treasure-v8cov-'));
      try {
        const r = await runTests(plan, scratch, { trusted: opts.trusted, only: [t], timeoutMs: opts.timeoutMs, signal: opts.signal, env: { NODE_V8_COVERAGE: dir } });
        if (r.passed.includes(t) || r.failed.some((f) => f.name === t)) coverage.set(t, readV8Coverage(dir, absFile, source));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return coverage;
}

/**
 * Ranks the lines fromLine..toLine of `file` by suspiciousness. pytest: one traced run (its report is
 * returned and can be the baseline); node: a baseline run, then one coverage run per test. Other
 * runners: traceback lines first, then the rest of the range.
 */
export async function localize(plan: TestPlan, scratch: Scratch, opts: LocalizeOptions): Promise<Localization> {
  requireTrust(opts.trusted, 'localizing with tests');
  const common = { trusted: true, timeoutMs: opts.timeoutMs, signal: opts.signal, warm: opts.warm };
  if (plan.kind === 'pytest') {
    const report = await runTests(plan, scratch, { ...common, traceFile: scratch.path(opts.file) });
    const failing = new Set(report.failed.map((f) => f.name));
    const coverage = new Map([...(report.coverage ?? new Map<string, number[]>())].map(([t, ls]) => [t, new Set(ls)]));
    const lines = rankLines(coverage, failing, tracebackLinesOf(report, opts.file), opts.fromLine, opts.toLine);
    return { lines, report, note: failing.size === 0 ? 'no test fails: nothing to localize' : undefined };
  }
  if (plan.kind === 'node') {
    const inProcess = opts.nodeCoverage === 'per-test' ? null : await nodeSpectrumInProcess(plan, scratch, opts);
    const report = inProcess?.report ?? (await runTests(plan, scratch, common));
    const failing = new Set(report.failed.map((f) => f.name));
    if (failing.size === 0) return { lines: [], report, note: 'no test fails: nothing to localize' };
    // a run that hung: the tests would hang again one by one (each at the time limit), and say nothing more
    const coverage = inProcess?.coverage ?? (report.timedOut ? new Map<string, Set<number>>() : await nodeSpectrumPerTest(plan, scratch, opts, report));
    return { lines: rankLines(coverage, failing, tracebackLinesOf(report, opts.file), opts.fromLine, opts.toLine), report };
  }
  const report = await runTests(plan, scratch, common);
  const failing = new Set(report.failed.map((f) => f.name));
  const tb = tracebackLinesOf(report, opts.file);
  if (failing.size === 0) return { lines: [], report, note: 'no test fails: nothing to localize' };
  // no spectrum: the traceback's lines first, then every other line of the range (a panic's line is
  // often where a wrong value shows, not where it was made)
  const ranked = rankLines(new Map(), failing, tb, opts.fromLine, opts.toLine);
  const rest: SuspiciousLine[] = [];
  for (let line = opts.toLine; line >= opts.fromLine; line--) if (!tb.has(line)) rest.push({ line, score: 0, ef: 0, ep: 0 });
  return { lines: [...ranked, ...rest], report, note: `${plan.kind}: no per-test coverage; traceback lines first` };
}
