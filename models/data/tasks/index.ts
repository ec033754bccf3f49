// The tasks half of the training-data build: corpus shards -> marker-annotated examples.
//   buildTasks({ corpusDir, outDir, small?, seed? })
// reads {train,valid,test}-NNNNN.jsonl(.xz) from corpusDir, writes
// outDir/{train,valid,test}-NNNNN.jsonl.xz (each example keeps its corpus file's split),
// models/data/tasks-card.json and models/data/TASKS.md.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { cpus } from 'node:os';
import { loadSettings, type Settings } from './settings.js';
import { unit } from './rng.js';
import { REPO_ROOT } from './taxonomy.js';
import type { ChunkDone } from './worker.js';
import { CardStats, writeCard } from './card.js';

export interface BuildTasksOptions {
  corpusDir: string;
  /** where the shards go; default `${out}/tasks` */
  outDir?: string;
  /** the data build's output root (models/data/build.ts passes it) */
  out?: string;
  root?: string;
  /** a small build (CI): at most `smallFiles` corpus files */
  small?: boolean;
  seed?: number;
  /** override the manifest's task mix */
  mix?: Record<string, number>;
  workers?: number;
  smallFiles?: number;
  /** where the card goes (default models/data; for a small build, outDir); null: no card */
  cardDir?: string | null;
  log?: (s: string) => void;
}

export interface BuildTasksResult {
  candidates: Record<string, number>;
  written: Record<string, number>;
  shards: string[];
  files: number;
  errors: number;
  /** files dropped: not in their label's language (Settings.maxErrorShare) */
  notLanguage: number;
  seconds: number;
}

const SPLITS = ['train', 'valid', 'test'];
const TASK_ORDER = ['CodeGeneration', 'CodeFix', 'CodeExplanation'];

function corpusShards(dir: string): { path: string; split: string }[] {
  if (!existsSync(dir)) throw new Error(`corpus dir ${dir} does not exist`);
  return readdirSync(dir)
    .map((name) => ({ name, m: /^(train|valid|test)-\d+\.jsonl(\.xz)?$/.exec(name) }))
    .filter((x) => x.m)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((x) => ({ path: join(dir, x.name), split: x.m![1]! }));
}

async function* readLines(path: string): AsyncGenerator<string> {
  let input: NodeJS.ReadableStream;
  let child: ReturnType<typeof spawn> | null = null;
  if (path.endsWith('.xz')) {
    child = spawn('xz', ['-dc', path], { stdio: ['ignore', 'pipe', 'inherit'] });
    input = child.stdout!;
  } else input = createReadStream(path);
  const rl = createInterface({ input, crlfDelay: Infinity });
  let complete = false;
  try {
    for await (const line of rl) if (line.trim()) yield line;
    complete = true;
  } finally {
    // the caller may stop early (small builds): stop the decompressor too
    if (!complete && child && child.exitCode === null) child.kill();
    rl.close();
  }
  if (child && child.exitCode === null && child.signalCode === null) await new Promise((r) => child!.once('close', r));
  if (child && child.exitCode) throw new Error(`xz -dc ${path} failed (${child.exitCode})`);
}

/**
 * Keep rates for the mix: every task is sampled to its target share, except that a scarce task may
 * fall up to `slack` (a fraction of its share) below target before the others are cut to match it.
 * slack 0: exact shares, the scarcest task (for its share) kept whole.
 */
export function keepRates(counts: Record<string, number>, mix: Record<string, number>, slack = 0): Record<string, number> {
  const tasks = Object.keys(mix).filter((t) => mix[t]! > 0);
  let total = Infinity;
  for (const t of tasks) {
    const c = counts[t] ?? 0;
    if (c > 0) total = Math.min(total, c / (mix[t]! * (1 - slack)));
  }
  const rates: Record<string, number> = {};
  for (const t of Object.keys(counts)) {
    const share = mix[t] ?? 0;
    rates[t] = !isFinite(total) || counts[t] === 0 ? 1 : Math.min(1, (share * total) / counts[t]!);
  }
  return rates;
}

