// Runs a HumanEvalPack program (solution document + the problem's test) in a scratch folder, per language,
// with timeouts; classifies failures; caches results by content hash in build/eval-cache/results/.
//
// The traps (test/eval/data/humanevalpack/README.md) and how they are handled here:
//   js    console.assert never throws in Node -> a --require shim makes it throw and forces exit 1 if any failed;
//         JS/162 require('js-md5') -> a tiny local module on node:crypto in the scratch folder's node_modules.
//   java  javac into a folder, then java -ea -cp DIR Main (no single-file launcher); many programs per javac.
//   cpp   g++ -std=c++17 -O1; boost::any is header-only; -lcrypto when openssl/md5.h is included. The program's
//         leading #include block is a precompiled header (cache dir), plus -pipe and gold.
//   go    GOPATH mode with Debian's /usr/share/gocode (testify offline); one import block, unused imports
//         dropped and missing standard-library imports added (as goimports would in the editor); go test -c
//         (linked with -s -w), then run; many programs per go test -c where they cannot see each other.
//   rust  rand/regex/md5 built once with cargo from Debian's /usr/share/cargo/registry (build/eval-cache/rust-deps),
//         then rustc --test with --extern (the real rustc, not rustup's proxy; strip=debuginfo), many programs
//         per rustc as modules of one crate, and the test binary is run with the program's module as filter.
// CPU s per program, compile + run (`npx tsx scripts/eval-cpu-profile.ts --limit 40`: the self-check's first
// 40 problems x canonical/buggy, one at a time, warm go/rust/PCH caches; user+sys, +-10% between runs on this
// shared 2-core VM), before -> after the PCH/-pipe/gold, -s -w and rustc changes: python 0.13, js 0.21-0.24,
// java 0.30 (unchanged); go 0.99 -> 0.89; cpp 0.69 -> 0.58 (13 PCH builds included; ~0.35 once they exist);
// rust 0.57 -> 0.47. Go is mostly `go test -c` itself and its link (~0.5 s), not the compile.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HepLanguage, Problem } from './humanevalpack.js';
import { cacheDir } from './paths.js';
import { pool, runProc, type ProcResult } from './proc.js';

/** Bump when assembling or classification changes, so cached results are not reused. */
export const RUNNER_VERSION = 6;

export type ErrorKind =
  | 'compile_error' // the program does not compile / parse
  | 'assertion'     // a test assertion failed
  | 'runtime_error' // crash, exception, panic other than an assertion
  | 'timeout'       // ran past the limit (infinite loop, …)
  | 'infra'         // the harness could not run it (toolchain missing, …): never a model result
  | 'no_fix'        // the engine returned nothing
  | 'test_modified'; // "tests" variant: the fix changed the given tests

export interface ExecResult {
  pass: boolean;
  kind?: ErrorKind;
  /** wall time of compile + run */
  ms: number;
  /** tail of the output that explains the failure */
  detail?: string;
  cached?: boolean;
}

export interface RunLimits {
  /** per test execution (default 10 s) */
  runTimeoutMs: number;
  /** per compilation (default 120 s) */
  compileTimeoutMs: number;
  /** use/write build/eval-cache/results */
  cache: boolean;
}
export const defaultLimits: RunLimits = { runTimeoutMs: 10_000, compileTimeoutMs: 120_000, cache: true };

/** A program to run: `code` is the whole solution document (declaration + body), `test` the problem's test. */
export interface Program {
  language: HepLanguage;
  code: string;
  test: string;
  /** go: the problem's `import` and `test_setup` fields */
  goImport?: string;
  goTestSetup?: string;
  goHelpers?: string;
}

export function programFor(p: Problem, code: string, test = p.test): Program {
  return { language: p.language, code, test, goImport: p.goImport, goTestSetup: p.goTestSetup, goHelpers: p.goHelpers };
}

// ---------------------------------------------------------------------------------------------------
// Toolchains

export interface Toolchain { ok: boolean; why?: string }
const toolchainCache = new Map<HepLanguage, Promise<Toolchain>>();

async function probe(cmd: string, args: string[]): Promise<boolean> {
  const r = await runProc(cmd, args, { cwd: tmpdir(), timeoutMs: 30_000 });
  return !r.spawnError && r.code === 0;
}

export function toolchain(lang: HepLanguage): Promise<Toolchain> {
  let t = toolchainCache.get(lang);
  if (!t) {
    t = (async (): Promise<Toolchain> => {
      const hint = 'run scripts/install-eval-toolchains.sh';
      switch (lang) {
        case 'python': {
          // Resolve the interpreter once: python3 may be a slow shim script (pyenv) in front of the real binary.
          const r = await runProc('python3', ['-c', 'import sys; print(sys.executable)'], { cwd: tmpdir(), timeoutMs: 30_000 });
          if (r.code !== 0 || !r.stdout.trim()) return { ok: false, why: 'python3 not found' };
          pythonExe = r.stdout.trim();
          return { ok: true };
        }
        case 'js': return { ok: true }; // node runs the harness itself
        case 'java': return (await probe('javac', ['-version'])) && (await probe('java', ['-version'])) ? { ok: true } : { ok: false, why: `javac/java not found (${hint})` };
        case 'cpp': {
          if (!(await probe('g++', ['--version']))) return { ok: false, why: `g++ not found (${hint})` };
          // some problems include these headers (CPP/22, 38, 137: boost::any; CPP/162: openssl md5)
          const missing = ['boost/any.hpp', 'openssl/md5.h'].filter((h) => !existsSync(join('/usr/include', h)));
          return missing.length ? { ok: false, why: `headers ${missing.join(', ')} not found (${hint})` } : { ok: true };
        }
        case 'go':
          if (!(await probe('go', ['version']))) return { ok: false, why: `go not found (${hint})` };
          if (!existsSync(join(GOPATH, 'src/github.com/stretchr/testify/assert'))) return { ok: false, why: `testify not in ${GOPATH} (${hint})` };
          return { ok: true };
        case 'rust':
          if (!(await probe('rustc', ['--version']))) return { ok: false, why: `rustc not found (${hint})` };
          try { await rustDeps(); return { ok: true }; } catch (e) { return { ok: false, why: `rust crates rand/regex/md5: ${(e as Error).message}` }; }
      }
    })();
    toolchainCache.set(lang, t);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------------
// Cache

function cacheKey(prog: Program, limits: RunLimits): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([RUNNER_VERSION, prog.language, prog.code, prog.test, prog.goImport ?? '', prog.goTestSetup ?? '', prog.goHelpers ?? '', limits.runTimeoutMs]));
  return h.digest('hex');
}

