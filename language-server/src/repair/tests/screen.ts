// The screen of a compiled language's candidates: one build of a schema (tests/schema.ts) holding every
// candidate's body, then the failing tests run once per variant from the same binary (milliseconds each,
// where a build costs a second or more). It only orders the search: a candidate that passes here is still
// proven alone, built and tested the way the user's runner does it (tests/prove.ts); one that fails the
// failing tests here, or whose body does not compile, is not run again.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testEnv } from './env';
import { goRunPattern, parseCargoTest } from './go-cargo';
import type { TestPlan } from './plan';
import { runProcess } from './process';
import { WHOLE_RUN } from './report';
import { cargoTargetDir, substitute } from './run';
import { buildSchema, VARIANT_ENV, variantsAt, type Schema, type SchemaLanguage } from './schema';
import type { Scratch } from './scratch';
import { behaviourSignature, MUTANT_SUFFIX, withTestMutants } from './test-mutants';
import { instrumentTests, recordSignature, TEST_MUTANT_ENV, type CallMutantLanguage, type InstrumentedTests } from './call-mutants';
import { listFiles } from './plan';

export interface ScreenOptions {
  /** The failing tests a candidate must pass (the baseline's targets). */
  targets: string[];
  /** The most a variant's run may take (the proof's per-run limit). */
  timeoutMs: number;
  signal?: AbortSignal;
  parallel?: number;
  /** Builds at most (each round drops the variants the compiler names). */
  maxBuilds?: number;
  /** Start no variant's run after this many milliseconds from the screen's start (the rest: unscreened), so that proofs keep their time. */
  runUntilMs?: number;
  /** Start no more runs once this many variants passed (those after them in order: unscreened). */
  enough?: number;
}

export interface ScreenResult {
  /** Candidate indexes (into the list given) whose variant passes the targets, in that list's order. */
  passed: number[];
  /** ... that fail them, crash or time out. */
  failed: number[];
  /** ... whose body does not compile. */
  broken: number[];
  /** ... not in the schema (their change reaches outside the body), not run (cancelled), or out of the screen's time (a loop, or slow). */
  unscreened: number[];
  builds: number;
  ms: number;
}

/** The schema language of a plan, when its build and its tests' run can be split: go test, cargo test, or a verify command with a build command. */
export function schemaLanguageOf(plan: Pick<TestPlan, 'kind' | 'file' | 'build'>): SchemaLanguage | undefined {
  if (plan.kind === 'go') return 'go';
  if (plan.kind === 'cargo') return 'rust';
  if (plan.kind !== 'command' || !plan.build) return undefined;
  const ext = plan.file.slice(plan.file.lastIndexOf('.') + 1).toLowerCase();
  return ({ go: 'go', rs: 'rust', java: 'java', cpp: 'cpp', cc: 'cpp', cxx: 'cpp', 'c++': 'cpp', hpp: 'cpp', hh: 'cpp' } as Record<string, SchemaLanguage>)[ext];
}

/**
 * The file lines a compiler's output blames (-1: another file): "file:12:5: error: ..." (gcc, clang),
 * "File.java:12: error: ..." (javac), "./x.go:12:5: ..." (go), "error[E0308]: ..." then " --> src/x.rs:12:5" (rustc).
 */
export function errorLinesOf(output: string, isFile: (path: string) => boolean): number[] {
  const out: number[] = [];
  let rustError = false;
  for (const line of output.split('\n')) {
    const m = /^(\S+?):(\d+):(?:\d+:)?\s*(?:fatal )?error\b/.exec(line) ?? /^(\S+?\.go):(\d+):\d+: /.exec(line);
    if (m) {
      out.push(isFile(m[1]!) ? Number(m[2]) : -1);
      continue;
    }
    if (/^error(\[E\d+\])?: /.test(line)) rustError = !/^error: (aborting|could not compile)/.test(line);
    const arrow = rustError ? /^\s+--> (\S+?):(\d+):\d+/.exec(line) : null;
    if (arrow) {
      out.push(isFile(arrow[1]!) ? Number(arrow[2]) : -1);
      rustError = false;
    }
  }
  return out;
}