class ShardWriter {
  private n = 0;
  private bytes = 0;
  private child: ReturnType<typeof spawn> | null = null;
  private tmp = '';
  private final = '';
  private closing: Promise<void>[] = [];
  readonly written: string[] = [];
  constructor(private dir: string, private split: string, private maxBytes: number, private level = 3) {}
  private open() {
    this.final = join(this.dir, `${this.split}-${String(this.n).padStart(5, '0')}.jsonl.xz`);
    this.tmp = join(this.dir, `.${this.split}-${String(this.n).padStart(5, '0')}.jsonl.xz.tmp`);
    this.n++;
    const fd = openSync(this.tmp, 'w');
    this.child = spawn('xz', [`-${this.level}`, '-T2', '-c'], { stdio: ['pipe', fd, 'inherit'] });
    closeSync(fd);
    this.bytes = 0;
  }
  async write(line: string): Promise<void> {
    const len = Buffer.byteLength(line) + 1;
    if (this.child && this.bytes + len > this.maxBytes) await this.close();
    if (!this.child) this.open();
    this.bytes += len;
    if (!this.child!.stdin!.write(line + '\n')) await new Promise((r) => this.child!.stdin!.once('drain', r));
  }
  async close(): Promise<void> {
    const c = this.child;
    if (!c) return;
    this.child = null;
    const tmp = this.tmp, final = this.final;
    const done = new Promise<void>((resolve, reject) => {
      c.once('close', (code) => {
        if (code !== 0) return reject(new Error(`xz exited ${code}`));
        renameSync(tmp, final);
        this.written.push(final);
        resolve();
      });
    });
    c.stdin!.end();
    await done;
  }
}

