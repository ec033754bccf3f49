// The corpus stage: manifest -> sources -> fetch -> (workers: extract, filters, licence, decontaminate,
// markers, signatures) -> in package order: exact and near dedup, split, shuffle buffer -> shards -> card.
import { Worker } from 'node:worker_threads';
import { readFileSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { loadAptIndex, describeSources, resolveSources, fetchDebs, fetchDebSrc, fetchNpm, type FetchResult } from './sources.js';
import { NearDupIndex } from './dedup.js';
import { splitOf, type Split } from './split.js';
import { ShardWriter, type ShardInfo } from './shards.js';
import { CardStats, writeCard } from './card.js';
import type { Candidate, FetchedPackage, Manifest, PackageRef, PackageResult } from './types.js';
import type { ProcessConfig } from './process.js';

export interface CorpusOptions {
  small: boolean;
  out: string;
  root: string;
  cache?: string;
  workers?: number;
  manifest?: string;
  /** Where to write DATA.md / data-card.json (default: models/data for the full build, OUT for --small). */
  cardDir?: string;
  decontaminationDir?: string;
  log?: (s: string) => void;
}

export interface CorpusSummary { files: number; bytes: number; shards: ShardInfo[]; seconds: number; cardDir: string }

const SIG_BINS = 128;

/** Seeded PRNG (mulberry32) for the shuffle buffer. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class ShuffleBuffer {
  private items: string[] = [];
  private bytes = 0;
  constructor(private readonly cap: number, private readonly next: () => number, private readonly sink: (s: string) => Promise<void>) {}
  async push(s: string): Promise<void> {
    this.items.push(s);
    this.bytes += s.length;
    while (this.bytes > this.cap) await this.pop();
  }
  private async pop(): Promise<void> {
    const i = Math.floor(this.next() * this.items.length);
    const s = this.items[i]!;
    this.items[i] = this.items[this.items.length - 1]!;
    this.items.pop();
    this.bytes -= s.length;
    await this.sink(s);
  }
  async flush(): Promise<void> { while (this.items.length) await this.pop(); }
}

export async function buildCorpus(opts: CorpusOptions): Promise<CorpusSummary> {
  const t0 = Date.now();
  const log = opts.log ?? ((s: string) => console.log(`[corpus] ${s}`));
  const root = resolve(opts.root);
  const manifestPath = opts.manifest ?? join(root, 'models/data/manifest.json');
  const manifestText = readFileSync(manifestPath, 'utf8');
  const manifest = JSON.parse(manifestText) as Manifest;
  const cache = resolve(opts.cache ?? join(root, 'build/cache'));
  const outDir = resolve(opts.out, 'corpus');
  const specs = opts.small ? manifest.small.sources : manifest.sources;
  const decontDir = resolve(root, opts.decontaminationDir ?? (opts.small ? manifest.small.decontaminationDir : manifest.decontamination.dir));
  if (!existsSync(decontDir)) throw new Error(`decontamination set not found at ${decontDir} (manifest.json: decontamination.dir, repo-relative)`);

  // 1. Resolve.
  const needApt = specs.some((s) => s.kind === 'deb' || s.kind === 'deb-src');
  const apt = needApt ? loadAptIndex() : null;
  const srcNames = specs.filter((s) => s.kind === 'deb-src').flatMap((s) => s.packages ?? []);
  const srcInfo = apt && srcNames.length ? describeSources(srcNames, cache, apt) : new Map();
  const refs = resolveSources(specs, apt, srcInfo);
  log(`${refs.length} packages from ${specs.length} source groups (${opts.small ? 'small' : 'full'} build)`);

  // 2. Fetch (in parallel across kinds).
  const tf = Date.now();
  const byKind = (k: string) => refs.filter((r) => r.kind === k);
  const [debs, srcs, npms] = await Promise.all([
    fetchDebs(byKind('deb').map((r) => r.name), cache, log),
    fetchDebSrc(byKind('deb-src').map((r) => r.name), cache, log),
    fetchNpm(byKind('npm').map((r) => ({ name: r.name, version: r.version })), cache, log),
  ]);
  const fetchMs = Date.now() - tf;
  const fetched: { pkg: FetchedPackage; file: string }[] = [];
  const failed: { name: string; kind: string; error: string }[] = [];
  for (const r of refs) {
    let fr: FetchResult | undefined;
    if (r.kind === 'dir') fr = { file: resolve(root, r.name), version: r.version || 'local' };
    else fr = (r.kind === 'deb' ? debs : r.kind === 'deb-src' ? srcs : npms).get(r.name);
    if (!fr || fr.error || !fr.file) { failed.push({ name: r.name, kind: r.kind, error: fr?.error ?? 'not fetched' }); continue; }
    const name = r.kind === 'dir' ? r.name.replace(/\/+$/, '').split('/').pop()! : r.name;
    fetched.push({ pkg: { ...r, name, version: fr.version || r.version, root: '' }, file: fr.file });
  }
  for (const f of failed) log(`SKIPPED ${f.kind} ${f.name}: ${f.error}`);
  log(`fetched ${fetched.length} packages in ${(fetchMs / 1000).toFixed(1)}s (${failed.length} failed)`);

  // 3. Process in workers; consume results in package order.
  ShardWriter.clean(outDir);
  const sh = manifest.shard;
  const writers: Record<Split, ShardWriter> = {
    train: new ShardWriter(outDir, 'train', sh.maxUncompressedBytes, sh.maxCompressedBytes, 60 * 1024 * 1024, sh.xzPreset),
    valid: new ShardWriter(outDir, 'valid', sh.maxUncompressedBytes, sh.maxCompressedBytes, 60 * 1024 * 1024, sh.xzPreset),
    test: new ShardWriter(outDir, 'test', sh.maxUncompressedBytes, sh.maxCompressedBytes, 60 * 1024 * 1024, sh.xzPreset),
  };
  const bufCap = opts.small ? 1 << 20 : 192 << 20;
  const shuffles: Record<Split, ShuffleBuffer> = {
    train: new ShuffleBuffer(bufCap, rng(manifest.seed), (s) => writers.train.write(s)),
    valid: new ShuffleBuffer(bufCap / 4, rng(manifest.seed + 1), (s) => writers.valid.write(s)),
    test: new ShuffleBuffer(bufCap / 4, rng(manifest.seed + 2), (s) => writers.test.write(s)),
  };
  const stats = new CardStats();
  const exact = new Set<string>();
  const nd = manifest.near_dup;
  const near = new NearDupIndex(nd.bands, nd.rows, nd.threshold);
  const nWorkers = Math.max(1, opts.workers ?? 2);
  const results = new Map<number, PackageResult>();
  let nextToConsume = 0;
  let consuming = Promise.resolve();

  const consume = async (i: number, res: PackageResult) => {
    const { pkg } = fetched[i]!;
    const split = splitOf(pkg.name, manifest.seed, manifest.split);
    stats.addPackage(pkg, res, split);
    if (res.error) log(`SKIPPED ${pkg.kind} ${pkg.name}: ${res.error}`);
    for (const c of res.candidates) {
      const bytes = Buffer.byteLength(c.text);
      if (exact.has(c.exact)) { stats.drop(pkg.name, 'exact_duplicate', bytes); continue; }
      exact.add(c.exact);
      if (near.add(c.sig) >= 0) { stats.drop(pkg.name, 'near_duplicate', bytes); continue; }
      const rec = { text: c.text, code_type: c.code_type, package: c.package, path: c.path, license: c.license, domain: c.domain, quality_bucket: c.quality_bucket, source_kind: c.source_kind };
      stats.keep(rec, split, bytes);
      await shuffles[split].push(JSON.stringify(rec));
    }
  };

  const drain = () => {
    while (results.has(nextToConsume)) {
      const i = nextToConsume++;
      const res = results.get(i)!;
      results.delete(i);
      consuming = consuming.then(() => consume(i, res));
    }
  };

  const cfgFor = (i: number): ProcessConfig => {
    const { pkg, file } = fetched[i]!;
    const safe = `${pkg.name.replace(/[/@]/g, '_')}_${pkg.version.replace(/[^A-Za-z0-9.+~-]/g, '_')}`;
    return {
      limits: manifest.limits, allow: manifest.licenses.allow, seed: manifest.seed, shingle: nd.shingle, sigBins: SIG_BINS,
      extractDir: join(cache, 'extract', pkg.kind, safe), file,
    };
  };

  let nextJob = 0, doneJobs = 0, lastLog = Date.now();
  // Workers are plain Node threads: register tsx's loader in each before importing the TypeScript worker.
  const req = createRequire(__filename);
  const workerPath = join(__dirname, 'worker.ts');
  const bootstrap = `const api = require(${JSON.stringify(req.resolve('tsx/cjs/api'))}); api.register(); require(${JSON.stringify(workerPath)});`;
  await new Promise<void>((resolveAll, rejectAll) => {
    if (fetched.length === 0) { resolveAll(); return; }
    const workers: Worker[] = [];
    const feed = (w: Worker) => {
      if (nextJob >= fetched.length) return;
      const i = nextJob++;
      w.postMessage({ id: i, pkg: fetched[i]!.pkg, cfg: cfgFor(i) });
    };
    for (let k = 0; k < Math.min(nWorkers, fetched.length); k++) {
      const w = new Worker(bootstrap, { eval: true, workerData: { decontDir, ngram: manifest.decontamination.ngram }, resourceLimits: { maxOldGenerationSizeMb: 6144 } });
      workers.push(w);
      w.on('message', (m: { id: number; res: PackageResult }) => {
        for (const c of m.res.candidates) c.sig = new Uint32Array(c.sig.buffer as ArrayBuffer, c.sig.byteOffset, SIG_BINS);
        results.set(m.id, m.res);
        doneJobs++;
        if (Date.now() - lastLog > 15000 || doneJobs === fetched.length) {
          lastLog = Date.now();
          log(`processed ${doneJobs}/${fetched.length} packages; kept ${stats.total.files} files, ${(stats.total.bytes / 1e6).toFixed(1)} MB so far (${((Date.now() - t0) / 1000).toFixed(0)}s)`);
        }
        drain();
        feed(w);
        if (doneJobs === fetched.length) {
          for (const x of workers) void x.terminate();
          resolveAll();
        }
      });
      w.on('error', rejectAll);
      feed(w);
    }
  });
  await consuming;
  for (const s of ['train', 'valid', 'test'] as const) await shuffles[s].flush();
  const shards: ShardInfo[] = [];
  for (const s of ['train', 'valid', 'test'] as const) shards.push(...(await writers[s].finish()));
  const seconds = (Date.now() - t0) / 1000;
  const cardDir = resolve(opts.cardDir ?? (opts.small ? outDir : join(root, 'models/data')));
  writeCard(cardDir, {
    small: opts.small,
    manifestSha256: createHash('sha256').update(manifestText).digest('hex'),
    manifest, refs: refs as PackageRef[], failed, stats, shards, outDir, seconds, fetchSeconds: fetchMs / 1000, workers: nWorkers,
    decontamination: { dir: relative(root, decontDir) || '.', ngram: manifest.decontamination.ngram },
    candidatesBeforeDedup: stats.candidates,
  });
  log(`done: ${stats.total.files} files, ${(stats.total.bytes / 1e6).toFixed(1)} MB in ${shards.length} shards, ${seconds.toFixed(0)}s; card in ${cardDir}`);
  return { files: stats.total.files, bytes: stats.total.bytes, shards, seconds, cardDir };
}

export type { Candidate };