interface Built {
  ok: boolean;
  /** 1-based lines of the file under repair that the compiler reports errors at (-1: an error elsewhere). */
  errorLines: number[];
  /** The test binaries to run. */
  executables: string[];
  output: string;
}

async function build(plan: TestPlan, scratch: Scratch, bin: string, signal?: AbortSignal): Promise<Built> {
  const cwd = scratch.path(plan.cwd ?? '');
  const file = scratch.path(plan.file);
  const run = (argv: string[], env: Record<string, string> = {}) => runProcess(argv, { cwd, env: testEnv(env), timeoutMs: 120_000, signal });
  if (plan.kind === 'command') {
    const r = await run(['/bin/sh', '-c', substitute(plan.build!, plan, scratch)]);
    return { ok: r.exitCode === 0 && !r.timedOut, errorLines: errorLinesOf(r.output, (p) => resolve(cwd, p) === file), executables: [], output: r.output };
  }
  if (plan.kind === 'go') {
    const pkg = plan.goPackage ?? '.';
    // -e: every error, not the first ten (a hundred candidates may hold more broken ones than that)
    // (vet's checks are the proof's business: `go test` runs them on the fix alone)
    const r = await run(['go', 'test', '-c', '-vet=off', '-gcflags=-e', '-o', bin, pkg]);
    const pkgDir = resolve(cwd, pkg);
    const errorLines = errorLinesOf(r.output, (p) => resolve(pkgDir, p) === file || resolve(cwd, p) === file);
    return { ok: r.exitCode === 0 && !r.timedOut, errorLines, executables: [bin], output: r.output };
  }
  const r = await run(['cargo', 'test', '--no-run', '--message-format=json', '--color', 'never'], { CARGO_TARGET_DIR: cargoTargetDir(plan.root), CARGO_TERM_COLOR: 'never' });
  const errorLines: number[] = [];
  const executables: string[] = [];
  for (const line of r.output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let msg: { reason?: string; executable?: string | null; profile?: { test?: boolean }; message?: { level?: string; spans?: { file_name: string; line_start: number; is_primary: boolean }[] } };
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (msg.reason === 'compiler-artifact' && msg.executable && msg.profile?.test) executables.push(msg.executable);
    else if (msg.reason === 'compiler-message' && msg.message?.level === 'error') {
      const span = msg.message.spans?.find((s) => s.is_primary);
      errorLines.push(span && resolve(cwd, span.file_name) === file ? span.line_start : -1);
    }
  }
  return { ok: r.exitCode === 0 && !r.timedOut, errorLines, executables, output: r.output };
}

/**
 * One variant's run of what was built: go's test binary, every cargo test binary in turn (stopping at the
 * first that fails unless `all`), or the verify command. `ok`: every run exited 0 in time.
 */
async function runBuilt(plan: TestPlan, scratch: Scratch, built: Built, id: number, args: { go: string[]; cargo: string[] }, opts: { timeoutMs: number; signal?: AbortSignal; all?: boolean; env?: Record<string, string> }): Promise<{ ok: boolean; output: string; timedOut: boolean; cancelled: boolean; ms: number }> {
  const env = testEnv({ ...opts.env, [VARIANT_ENV]: String(id), RUST_BACKTRACE: '0' });
  const cwd = scratch.path(plan.cwd ?? '');
  const runs: string[][] = plan.kind === 'command' ? [['/bin/sh', '-c', substitute(plan.command ?? 'false', plan, scratch)]]
    : plan.kind === 'go' ? [[built.executables[0]!, ...args.go]]
    : built.executables.map((exe) => [exe, ...args.cargo, '--test-threads', '1']);
  const out = { ok: true, output: '', timedOut: false, cancelled: false, ms: 0 };
  for (const argv of runs) {
    const r = await runProcess(argv, { cwd: plan.kind === 'go' ? resolve(cwd, plan.goPackage ?? '.') : cwd, env, timeoutMs: opts.timeoutMs, signal: opts.signal });
    out.output += r.output;
    out.ms += r.ms;
    out.timedOut ||= r.timedOut;
    out.cancelled ||= r.cancelled;
    out.ok &&= r.exitCode === 0 && !r.timedOut && !r.cancelled;
    if (!out.ok && !opts.all) break;
  }
  return out;
}

