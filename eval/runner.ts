// Runs a HumanEvalPack program (solution document + the problem's test) in a scratch folder, per language,
// with timeouts; classifies failures; caches results by content hash in build/eval-cache/results/.
//
// The traps (eval/data/humanevalpack/README.md) and how they are handled here:
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
//
// This file: the toolchain probe and the drivers (one program, or many in batches); eval/runners/ holds
// one module per language, the cache and the outcome classification.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HepLanguage } from './humanevalpack.js';
import { pool } from './proc.js';
import { cacheKey, readCache, writeCache } from './runners/cache.js';
import { runCpp } from './runners/cpp.js';
import { assembleGo, compileGoBatch, goBatches, GOPATH, runGo, runGoCompiled, type GoCompiled } from './runners/go.js';
import { compileJavaBatch, JAVA_BATCH, runJava, runJavaCompiled, type JavaCompiled } from './runners/java.js';
import { runJs } from './runners/js.js';
import { probe } from './runners/outcome.js';
import { pythonToolchain, runPython } from './runners/python.js';
import { compileRustBatch, runRust, runRustCompiled, RUST_BATCH, rustDeps, type RustCompiled } from './runners/rust.js';
import { defaultLimits, type ExecResult, type LangRunner, type Program, type RunLimits, type Toolchain } from './runners/types.js';

export { cppPrelude } from './runners/cpp.js';
export { assembleGo, goBatches, goTopLevelNames, GOPATH, type GoCompiled } from './runners/go.js';
export { type JavaCompiled } from './runners/java.js';
export { JS_ASSERT_SHIM } from './runners/js.js';
export { CARGO_REGISTRY, rustDeps, type RustCompiled } from './runners/rust.js';
export { defaultLimits, programFor, RUNNER_VERSION, type ErrorKind, type ExecResult, type Program, type RunLimits, type Toolchain } from './runners/types.js';

// ---------------------------------------------------------------------------------------------------
// Toolchains

const toolchainCache = new Map<HepLanguage, Promise<Toolchain>>();

export function toolchain(lang: HepLanguage): Promise<Toolchain> {
  let t = toolchainCache.get(lang);
  if (!t) {
    t = (async (): Promise<Toolchain> => {
      const hint = 'run scripts/install-eval-toolchains.sh';
      switch (lang) {
        case 'python': return pythonToolchain();
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


const LANG_RUNNERS: Record<HepLanguage, LangRunner> = { python: runPython, js: runJs, java: runJava, cpp: runCpp, go: runGo, rust: runRust };
