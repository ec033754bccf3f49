// Rust: rustc --test linked against rand/regex/md5 built once from Debian's crates; many programs per rustc.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../paths.js';
import { runProc, type ProcResult } from '../proc.js';
import { compileFailure, runOutcome, tail, ulimit } from './outcome.js';
import type { ExecResult, LangRunner, Program, RunLimits } from './types.js';

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

export const runRust: LangRunner = async (prog, dir, limits) => {
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

export const RUST_BATCH = 40;

export interface RustCompiled { binary: string; module: string; compileMs: number }

export async function compileRustBatch(items: { i: number; prog: Program }[], limits: RunLimits): Promise<{ dir: string; compiled: Map<number, RustCompiled> }> {
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

export async function runRustCompiled(pre: RustCompiled, dir: string, limits: RunLimits): Promise<ExecResult> {
  const r = await runProc('sh', ['-c', ulimit(`exec '${pre.binary}' -q --test-threads=1 '${pre.module}::'`)], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  const res = rustOutcome(r);
  // a pass must be this program's tests having run
  if (res.pass && !/test result: ok\. [1-9]\d* passed/.test(r.stdout)) return { pass: false, kind: 'infra', ms: r.ms, detail: `no test of ${pre.module} ran` };
  return res;
}