/** Whether one variant passes the failing tests (cargo: each of them ran and passed; a binary without them runs none). */
async function runVariant(plan: TestPlan, scratch: Scratch, built: Built, id: number, opts: ScreenOptions, timeoutMs: number) {
  const names = opts.targets.filter((t) => t !== WHOLE_RUN);
  const r = await runBuilt(plan, scratch, built, id, { go: names.length ? ['-test.run', goRunPattern(names)] : [], cargo: names.length ? ['--exact', ...names] : [] }, { timeoutMs, signal: opts.signal });
  const passed = plan.kind === 'cargo' ? new Set(parseCargoTest(r.output, (p) => p).passed) : undefined;
  return { ...r, pass: r.ok && (!passed || names.every((n) => passed.has(n))) };
}

/**
 * Screens `candidates` (whole texts of plan.file, edits inside the function on lines fromLine..toLine of
 * `original`) in `scratch`, which it leaves as it found it. `{none}`: the screen cannot run here (the
 * proof goes on without it).
 */
export async function screenCandidates(plan: TestPlan, scratch: Scratch, original: string, candidates: readonly string[], fromLine: number, toLine: number, opts: ScreenOptions): Promise<ScreenResult | { none: string }> {
  const t0 = performance.now();
  const lang = schemaLanguageOf(plan);
  if (!lang) return { none: `no screen for ${plan.kind}` };
  let schema: Schema | undefined = buildSchema(lang, original, candidates, fromLine, toLine);
  if (!schema) return { none: 'the function body was not found, or no candidate stays inside it' };
  const unscreened = [...schema.outside];
  const broken: number[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'treasure-screen-'));
  try {
    let built: Built | undefined;
    let builds = 0;
    // a compiler names the variants that do not compile: drop them and build again
    for (; builds < (opts.maxBuilds ?? 6); ) {
      scratch.write(plan.file, schema.text);
      builds++;
      built = await build(plan, scratch, join(tmp, 'variants.test'), opts.signal);
      if (built.ok || opts.signal?.aborted) break;
      const { ids, stray } = variantsAt(schema, built.errorLines.filter((l) => l > 0));
      if (ids.has(0)) return { none: 'the original body does not compile in the schema' };
      if (ids.size === 0 || stray.length || built.errorLines.includes(-1)) {
        return { none: `the schema does not build: ${built.output.split('\n').find((l) => /error|\.go:\d+/.test(l)) ?? built.output.slice(0, 200)}` };
      }
      const keep = schema.variants.filter((v) => v.id > 0 && !ids.has(v.id)).map((v) => v.candidate);
      for (const v of schema.variants) if (ids.has(v.id)) broken.push(v.candidate);
      if (keep.length === 0) return { passed: [], failed: [], broken: broken.sort((a, b) => a - b), unscreened, builds, ms: Math.round(performance.now() - t0) };
      const next = buildSchema(lang, original, keep.map((k) => candidates[k]!), fromLine, toLine);
      if (!next) return { none: 'the schema could not be rebuilt' };
      // the rebuilt schema's variants index `keep`: map them back to the caller's candidates
      next.variants = next.variants.map((v) => ({ ...v, candidate: v.candidate < 0 ? -1 : keep[v.candidate]! }));
      schema = next;
    }
    const inSchema = schema.variants.filter((v) => v.id > 0).map((v) => v.candidate);
    if (!built?.ok) {
      if (opts.signal?.aborted) return { passed: [], failed: [], broken, unscreened: [...unscreened, ...inSchema], builds, ms: Math.round(performance.now() - t0) };
      return { none: `the schema still does not build after ${builds} builds: ${built?.output.split('\n').find((l) => /error|\.go:\d+/.test(l)) ?? ''}` };
    }
    // the original must fail as it does in the baseline: else the schema is not the program the tests saw
    const orig = await runVariant(plan, scratch, built, 0, opts, opts.timeoutMs);
    if (orig.pass) return { none: 'the original passes the failing tests in the schema' };
    // short: a variant that runs out of time is not judged here (unscreened: proven later with the full limit),
    // and loops are common among operator edits (a bound moved, a step negated)
    const timeoutMs = orig.timedOut ? Math.min(opts.timeoutMs, 1000) : Math.min(opts.timeoutMs, Math.max(500, orig.ms * 3 + 300));
    const verdict = new Map<number, boolean>();
    const passedSoFar = () => [...verdict.values()].filter(Boolean).length;
    const todo = schema.variants.filter((v) => v.id > 0);
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !opts.signal?.aborted) {
        if (opts.runUntilMs !== undefined && performance.now() - t0 > opts.runUntilMs) break;
        if (opts.enough !== undefined && passedSoFar() >= opts.enough) break;
        const v = todo[next++]!;
        const r = await runVariant(plan, scratch, built!, v.id, opts, timeoutMs);
        if (!r.cancelled && !r.timedOut) verdict.set(v.candidate, r.pass);
      }
    };
    const parallel = Math.max(1, Math.min(opts.parallel ?? Math.min(4, availableParallelism()), todo.length));
    await Promise.all(Array.from({ length: parallel }, worker));
    const passed: number[] = [];
    const failed: number[] = [];
    for (const k of inSchema) {
      const v = verdict.get(k);
      if (v === undefined) unscreened.push(k);
      else (v ? passed : failed).push(k);
    }
    const byIndex = (a: number, b: number) => a - b;
    return { passed: passed.sort(byIndex), failed: failed.sort(byIndex), broken: broken.sort(byIndex), unscreened: unscreened.sort(byIndex), builds, ms: Math.round(performance.now() - t0) };
  } finally {
    putBack(tmp, scratch);
  }
}