/** The worker: bundled beside this file (scripts/build.mjs --data-kit), else TypeScript through tsx's CommonJS hook. */
function startWorker(workerData: unknown): Worker {
  const bundled = join(__dirname, 'tasks-worker.js');
  if (__filename.endsWith('.js') && existsSync(bundled)) return new Worker(bundled, { workerData });
  const boot = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(join(__dirname, 'worker.ts'))});`;
  return new Worker(boot, { eval: true, workerData });
}

export async function buildTasks(opts: BuildTasksOptions): Promise<BuildTasksResult> {
  const t0 = Date.now();
  const outDir = opts.outDir ?? (opts.out ? join(opts.out, 'tasks') : join(REPO_ROOT, 'build', 'data', 'tasks'));
  const log = opts.log ?? ((s: string) => console.log(`[tasks] ${s}`));
  const seed = opts.seed ?? 1234;
  const settings: Settings = loadSettings(opts.mix ? { mix: opts.mix } : {});
  const nWorkers = Math.max(1, opts.workers ?? Math.min(2, cpus().length));
  const smallFiles = opts.small ? (opts.smallFiles ?? 400) : Infinity;
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (/^\.?(train|valid|test)-\d+\.jsonl\.xz(\.tmp)?$/.test(f) || f === 'TASKS.md' || f === 'tasks-card.json') rmSync(join(outDir, f));
  const tmpDir = join(outDir, '.tmp-tasks');
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });

  let failed: Error | null = null as Error | null;
  let terminating = false;
  const workers = Array.from({ length: nWorkers }, () => startWorker({ seed, settings, tmpDir }));
  const failures: ((e: Error) => void)[] = [];
  for (const w of workers) {
    const fail = (e: Error) => {
      failed ??= e;
      for (const f of failures.splice(0)) f(e);
    };
    w.on('error', fail);
    w.on('exit', (code) => { if (code !== 0 && !terminating) fail(new Error(`tasks worker exited with ${code}`)); });
  }
  const idle: Worker[] = [...workers];
  const waiting: ((w: Worker) => void)[] = [];
  const results = new Map<number, ChunkDone>();
  const chunkSplit: string[] = [];
  const pending = new Set<Promise<void>>();
  const getWorker = () => new Promise<Worker>((r) => (idle.length ? r(idle.pop()!) : waiting.push(r)));
  const release = (w: Worker) => (waiting.length ? waiting.shift()!(w) : idle.push(w));
  const dispatch = async (id: number, split: string, lines: string[]) => {
    if (failed) return;
    const w = await getWorker();
    const p = new Promise<void>((resolve) => {
      const onFail = () => resolve();
      failures.push(onFail);
      w.once('message', (d: ChunkDone) => {
        const k = failures.indexOf(onFail);
        if (k >= 0) failures.splice(k, 1);
        results.set(d.id, d);
        release(w);
        resolve();
      });
      w.postMessage({ id, split, lines });
    });
    pending.add(p);
    void p.then(() => pending.delete(p));
  };

  let files = 0;
  let chunkId = 0;
  const shards = corpusShards(opts.corpusDir);
  log(`${shards.length} corpus shards in ${opts.corpusDir}, ${nWorkers} workers${opts.small ? `, small (${smallFiles} files)` : ''}`);
  outer: for (const sh of shards) {
    let batch: string[] = [];
    let batchChars = 0;
    for await (const line of readLines(sh.path)) {
      if (files >= smallFiles) break;
      batch.push(line);
      batchChars += line.length;
      files++;
      if (batch.length >= settings.chunkRecords || batchChars > 4_000_000) {
        chunkSplit[chunkId] = sh.split;
        await dispatch(chunkId++, sh.split, batch);
        batch = [];
        batchChars = 0;
      }
      if (failed) break outer;
    }
    if (batch.length) {
      chunkSplit[chunkId] = sh.split;
      await dispatch(chunkId++, sh.split, batch);
    }
    if (files >= smallFiles) break;
  }
  while (pending.size) await Promise.all([...pending]);
  terminating = true;
  await Promise.all(workers.map((w) => w.terminate()));
  if (failed) throw failed;
  const tExamples = Date.now();

  const candidates: Record<string, number> = {};
  let errors = 0;
  let notLanguage = 0;
  for (const d of results.values()) {
    errors += d.errors;
    notLanguage += d.notLanguage;
    for (const [t, n] of Object.entries(d.counts)) candidates[t] = (candidates[t] ?? 0) + n;
  }
  const rates = keepRates(candidates, settings.mix, settings.mixSlack ?? 0);
  log(`${files} files (${notLanguage} not in their label's language: dropped) -> candidates ${JSON.stringify(candidates)} in ${((tExamples - t0) / 1000).toFixed(1)}s; keep rates ${JSON.stringify(rates)}`);

  const writers = Object.fromEntries(SPLITS.map((s) => [s, new ShardWriter(outDir, s, settings.shardMaxBytes, settings.xzLevel ?? 3)])) as Record<string, ShardWriter>;
  const stats = new CardStats();
  const written: Record<string, number> = {};
  for (let id = 0; id < chunkId; id++) {
    const split = chunkSplit[id]!;
    for (const task of TASK_ORDER) {
      const f = join(tmpDir, `${id}.${task}.tsv`);
      if (!existsSync(f)) continue;
      const lines = readFileSync(f, 'utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (!line) continue;
        if (unit(seed, 'keep', id, task, i) >= (rates[task] ?? 1)) continue;
        const tab = line.indexOf('\t');
        await writers[split]!.write(line.slice(tab + 1));
        stats.add(task, split, JSON.parse(line.slice(0, tab)) as unknown[]);
        written[task] = (written[task] ?? 0) + 1;
      }
    }
  }
  for (const w of Object.values(writers)) await w.close();
  rmSync(tmpDir, { recursive: true, force: true });
  const shardsOut = Object.values(writers).flatMap((w) => w.written).sort();
  const seconds = (Date.now() - t0) / 1000;
  log(`wrote ${JSON.stringify(written)} into ${shardsOut.length} shards in ${seconds.toFixed(1)}s`);
  const result: BuildTasksResult = { candidates, written, shards: shardsOut, files, errors, notLanguage, seconds };
  // the full build's card is the committed one (models/data); a small build's stays with its output
  const cardDir = opts.cardDir === undefined ? (opts.small ? outDir : join(REPO_ROOT, 'models', 'data')) : opts.cardDir;
  if (cardDir) writeCard(cardDir, stats, { seed, small: !!opts.small, settings, rates, result, corpusDir: opts.corpusDir });
  return result;
}