function cachePath(key: string): string { return join(cacheDir(), 'results', key.slice(0, 2), `${key}.json`); }

function readCache(key: string): ExecResult | undefined {
  try { return { ...(JSON.parse(readFileSync(cachePath(key), 'utf8')) as ExecResult), cached: true }; } catch { return undefined; }
}

function writeCache(key: string, r: ExecResult): void {
  // Timeouts and harness failures depend on machine load, not only on the program: never cached.
  if (r.kind === 'timeout' || r.kind === 'infra') return;
  const p = cachePath(key);
  mkdirSync(dirname(p), { recursive: true });
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(r));
  renameSync(tmp, p);
}

// ---------------------------------------------------------------------------------------------------
// Running

export async function runProgram(prog: Program, limits: RunLimits = defaultLimits, pre?: JavaCompiled | GoCompiled | RustCompiled): Promise<ExecResult> {
  const key = cacheKey(prog, limits);
  if (limits.cache) {
    const hit = readCache(key);
    if (hit) return hit;
  }
  const tc = await toolchain(prog.language);
  if (!tc.ok) return { pass: false, kind: 'infra', ms: 0, detail: tc.why };
  const dir = mkdtempSync(join(tmpdir(), `treasure-eval-${prog.language}-`));
  const started = Date.now();
  let r: ExecResult;
  try {
    r = !pre ? await LANG_RUNNERS[prog.language](prog, dir, limits)
      : 'classpath' in pre ? await runJavaCompiled(pre, dir, limits)
      : 'testName' in pre ? await runGoCompiled(pre, dir, limits)
      : await runRustCompiled(pre, dir, limits);
  } catch (e) {
    r = { pass: false, kind: 'infra', ms: 0, detail: String((e as Error).stack ?? e) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  r.ms = Date.now() - started + (pre?.compileMs ?? 0);
  if (limits.cache) writeCache(key, r);
  return r;
}

/** `idx` cut into nearly equal chunks of at most `max`. */
function chunked(idx: number[], max: number): number[][] {
  const size = Math.max(2, Math.ceil(idx.length / Math.max(1, Math.ceil(idx.length / max))));
  const chunks: number[][] = [];
  for (let k = 0; k < idx.length; k += size) chunks.push(idx.slice(k, k + size));
  return chunks;
}

/**
 * Runs many programs, `jobs` at a time; results in input order. Cached results are returned first; Java
 * programs are compiled in batches by one javac (a JVM start per batch instead of per program), Go
 * programs by one `go test -c` and Rust programs by one rustc per batch (one link each).
 */
export async function runPrograms(progs: readonly Program[], limits: RunLimits = defaultLimits, jobs = 2): Promise<ExecResult[]> {
  const out = new Array<ExecResult | undefined>(progs.length);
  const todo: number[] = [];
  // A program given twice runs once (its copies share the result, except a timeout: those run again).
  const first = new Map<string, number>();
  const copies: [number, number][] = [];
  progs.forEach((p, i) => {
    const key = cacheKey(p, limits);
    const hit = limits.cache ? readCache(key) : undefined;
    if (hit) { out[i] = hit; return; }
    const f = first.get(key);
    if (f === undefined) { first.set(key, i); todo.push(i); } else copies.push([i, f]);
  });
  const pre = new Map<number, JavaCompiled | GoCompiled | RustCompiled>();
  const dirs: string[] = [];
  const java = todo.filter((i) => progs[i]!.language === 'java');
  if (java.length > 1 && (await toolchain('java')).ok) {
    const chunks = chunked(java, JAVA_BATCH);
    const compiled = await pool(chunks, Math.min(jobs, 2), (chunk) => compileJavaBatch(chunk.map((i) => progs[i]!), limits));
    chunks.forEach((chunk, c) => {
      const b = compiled[c]!;
      dirs.push(b.dir);
      chunk.forEach((i, k) => {
        const r = b.results[k];
        if (r === undefined) return; // left to runProgram
        if ('classpath' in r) pre.set(i, r);
        else { out[i] = r; if (limits.cache) writeCache(cacheKey(progs[i]!, limits), r); }
      });
    });
  }
  const go = todo.filter((i) => progs[i]!.language === 'go');
  if (go.length > 1 && (await toolchain('go')).ok) {
    const chunks = goBatches(go.map((i) => ({ i, src: assembleGo(progs[i]!), test: progs[i]!.test })));
    const compiled = await pool(chunks, Math.min(jobs, 2), (chunk) => compileGoBatch(chunk, limits));
    for (const b of compiled) {
      dirs.push(b.dir);
      for (const [i, c] of b.compiled) pre.set(i, c);
    }
  }
  const rust = todo.filter((i) => progs[i]!.language === 'rust');
  if (rust.length > 1 && (await toolchain('rust')).ok) {
    const compiled = await pool(chunked(rust, RUST_BATCH), Math.min(jobs, 2), (chunk) => compileRustBatch(chunk.map((i) => ({ i, prog: progs[i]! })), limits));
    for (const b of compiled) {
      dirs.push(b.dir);
      for (const [i, c] of b.compiled) pre.set(i, c);
    }
  }
  try {
    const rest = todo.filter((i) => out[i] === undefined);
    const rs = await pool(rest, jobs, (i) => runProgram(progs[i]!, limits, pre.get(i)));
    rest.forEach((i, k) => { out[i] = rs[k]; });
    const again = copies.filter(([, f]) => out[f]!.kind === 'timeout').map(([i]) => i);
    for (const [i, f] of copies) if (out[f]!.kind !== 'timeout') out[i] = { ...out[f]! };
    const ra = await pool(again, jobs, (i) => runProgram(progs[i]!, limits));
    again.forEach((i, k) => { out[i] = ra[k]; });
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return out as ExecResult[];
}

// --- Java batches

const JAVA_BATCH = 40;

export interface JavaCompiled { classpath: string; mainClass: string; compileMs: number }

/**
 * Compiles Java programs with one javac: each in its own package (`package tN;` put in front of line 1,
 * so line numbers stay), classes into one folder. Programs with errors get their compile_error; the
 * others are compiled again without them (javac writes nothing when any file fails).
 */
async function compileJavaBatch(progs: Program[], limits: RunLimits): Promise<{ dir: string; results: (JavaCompiled | ExecResult | undefined)[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-javabatch-'));
  const pkgs = progs.map((_, k) => `t${k}`);
  progs.forEach((p, k) => {
    mkdirSync(join(dir, 'src', pkgs[k]!), { recursive: true });
    writeFileSync(join(dir, 'src', pkgs[k]!, 'Main.java'), `package ${pkgs[k]}; ` + p.code + '\n' + p.test + '\n');
  });
  const results: (JavaCompiled | ExecResult | undefined)[] = new Array(progs.length);
  let members = progs.map((_, k) => k);
  for (let attempt = 0; attempt < 2 && members.length; attempt++) {
    const classes = join(dir, `classes${attempt}`);
    mkdirSync(classes);
    const t0 = Date.now();
    const c = await runProc('javac', [...JVM_FAST.map((f) => `-J${f}`), '-nowarn', '-encoding', 'UTF-8', '-Xmaxerrs', '10000', '-d', classes,
      ...members.map((k) => join('src', pkgs[k]!, 'Main.java'))], { cwd: dir, timeoutMs: limits.compileTimeoutMs * 4, maxOutput: 4 << 20 });
    const each = Math.round((Date.now() - t0) / members.length);
    if (c.code === 0 && !c.timedOut) {
      for (const k of members) results[k] = { classpath: classes, mainClass: `${pkgs[k]}.Main`, compileMs: each };
      members = [];
      break;
    }
    if (c.timedOut || c.spawnError) break; // compile those one by one
    // Attribute the errors to their files.
    const errs = new Map<number, string>();
    let cur: number | undefined;
    for (const line of (c.stderr + c.stdout).split('\n')) {
      const m = /src[\/]t(\d+)[\/]Main\.java:\d+: (?:error|warning)/.exec(line);
      if (m) cur = Number(m[1]);
      if (cur !== undefined && members.includes(cur)) errs.set(cur, (errs.get(cur) ?? '') + line.replace(/src[\/]t\d+[\/]/, '') + '\n');
    }
    const failed = members.filter((k) => errs.has(k) && /: error/.test(errs.get(k)!));
    if (failed.length === 0) break; // an error javac did not pin to a file: compile one by one
    for (const k of failed) results[k] = { pass: false, kind: 'compile_error', ms: each, detail: tail(errs.get(k)!.replace(/^(\S+: )?/, '')) };
    members = members.filter((k) => !failed.includes(k));
  }
  // Whatever is left (javac died, unattributed errors): compiled one by one by runProgram.
  return { dir, results };
}

async function runJavaCompiled(pre: JavaCompiled, dir: string, limits: RunLimits): Promise<ExecResult> {
  const r = await runProc('java', [...JVM_FAST, '-Xss16m', '-ea', '-cp', pre.classpath, pre.mainClass], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  return runOutcome(r, (o) => /\bAssertionError\b/.test(o));
}

type LangRunner = (prog: Program, dir: string, limits: RunLimits) => Promise<ExecResult>;

/** The telling part of a failure's output: from the first error/assertion/panic line on, else the end. */
function tail(s: string, n = 600): string {
  const t = s.trim();
  const m = /panicked at|Assertion|AssertionError|Error|error(\[E\d+\])?:|--- FAIL|Traceback/.exec(t);
  if (m && t.length - m.index > 40) return t.slice(m.index, m.index + n);
  return t.length > n ? '…' + t.slice(t.length - n) : t;
}

/** Common outcome of a compile step: undefined when it succeeded. */
function compileFailure(r: ProcResult): ExecResult | undefined {
  if (r.spawnError) return { pass: false, kind: 'infra', ms: r.ms, detail: r.spawnError };
  if (r.timedOut) return { pass: false, kind: 'timeout', ms: r.ms, detail: 'compilation timed out' };
  if (r.code !== 0) return { pass: false, kind: 'compile_error', ms: r.ms, detail: tail(r.stderr + r.stdout) };
  return undefined;
}

function runOutcome(r: ProcResult, isAssertion: (out: string) => boolean, isCompile?: (out: string) => boolean): ExecResult {
  const out = r.stderr + '\n' + r.stdout;
  if (r.spawnError) return { pass: false, kind: 'infra', ms: r.ms, detail: r.spawnError };
  if (r.timedOut) return { pass: false, kind: 'timeout', ms: r.ms };
  if (r.code === 0 && r.signal === null) return { pass: true, ms: r.ms };
  if (isCompile?.(out)) return { pass: false, kind: 'compile_error', ms: r.ms, detail: tail(out) };
  if (isAssertion(out)) return { pass: false, kind: 'assertion', ms: r.ms, detail: tail(out) };
  return { pass: false, kind: 'runtime_error', ms: r.ms, detail: tail(out) || `exit ${r.code ?? r.signal}` };
}

const ulimit = (cmd: string) => `ulimit -v 8000000 2>/dev/null; ${cmd}`;

let pythonExe = 'python3';
const runPython: LangRunner = async (prog, dir, limits) => {
  writeFileSync(join(dir, 'prog.py'), prog.code + '\n' + prog.test + '\n');
  const r = await runProc('sh', ['-c', ulimit(`exec '${pythonExe.replace(/'/g, `'\\''`)}' -I -B prog.py`)], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  return runOutcome(r,
    (o) => /\bAssertionError\b/.test(o),
    (o) => /^(SyntaxError|IndentationError|TabError)\b/m.test(o) && !/\n\s+File "prog\.py", line \d+, in /.test(o));
};

/** Makes console.assert throw, and the process fail if any assertion failed even when the throw was caught. */
export const JS_ASSERT_SHIM = `'use strict';
let __treasureFailed = 0;
console.assert = function (cond, ...msg) {
  if (cond) return;
  __treasureFailed++;
  const e = new Error('console.assert failed' + (msg.length ? ': ' + msg.map(String).join(' ') : ''));
  e.name = 'TreasureAssertionError';
  throw e;
};
process.on('exit', () => {
  if (__treasureFailed > 0) { process.stderr.write('TreasureAssertionError: ' + __treasureFailed + ' console.assert failed\\n'); process.exitCode = 1; }
});
`;
const JS_MD5_MODULE = `module.exports = (s) => require('node:crypto').createHash('md5').update(String(s)).digest('hex');\n`;

const runJs: LangRunner = async (prog, dir, limits) => {
  writeFileSync(join(dir, 'assert-shim.cjs'), JS_ASSERT_SHIM);
  mkdirSync(join(dir, 'node_modules', 'js-md5'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'js-md5', 'index.js'), JS_MD5_MODULE);
  writeFileSync(join(dir, 'prog.cjs'), prog.code + '\n' + prog.test + '\n');
  const r = await runProc(process.execPath, ['--require', './assert-shim.cjs', 'prog.cjs'], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  return runOutcome(r,
    (o) => /TreasureAssertionError|AssertionError/.test(o),
    (o) => /^SyntaxError\b/m.test(o) && /prog\.cjs:\d+/.test(o) && !/\n\s+at .*prog\.cjs/.test(o));
};

const JVM_FAST = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto'];
const runJava: LangRunner = async (prog, dir, limits) => {
  writeFileSync(join(dir, 'Main.java'), prog.code + '\n' + prog.test + '\n');
  mkdirSync(join(dir, 'classes'));
  const c = await runProc('javac', [...JVM_FAST.map((f) => `-J${f}`), '-nowarn', '-encoding', 'UTF-8', '-d', 'classes', 'Main.java'],
    { cwd: dir, timeoutMs: limits.compileTimeoutMs });
  const cf = compileFailure(c);
  if (cf) return cf;
  const r = await runProc('java', [...JVM_FAST, '-Xss16m', '-ea', '-cp', 'classes', 'Main'], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  return runOutcome(r, (o) => /\bAssertionError\b/.test(o));
};

// g++ spends most of a compile parsing the standard headers every program includes. The leading block of a
// program (only #include lines, `using namespace std;` and blank lines, the declaration's fixed prelude) is
// compiled once into a precompiled header, kept in the cache dir by the hash of g++'s version, the flags and
// that text, and put in front of the program with -include. The program still includes the same headers
// itself (include guards make that a no-op), so it means the same with or without the PCH; if g++ rejects
// the PCH it reads the header text instead (same meaning, only slower). -pipe and gold cut the rest.
const CPP_FLAGS = ['-std=c++17', '-O1', '-w'];
let cppLinkFlags: Promise<string[]> | undefined;
let gppVersion: Promise<string> | undefined;
const cppPchs = new Map<string, Promise<string | undefined>>();

/** The leading block of #include <…> / `using namespace std;` / blank lines, or undefined when there is none. */
export function cppPrelude(src: string): string | undefined {
  const lines = src.split('\n');
  let n = 0;
  while (n < lines.length && /^\s*(#\s*include\s*<[^>]+>\s*|using\s+namespace\s+std\s*;\s*)?$/.test(lines[n]!)) n++;
  const block = lines.slice(0, n).join('\n').trim();
  return /#\s*include/.test(block) ? block + '\n' : undefined;
}

/** The path to pass to -include for this prelude (its .gch beside it), built on first use; undefined if it cannot be built. */
function cppPch(prelude: string, limits: RunLimits): Promise<string | undefined> {
  let p = cppPchs.get(prelude);
  if (!p) {
    p = (async () => {
      gppVersion ??= runProc('g++', ['--version'], { cwd: tmpdir(), timeoutMs: 30_000 }).then((r) => r.stdout);
      const key = createHash('sha256').update(JSON.stringify([await gppVersion, CPP_FLAGS, prelude])).digest('hex').slice(0, 24);
      const dir = join(cacheDir(), 'cpp-pch', key);
      const header = join(dir, 'prelude.h');
      if (existsSync(`${header}.gch`)) return header;
      mkdirSync(dir, { recursive: true });
      writeFileSync(header, prelude);
      const tmp = `${header}.${process.pid}.tmp.gch`;
      const c = await runProc('g++', [...CPP_FLAGS, '-x', 'c++-header', '-o', tmp, header], { cwd: dir, timeoutMs: limits.compileTimeoutMs });
      if (c.code !== 0 || c.timedOut) { rmSync(tmp, { force: true }); return undefined; } // compile without it
      renameSync(tmp, `${header}.gch`);
      return header;
    })().catch(() => undefined);
    cppPchs.set(prelude, p);
  }
  return p;
}

const runCpp: LangRunner = async (prog, dir, limits) => {
  const src = prog.code + '\n' + prog.test + '\n';
  writeFileSync(join(dir, 'prog.cpp'), src);
  const libs = /openssl\//.test(src) ? ['-lcrypto'] : [];
  cppLinkFlags ??= (async () => (await probe('sh', ['-c', 'echo "int main(){}" | g++ -fuse-ld=gold -x c++ -o /dev/null -'])) ? ['-fuse-ld=gold'] : [])();
  const prelude = cppPrelude(src);
  const pch = prelude ? await cppPch(prelude, limits) : undefined;
  const c = await runProc('g++', [...CPP_FLAGS, '-pipe', ...(await cppLinkFlags), ...(pch ? ['-include', pch] : []), '-o', 'prog', 'prog.cpp', ...libs],
    { cwd: dir, timeoutMs: limits.compileTimeoutMs });
  const cf = compileFailure(c);
  if (cf) return cf;
  const r = await runProc('sh', ['-c', ulimit('exec ./prog')], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  return runOutcome(r, (o) => /Assertion .* failed/.test(o));
};

// --- Go

export const GOPATH = process.env.TREASURE_GOPATH ?? '/usr/share/gocode';

/** Standard-library packages a solution may use without importing them in the document (goimports adds them). */
const GO_STD: Record<string, string> = {
  math: 'math', strings: 'strings', strconv: 'strconv', sort: 'sort', fmt: 'fmt', bytes: 'bytes', unicode: 'unicode',
  regexp: 'regexp', rand: 'math/rand', md5: 'crypto/md5', hex: 'encoding/hex', reflect: 'reflect', utf8: 'unicode/utf8',
  bits: 'math/bits', big: 'math/big', errors: 'errors', time: 'time', slices: 'slices',
};

interface GoImport { name: string; path: string; alias?: string }

function goImportsIn(text: string): { rest: string; imports: GoImport[] } {
  const imports: GoImport[] = [];
  const add = (spec: string) => {
    const m = /^\s*([A-Za-z_.][\w]*)?\s*"([^"]+)"/.exec(spec);
    if (!m) return;
    const path = m[2]!;
    const alias = m[1];
    imports.push({ path, alias, name: alias ?? path.split('/').pop()! });
  };
  let rest = text.replace(/^[ \t]*package\s+\w+[ \t]*$/gm, '');
  rest = rest.replace(/^[ \t]*import\s*\(([^)]*)\)/gm, (_all, body: string) => {
    for (const line of body.split('\n')) add(line.replace(/\/\/.*$/, ''));
    return '';
  });
  rest = rest.replace(/^[ \t]*import\s+((?:[A-Za-z_.]\w*\s+)?"[^"]+")[ \t]*$/gm, (_all, spec: string) => { add(spec); return ''; });
  return { rest, imports };
}

/** Text without string literals and comments, to look for `pkg.` uses. */
function goCodeOnly(text: string): string {
  return text.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:\\.|[^"\\\n])*"|`[^`]*`|'(?:\\.|[^'\\\n])+'/g, ' ');
}

/** One Go test file: package main, one import block with exactly the packages used, then code and test. */
export function assembleGo(prog: Program): string {
  // Helpers the problem's prompt defines (and the document lacks), unless the code defines them itself.
  const helpers = [...(prog.goHelpers ?? '').matchAll(/^func\s+(\w+)[\s\S]*?^\}[ \t]*$/gm)]
    .filter((m) => !new RegExp(`^func\\s+${m[1]}\\s*\\(`, 'm').test(prog.code)).map((m) => m[0]).join('\n\n');
  const parts = [prog.goTestSetup ?? '', prog.goImport ?? '', helpers, prog.code, prog.test].map(goImportsIn);
  const body = parts.map((p) => p.rest).join('\n');
  const code = goCodeOnly(body);
  const used = (name: string) => name === '_' || name === '.' || new RegExp(`(^|[^\\w.])${name.replace('.', '\\.')}\\.`).test(code);
  const byPath = new Map<string, GoImport>();
  for (const p of parts) for (const imp of p.imports) if (!byPath.has(imp.path) && used(imp.name)) byPath.set(imp.path, imp);
  const names = new Set([...byPath.values()].map((i) => i.name));
  for (const [name, path] of Object.entries(GO_STD)) {
    if (!names.has(name) && !byPath.has(path) && used(name) && !new RegExp(`\\b${name}\\s*:?=|\\bvar\\s+${name}\\b|\\b${name}\\s+[\\w\\[\\]*]+\\s*[,)]`).test(code)) {
      byPath.set(path, { name, path });
      names.add(name);
    }
  }
  const specs = [...byPath.values()].map((i) => `    ${i.alias ? i.alias + ' ' : ''}"${i.path}"`).join('\n');
  return `package main\n\nimport (\n${specs}\n)\n\n${body.replace(/^\n+/, '')}\n`;
}

function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOTOOLCHAIN: 'local', GOPROXY: 'off',
    GOCACHE: join(cacheDir(), 'gocache'), CGO_ENABLED: '0',
  };
}

const runGo: LangRunner = async (prog, dir, limits) => {
  writeFileSync(join(dir, 'main_test.go'), assembleGo(prog));
  const env = goEnv();
  // -s -w: no symbol table or DWARF (panics still print function names and lines from pclntab); the link
  // is most of a compile here and they make it about a fifth cheaper.
  const c = await runProc('go', ['test', '-c', '-vet=off', '-ldflags=-s -w', '-o', 'prog.test', '.'], { cwd: dir, timeoutMs: limits.compileTimeoutMs, env });
  const cf = compileFailure(c);
  if (cf) return cf;
  const r = await runProc('./prog.test', ['-test.timeout', `${Math.ceil(limits.runTimeoutMs / 1000) + 5}s`], { cwd: dir, timeoutMs: limits.runTimeoutMs, env });
  return goOutcome(r);
};

function goOutcome(r: ProcResult): ExecResult {
  const out = r.stderr + '\n' + r.stdout;
  if (!r.timedOut && r.code !== 0 && /^panic: /m.test(out) && !/panic: test timed out/.test(out)) return { pass: false, kind: 'runtime_error', ms: r.ms, detail: tail(out) };
  return runOutcome(r, (o) => /--- FAIL/.test(o));
}

// --- Go batches
// `go test -c` costs ~0.9 s a program here, mostly the go command and the link, not the compile: many
// programs share one package (one file each), one compile and one link, and each program's run selects
// its own test (-test.run). Exact only while the programs cannot see each other: a batch never holds two
// programs declaring the same top-level name, a program that uses a name another member declares (and
// it does not) runs alone, and so does one whose top level this scan cannot list (grouped or indented
// declarations, init/main, package variables set at start-up: every run of a shared binary would run
// them). Files the compiler blames leave the batch and compile alone, so a compile error reads the same.

const GO_BATCH = 40;

export interface GoCompiled { binary: string; testName: string; compileMs: number }
interface GoMember { i: number; src: string; testName: string; names: Set<string> }

/** Top-level names a Go file declares, or undefined when this simple scan cannot list them all. */
export function goTopLevelNames(src: string): Set<string> | undefined {
  if (/^[ \t]+func\s+\w+\s*\(/m.test(src)) return undefined; // a named func is top level wherever it is indented
  if (/^(?:var|const|type)\s*\(/m.test(src)) return undefined; // grouped declarations
  if (/^func\s+(?:init|main|TestMain)\s*\(/m.test(src)) return undefined;
  if (/^var\s[^\n]*=/m.test(src)) return undefined; // package state set at start-up
  return new Set([...src.matchAll(/^(?:func|type|var|const)\s+(\w+)/gm)].map((m) => m[1]!));
}

/** Batches of programs that may share a package (see above); the rest compile alone. */
export function goBatches(items: { i: number; src: string; test: string }[]): GoMember[][] {
  const batches: { members: GoMember[]; names: Set<string> }[] = [];
  for (const it of items) {
    const tests = [...it.test.matchAll(/^func\s+(Test\w+)\s*\(/gm)].map((m) => m[1]!);
    const names = goTopLevelNames(it.src);
    if (tests.length !== 1 || !names) continue;
    const b = batches.find((x) => x.members.length < GO_BATCH && ![...names].some((n) => x.names.has(n)));
    const m: GoMember = { i: it.i, src: it.src, testName: tests[0]!, names };
    if (b) { b.members.push(m); for (const n of names) b.names.add(n); } else batches.push({ members: [m], names: new Set(names) });
  }
  return batches.filter((b) => b.members.length > 1).map((b) => b.members);
}

async function compileGoBatch(members: GoMember[], limits: RunLimits): Promise<{ dir: string; compiled: Map<number, GoCompiled> }> {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-gobatch-'));
  const compiled = new Map<number, GoCompiled>();
  let live = members.map((_, k) => k);
  for (let attempt = 0; attempt < 2 && live.length > 1; attempt++) {
    const pkg = join(dir, `b${attempt}`);
    mkdirSync(pkg);
    for (const k of live) writeFileSync(join(pkg, `p${k}_test.go`), members[k]!.src);
    const t0 = Date.now();
    const c = await runProc('go', ['test', '-c', '-vet=off', '-gcflags=-e', '-ldflags=-s -w', '-o', 'batch.test', '.'],
      { cwd: pkg, timeoutMs: limits.compileTimeoutMs * 4, env: goEnv(), maxOutput: 4 << 20 });
    if (c.code === 0 && !c.timedOut) {
      const each = Math.round((Date.now() - t0) / live.length);
      for (const k of live) {
        // a name this program uses, declares not, and another member declares: it might compile here only
        const own = members[k]!.names;
        const used = new Set(goCodeOnly(members[k]!.src).match(/[A-Za-z_]\w*/g) ?? []);
        const borrowed = live.some((o) => o !== k && [...members[o]!.names].some((n) => used.has(n) && !own.has(n)));
        if (!borrowed) compiled.set(members[k]!.i, { binary: join(pkg, 'batch.test'), testName: members[k]!.testName, compileMs: each });
      }
      break;
    }
    if (c.timedOut || c.spawnError) break;
    const blamed = new Set([...(c.stderr + c.stdout).matchAll(/\bp(\d+)_test\.go:\d+/g)].map((m) => Number(m[1])));
    if (blamed.size === 0) break; // an error the compiler pinned on no file: each compiles alone
    live = live.filter((k) => !blamed.has(k));
  }
  return { dir, compiled };
}

async function runGoCompiled(pre: GoCompiled, dir: string, limits: RunLimits): Promise<ExecResult> {
  const r = await runProc(pre.binary, ['-test.run', `^${pre.testName}$`, '-test.v', '-test.timeout', `${Math.ceil(limits.runTimeoutMs / 1000) + 5}s`],
    { cwd: dir, timeoutMs: limits.runTimeoutMs, env: goEnv() });
  const res = goOutcome(r);
  // a pass must be this program's test having run and passed
  if (res.pass && !new RegExp(`^--- PASS: ${pre.testName} `, 'm').test(r.stdout)) return { pass: false, kind: 'infra', ms: r.ms, detail: `${pre.testName} did not run` };
  return res;
}

// --- Rust

interface RustDeps { depsDir: string; externs: Record<string, string> }
let rustDepsPromise: Promise<RustDeps> | undefined;
/** Bump when the crates built below change (was RUNNER_VERSION, 5, so a runner change need not rebuild them). */
const RUST_DEPS_VERSION = 5;
export const CARGO_REGISTRY = process.env.TREASURE_CARGO_REGISTRY ?? '/usr/share/cargo/registry';

/** rand, regex and md5 built once (offline, from Debian's crate sources) for every Rust problem to link against. */
export function rustDeps(): Promise<RustDeps> {
  rustDepsPromise ??= (async () => {
    if (!existsSync(CARGO_REGISTRY)) throw new Error(`${CARGO_REGISTRY} missing (run scripts/install-eval-toolchains.sh)`);
    const ver = await runProc('rustc', ['--version'], { cwd: tmpdir(), timeoutMs: 30_000 });
    const dir = join(cacheDir(), 'rust-deps');
    const stamp = join(dir, 'externs.json');
    try {
      const s = JSON.parse(readFileSync(stamp, 'utf8')) as RustDeps & { rustc: string; version: number };
      if (s.version === RUST_DEPS_VERSION && s.rustc === ver.stdout.trim() && Object.values(s.externs).every((f) => existsSync(f))) return s;
    } catch { /* build it */ }
    mkdirSync(join(dir, 'src'), { recursive: true });
    mkdirSync(join(dir, '.cargo'), { recursive: true });
    mkdirSync(join(dir, 'rand-compat', 'src'), { recursive: true });
    writeFileSync(join(dir, 'Cargo.toml'), [
      '[package]', 'name = "treasure-eval-deps"', 'version = "0.0.0"', 'edition = "2021"', '',
      '[dependencies]', 'rand = { path = "rand-compat" }',
      'regex = { version = "1", default-features = false, features = ["std", "unicode"] }', 'md5 = "0.7"', '',
    ].join('\n'));
    writeFileSync(join(dir, 'rand-compat', 'Cargo.toml'), [
      '[package]', 'name = "rand"', 'version = "0.7.99"', 'edition = "2021"', '',
      '[dependencies]', 'rand08 = { package = "rand", version = "0.8" }', '',
    ].join('\n'));
    writeFileSync(join(dir, 'rand-compat', 'src', 'lib.rs'), RAND_COMPAT);
    writeFileSync(join(dir, '.cargo', 'config.toml'), [
      '[source.crates-io]', 'replace-with = "debian"', '[source.debian]', `directory = "${CARGO_REGISTRY}"`, '[net]', 'offline = true', '',
    ].join('\n'));
    writeFileSync(join(dir, 'src', 'lib.rs'), '');
    const b = await runProc('cargo', ['build', '--offline', '--message-format=json'], { cwd: dir, timeoutMs: 600_000, maxOutput: 4 << 20 });
    if (b.code !== 0) throw new Error(`cargo build failed: ${tail(b.stderr, 1500)}`);
    const externs: Record<string, string> = {};
    for (const line of b.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      const m = JSON.parse(line) as { reason?: string; target?: { name: string }; filenames?: string[]; manifest_path?: string };
      if (m.reason !== 'compiler-artifact' || !m.target) continue;
      const rlib = m.filenames?.find((f) => f.endsWith('.rlib'));
      if (!rlib) continue;
      // `rand` is our rand-compat (the 0.7 API the tests use), not Debian's rand 0.8 under it.
      if (m.target.name === 'rand' && !(m.manifest_path ?? '').includes('rand-compat')) continue;
      if (['rand', 'regex', 'md5'].includes(m.target.name)) externs[m.target.name] = rlib;
    }
    for (const c of ['rand', 'regex', 'md5']) if (!externs[c]) throw new Error(`cargo built no ${c} rlib`);
    const deps = { depsDir: join(dir, 'target', 'debug', 'deps'), externs, rustc: ver.stdout.trim(), version: RUST_DEPS_VERSION };
    writeFileSync(stamp, JSON.stringify(deps, null, 1));
    return deps;
  })();
  return rustDepsPromise;
}

/**
 * HumanEvalPack's Rust tests were written against rand 0.7 (`rng.gen_range(low, high)`, Rust/32 and 50);
 * Debian ships rand 0.8 only. This crate, named rand, keeps the 0.7 call forms on top of rand 0.8, with a
 * seeded generator so that results are reproducible (and cacheable).
 */
const RAND_COMPAT = `//! rand 0.7 call forms (gen_range(low, high)) over rand 0.8, for HumanEvalPack's Rust tests.
//! thread_rng() and random() draw from a per-thread generator seeded with 42, so every run of a test
//! sees the same numbers (Rust/32's canonical solution loops forever on some random polynomials).
use std::cell::RefCell;
pub use rand08::{distributions, rngs, seq, CryptoRng, Error, RngCore, SeedableRng};

thread_local! {
    static SEEDED: RefCell<rngs::StdRng> = RefCell::new(<rngs::StdRng as SeedableRng>::seed_from_u64(42));
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadRng;

impl RngCore for ThreadRng {
    fn next_u32(&mut self) -> u32 { SEEDED.with(|r| r.borrow_mut().next_u32()) }
    fn next_u64(&mut self) -> u64 { SEEDED.with(|r| r.borrow_mut().next_u64()) }
    fn fill_bytes(&mut self, dest: &mut [u8]) { SEEDED.with(|r| r.borrow_mut().fill_bytes(dest)) }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Error> { SEEDED.with(|r| r.borrow_mut().try_fill_bytes(dest)) }
}

pub fn thread_rng() -> ThreadRng { ThreadRng }

pub fn random<T>() -> T
where
    distributions::Standard: distributions::Distribution<T>,
{
    rand08::Rng::gen(&mut ThreadRng)
}

pub trait Rng: RngCore {
    fn gen<T>(&mut self) -> T
    where
        distributions::Standard: distributions::Distribution<T>,
    {
        rand08::Rng::gen(self)
    }
    fn gen_range<T>(&mut self, low: T, high: T) -> T
    where
        T: distributions::uniform::SampleUniform + PartialOrd,
    {
        rand08::Rng::gen_range(self, low..high)
    }
    fn gen_bool(&mut self, p: f64) -> bool {
        rand08::Rng::gen_bool(self, p)
    }
}

impl<R: RngCore + ?Sized> Rng for R {}
`;

/** rustc itself, not rustup's proxy in front of it (which costs a process and a toolchain lookup per call). */
let rustcPath: Promise<string> | undefined;
function rustcExe(): Promise<string> {
  rustcPath ??= (async () => {
    const r = await runProc('rustc', ['--print', 'sysroot'], { cwd: tmpdir(), timeoutMs: 30_000 });
    const exe = join(r.stdout.trim(), 'bin', 'rustc');
    return r.code === 0 && r.stdout.trim() && existsSync(exe) ? exe : 'rustc';
  })();
  return rustcPath;
}

async function rustc(dir: string, src: string, out: string, timeoutMs: number): Promise<ProcResult> {
  const deps = await rustDeps();
  const externs = Object.entries(deps.externs).flatMap(([n, f]) => ['--extern', `${n}=${f}`]);
  // strip=debuginfo: the link copies no DWARF of std (panic locations are compiled in, not read from it).
  return runProc(await rustcExe(), ['--edition', '2021', '--test', '-A', 'warnings', '-C', 'strip=debuginfo', '-o', out, src, '-L', `dependency=${deps.depsDir}`, ...externs],
    { cwd: dir, timeoutMs, maxOutput: 4 << 20 });
}

const rustOutcome = (r: ProcResult) => runOutcome(r, (o) => /panicked at[\s\S]*assertion/.test(o));

const runRust: LangRunner = async (prog, dir, limits) => {
  writeFileSync(join(dir, 'prog.rs'), prog.code + '\n' + prog.test + '\n');
  const cf = compileFailure(await rustc(dir, 'prog.rs', 'prog', limits.compileTimeoutMs));
  if (cf) return cf;
  return rustOutcome(await runProc('sh', ['-c', ulimit('exec ./prog -q --test-threads=1')], { cwd: dir, timeoutMs: limits.runTimeoutMs }));
};

// --- Rust batches
// One rustc per program costs its start and a link; programs in modules of one crate (`mod pN { code
// tests }`) are compiled and linked once and each run filters its own module's tests. Modules keep their
// names apart (no program names another's module). A program whose lines the compiler blames compiles
// alone, so its compile error reads the same; so does one with crate-level attributes or `mod pN` names.

const RUST_BATCH = 40;

export interface RustCompiled { binary: string; module: string; compileMs: number }

async function compileRustBatch(items: { i: number; prog: Program }[], limits: RunLimits): Promise<{ dir: string; compiled: Map<number, RustCompiled> }> {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-rustbatch-'));
  const compiled = new Map<number, RustCompiled>();
  let live = items.map((_, k) => k).filter((k) => {
    const src = items[k]!.prog.code + '\n' + items[k]!.prog.test;
    return !/^\s*#!\[/m.test(src) && !/\b(?:crate|super)\s*::\s*p\d+\b|\bmod\s+p\d+\b/.test(src);
  });
  for (let attempt = 0; attempt < 2 && live.length > 1; attempt++) {
    const ranges: { k: number; from: number; to: number }[] = [];
    const lines: string[] = [];
    for (const k of live) {
      const body = (items[k]!.prog.code + '\n' + items[k]!.prog.test).split('\n');
      lines.push(`mod p${k} {`);
      ranges.push({ k, from: lines.length + 1, to: lines.length + body.length });
      lines.push(...body, '}');
    }
    const src = `batch${attempt}.rs`;
    writeFileSync(join(dir, src), lines.join('\n') + '\n');
    const t0 = Date.now();
    const c = await rustc(dir, src, `batch${attempt}`, limits.compileTimeoutMs * 4);
    if (c.code === 0 && !c.timedOut) {
      const each = Math.round((Date.now() - t0) / live.length);
      for (const k of live) compiled.set(items[k]!.i, { binary: join(dir, `batch${attempt}`), module: `p${k}`, compileMs: each });
      break;
    }
    if (c.timedOut || c.spawnError) break;
    const blamed = new Set<number>();
    for (const m of (c.stderr + c.stdout).matchAll(new RegExp(`${src.replace('.', '\\.')}:(\\d+):\\d+`, 'g'))) {
      const line = Number(m[1]);
      const r = ranges.find((x) => line >= x.from && line <= x.to);
      if (r) blamed.add(r.k);
    }
    if (blamed.size === 0) break; // an error pinned on no program: each compiles alone
    live = live.filter((k) => !blamed.has(k));
  }
  return { dir, compiled };
}

async function runRustCompiled(pre: RustCompiled, dir: string, limits: RunLimits): Promise<ExecResult> {
  const r = await runProc('sh', ['-c', ulimit(`exec '${pre.binary}' -q --test-threads=1 '${pre.module}::'`)], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  const res = rustOutcome(r);
  // a pass must be this program's tests having run
  if (res.pass && !/test result: ok\. [1-9]\d* passed/.test(r.stdout)) return { pass: false, kind: 'infra', ms: r.ms, detail: `no test of ${pre.module} ran` };
  return res;
}

const LANG_RUNNERS: Record<HepLanguage, LangRunner> = { python: runPython, js: runJs, java: runJava, cpp: runCpp, go: runGo, rust: runRust };