/** The test files a runner's mutants are made of, with their text: the Go package's *_test.go; Rust files of the crate's src/ with #[test]. */
function testFilesOf(plan: TestPlan, scratch: Scratch): Map<string, string> {
  const base = plan.kind === 'go' ? resolve(scratch.path(plan.cwd ?? ''), plan.goPackage ?? '.') : join(scratch.path(plan.cwd ?? ''), 'src');
  const out = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(base);
  } catch {
    return out;
  }
  for (const n of names) {
    const abs = join(base, n);
    if (plan.kind === 'go' ? !n.endsWith('_test.go') : !n.endsWith('.rs')) continue;
    try {
      const text = readFileSync(abs, 'utf8');
      if (plan.kind === 'cargo' && !/#\[test\]/.test(text)) continue;
      out.set(scratch.relative(abs), text);
    } catch {
      continue;
    }
  }
  return out;
}

export interface MutantComparison {
  /** Per candidate given, what its run of the mutant tests printed (stripped of what only the build differs in). */
  signatures: string[];
  /** The mutant tests (copies of the tests, one integer literal moved by one). */
  tests: string[];
  ms: number;
}

/**
 * The candidates (whole texts of plan.file, edits inside the function on lines fromLine..toLine) run on
 * mutants of the tests (tests/test-mutants.ts) from one build: two with different signatures behave
 * differently beyond the tests. go test and cargo test only; `scratch` is left as it was found.
 */
export async function compareOnTestMutants(plan: TestPlan, scratch: Scratch, original: string, candidates: readonly string[], fromLine: number, toLine: number, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<MutantComparison | { none: string }> {
  const t0 = performance.now();
  const verifyLang = schemaLanguageOf(plan);
  if (plan.kind === 'command' && (verifyLang === 'java' || verifyLang === 'cpp')) return compareOnRecordedCalls(plan, scratch, original, candidates, fromLine, toLine, verifyLang, opts);
  if (plan.kind !== 'go' && plan.kind !== 'cargo') return { none: `no test mutants for ${plan.kind}` };
  const lang = plan.kind === 'go' ? 'go' : 'rust';
  const schema = buildSchema(lang, original, candidates, fromLine, toLine);
  if (!schema || schema.outside.length) return { none: 'a candidate reaches outside the function body' };
  const tmp = mkdtempSync(join(tmpdir(), 'treasure-mutants-'));
  try {
    const originals = testFilesOf(plan, scratch);
    // a file that holds both the function and its tests (Rust's own mod tests) is mutated in its schema text
    if (originals.has(plan.file)) originals.set(plan.file, schema.text);
    // the copies run in one process per candidate: a few dozen cost little more than a dozen
    const per = Math.max(4, Math.floor(48 / Math.max(1, originals.size)));
    // first with every call of the function recorded (its values printed); a build that fails is tried without
    let tests: string[] = [];
    let built: Built | undefined;
    for (const record of plan.functionName ? [true, false] : [false]) {
      const files = new Map<string, string>([[plan.file, schema.text]]);
      tests = [];
      for (const [rel, text] of originals) {
        const m = withTestMutants(text, lang, per, plan.functionName, record);
        if (!m) continue;
        files.set(rel, m.text);
        tests.push(...m.names);
      }
      if (tests.length === 0) return { none: 'no integer literal in the tests to move' };
      for (const [rel, text] of files) scratch.write(rel, text);
      built = await build(plan, scratch, join(tmp, 'mutants.test'), opts.signal);
      if (built.ok || opts.signal?.aborted) break;
    }
    if (!built?.ok) return { none: `the tests' mutants do not build: ${built?.output.split('\n').find((l) => /error/.test(l)) ?? ''}` };
    const timeoutMs = Math.min(opts.timeoutMs, 2000);
    const signatures: string[] = [];
    for (const v of schema.variants.filter((x) => x.id > 0)) {
      if (opts.signal?.aborted) return { none: 'cancelled' };
      // libtest names a test by its module path (examples::x__treasure_m0): cargo filters by the copies' common part
      const r = await runBuilt(plan, scratch, built, v.id, { go: ['-test.v', '-test.run', goRunPattern(tests)], cargo: [MUTANT_SUFFIX, '--nocapture'] }, { timeoutMs, signal: opts.signal, all: true });
      signatures[v.candidate] = behaviourSignature(r.output, r.timedOut);
    }
    return { signatures, tests, ms: Math.round(performance.now() - t0) };
  } finally {
    putBack(tmp, scratch);
  }
}

/** Whether a plan's candidates can be compared on mutants of its tests: go test, cargo test, or a Java/C++ verify command with a build. */
export function canCompareOnTestMutants(plan: TestPlan): boolean {
  const lang = schemaLanguageOf(plan);
  return plan.kind === 'go' || plan.kind === 'cargo' || (plan.kind === 'command' && !!plan.functionName && (lang === 'java' || lang === 'cpp'));
}

const CALLER_EXT: Record<CallMutantLanguage, RegExp> = { java: /\.java$/, cpp: /\.(cpp|cc|cxx|c\+\+|hpp|hh|h)$/ };

/** The workspace's other files of the language that call `fn`, with their text (a verify command's tests are not named: these are they). */
function callingFiles(plan: TestPlan, scratch: Scratch, fn: string, lang: CallMutantLanguage): Map<string, string> {
  const base = scratch.path(plan.cwd ?? '');
  const call = new RegExp(`\\b${fn.replace(/[$]/g, '\\$')}\\s*\\(`);
  const out = new Map<string, string>();
  for (const rel of listFiles(base)) {
    const abs = join(base, rel);
    const inCopy = scratch.relative(abs);
    if (inCopy === plan.file || !CALLER_EXT[lang].test(rel)) continue;
    try {
      const text = readFileSync(abs, 'utf8');
      if (text.length < 200_000 && call.test(text)) out.set(inCopy, text);
    } catch {
      /* unreadable: not a test we can use */
    }
    if (out.size >= 4) break;
  }
  return out;
}

/**
 * Java and C++ under a verify command (treasure.verify.build + command): the files that call the function
 * are instrumented (tests/call-mutants.ts: its values printed, its literal arguments moved one at a time)
 * and built once with every candidate's body (the schema); each candidate's run prints what it answered on
 * the tests' inputs and on the moved ones. A compiler's error at an instrumented line drops that line's
 * edits and builds again (a literal where a constant is needed, a call of a void function).
 */
async function compareOnRecordedCalls(plan: TestPlan, scratch: Scratch, original: string, candidates: readonly string[], fromLine: number, toLine: number, lang: CallMutantLanguage, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<MutantComparison | { none: string }> {
  const t0 = performance.now();
  const fn = plan.functionName;
  if (!fn) return { none: 'the function has no name' };
  const schema = buildSchema(lang, original, candidates, fromLine, toLine);
  if (!schema || schema.outside.length) return { none: 'a candidate reaches outside the function body' };
  const originals = callingFiles(plan, scratch, fn, lang);
  if (originals.size === 0) return { none: `no other file calls ${fn}` };
  const cwd = scratch.path(plan.cwd ?? '');
  const tmp = mkdtempSync(join(tmpdir(), 'treasure-calls-'));
  try {
    const skip = new Map<string, Set<number>>([...originals.keys()].map((rel) => [rel, new Set<number>()]));
    let inst = new Map<string, InstrumentedTests>();
    let built: Built | undefined;
    for (let tries = 0; tries < 3; tries++) {
      inst = new Map();
      // a mutant costs a process (C++) or a loop of main (Java), not a copy of a test: more than Go's and Rust's
      const per = Math.max(4, Math.floor(40 / originals.size));
      for (const [rel, text] of originals) {
        const r = instrumentTests(text, lang, fn, per, skip.get(rel));
        if (r) inst.set(rel, r);
      }
      if (inst.size === 0) return { none: `no call of ${fn} left to record` };
      scratch.write(plan.file, schema.text);
      for (const [rel, r] of inst) scratch.write(rel, r.text);
      built = await build(plan, scratch, join(tmp, 'calls'), opts.signal);
      if (built.ok || opts.signal?.aborted) break;
      let dropped = false;
      for (const [rel, r] of inst) {
        const bad = errorLinesOf(built.output, (p) => resolve(cwd, p) === scratch.path(rel)).filter((l) => r.lines.includes(l));
        for (const l of bad) skip.get(rel)!.add(l);
        dropped ||= bad.length > 0;
      }
      if (!dropped) break;
    }
    if (!built?.ok) return { none: `the recorded tests do not build: ${built?.output.split('\n').find((l) => /error/.test(l)) ?? ''}` };
    const mutants = Math.max(...[...inst.values()].map((r) => r.mutants));
    const signatures: string[] = [];
    const ending = (r: { ok: boolean; timedOut: boolean }) => (r.timedOut ? 'timeout' : r.ok ? 'passed' : 'failed');
    for (const v of schema.variants.filter((x) => x.id > 0)) {
      if (opts.signal?.aborted) return { none: 'cancelled' };
      if (lang === 'java') {
        // the program loops over the mutants itself: one JVM per candidate
        const r = await runBuilt(plan, scratch, built, v.id, { go: [], cargo: [] }, { timeoutMs: Math.min(opts.timeoutMs, 5000), signal: opts.signal });
        signatures[v.candidate] = recordSignature(r.output, ending(r));
        continue;
      }
      const parts: string[] = [];
      for (let k = -1; k < mutants; k++) {
        const r = await runBuilt(plan, scratch, built, v.id, { go: [], cargo: [] }, { timeoutMs: Math.min(opts.timeoutMs, 2000), signal: opts.signal, env: { [TEST_MUTANT_ENV]: String(k) } });
        parts.push(`#${k}\n${recordSignature(r.output, ending(r))}`);
      }
      signatures[v.candidate] = parts.join('\n');
    }
    const tests = [...inst.entries()].map(([rel, r]) => `${rel}: ${r.calls} calls, ${r.mutants} mutants`);
    return { signatures, tests, ms: Math.round(performance.now() - t0) };
  } finally {
    putBack(tmp, scratch);
  }
}

/** Removes a build's temp folder and puts the scratch copy back (it is checked again before its next use if that fails). */
function putBack(tmp: string, scratch: Scratch): void {
  rmSync(tmp, { recursive: true, force: true });
  try {
    scratch.reset();
  } catch {
    /* checked again before the copy's next use */
  }
}
