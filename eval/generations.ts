// The engine-output cache ("generations file", --generations FILE): every engine call a suite makes
// through engine-adapter.ts (fix, generate) is stored as one JSON line, keyed by
//   sha256(canonical JSON of { v, model: the model's identity, op, request: the whole request })
// where the model's identity is the sha256 of model.onnx, config.json and tokenizer.json plus whether the
// engine runs with markers (the baseline does not), and the request holds the mode, the document or prompt,
// the line, the explicit markers, the diagnostic and maxTokens. A run reads the entries it finds (a hit is
// an engine call not made) and appends the ones it computes; `--generate-only` runs only the engine calls
// (on a machine without the toolchains), a later run with the file only executes the tests.
//
// Stand-in engines (oracle, null) are keyed by their kind. Engine errors that depend only on the request
// (InputError: unsupported language, prompt too long, ...) are stored and thrown again on a hit; any other
// error (the model did not load, a worker died) is not stored.
//
// Each computed entry says where it came from (`origin`: host, CPU, workers, threads, provider, and a hash
// of the engine's sources, so that a file made before a change to the decoder is noticed: not part of
// the key, reported as `engineSourceMismatch`).
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, cpus, hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { EvalEngine, EvalFixRequest, EvalFixResult, EvalGenerateRequest, EvalGenerateResult } from './engine-adapter.js';
import { repoRoot } from './paths.js';

export const GENERATIONS_VERSION = 1;
export type GenOp = 'fix' | 'generate';

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** JSON with sorted keys and no undefined members: the same request always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x)).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export interface ModelIdentity {
  /** what the cache keys use */
  id: string;
  modelDir: string;
  /** file -> sha256 */
  files: Record<string, string>;
  /** false for the no-marker baseline (EngineOptions markers: false) */
  markers: boolean;
}

/** The identity of a model folder (undefined when a file is missing: the engine then says what is wrong). */
export function modelIdentity(modelDir: string, opts: { baseline?: boolean } = {}): ModelIdentity | undefined {
  const names = ['config.json', 'tokenizer.json'];
  if (!existsSync(join(modelDir, 'model.onnx'))) return undefined;
  // model.onnx and any external-data file beside it (model.onnx.data, model.onnx_data)
  names.push(...readdirSync(modelDir).filter((f) => f.startsWith('model.onnx')).sort());
  const files: Record<string, string> = {};
  for (const f of names) {
    const p = join(modelDir, f);
    if (!existsSync(p)) return undefined;
    files[f] = sha256(readFileSync(p));
  }
  const markers = !opts.baseline;
  return { id: sha256(canonicalJson({ files, markers })), modelDir, files, markers };
}

export function requestKey(model: string, op: GenOp, request: EvalFixRequest | EvalGenerateRequest): string {
  return sha256(canonicalJson({ v: GENERATIONS_VERSION, model, op, request }));
}

// --- where entries come from -------------------------------------------------------------------------

declare const __TREASURE_EVAL_KIT__: { engineSource: string; gitCommit?: string; builtAt: string } | undefined;

/** Set by the bundle (eval/kit.ts) at build time; undefined under tsx. */
export function kitInfo(): { engineSource: string; gitCommit?: string; builtAt: string } | undefined {
  return typeof __TREASURE_EVAL_KIT__ !== 'undefined' ? __TREASURE_EVAL_KIT__ : undefined;
}

/** The files whose content decides what the engine answers (besides the model): its sources, the grammars' tables, the taxonomy. */
export function engineSourceFiles(root = repoRoot): string[] {
  const out: string[] = [];
  const walk = (dir: string, keep: (f: string) => boolean) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p, keep);
      else if (keep(name)) out.push(relative(root, p));
    }
  };
  walk(join(root, 'language-server', 'src'), (f) => f.endsWith('.ts'));
  walk(join(root, 'grammars', 'queries'), () => true);
  for (const f of ['grammars/grammars.json', 'grammars/domains.json', 'grammars/error-types.json', 'models/markers.json']) if (existsSync(join(root, f))) out.push(f);
  return out;
}

/** sha256 over the engine's source files (path and content): the bundle's build-time value, else the files here. */
const sourceHashes = new Map<string, string>();
export function engineSourceHash(root = repoRoot): string {
  const kit = kitInfo();
  if (kit) return kit.engineSource;
  let hex = sourceHashes.get(root);
  if (!hex) {
    const h = createHash('sha256');
    for (const f of engineSourceFiles(root)) h.update(f).update('\0').update(readFileSync(join(root, f))).update('\0');
    sourceHashes.set(root, (hex = h.digest('hex')));
  }
  return hex;
}

export interface GenOrigin {
  host: string;
  /** --gen-label / TREASURE_GEN_LABEL, e.g. "gpu box" */
  label?: string;
  cpu: string;
  cpus: number;
  platform: string;
  node: string;
  /** the execution provider the engine ran on */
  provider?: string;
  workers: number;
  /** intra-op threads of each worker's session */
  threads: number;
  engineSource: string;
  gitCommit?: string;
  bundle: boolean;
}

export function thisMachine(o: { label?: string; workers: number; threads: number; gitCommit?: string }): GenOrigin {
  const kit = kitInfo();
  return {
    host: hostname(), label: o.label, cpu: cpus()[0]?.model?.trim() ?? '?', cpus: availableParallelism(),
    platform: `${process.platform}-${process.arch}`, node: process.version, workers: o.workers, threads: o.threads,
    engineSource: engineSourceHash(), gitCommit: kit?.gitCommit ?? o.gitCommit, bundle: kit !== undefined,
  };
}

// --- the file ------------------------------------------------------------------------------------------

export interface GenerationEntry {
  v: number;
  key: string;
  op: GenOp;
  /** ModelIdentity.id, or a stand-in's kind */
  model: string;
  /** the request without its document/prompt text (in the key, not stored): text/prompt sha256 and length instead */
  request: Record<string, unknown>;
  result?: EvalFixResult | EvalGenerateResult;
  error?: { name: string; message: string };
  origin: GenOrigin;
  at: string;
}

function storedRequest(op: GenOp, req: EvalFixRequest | EvalGenerateRequest): Record<string, unknown> {
  const { text: _t, prompt: _p, ...rest } = req as EvalFixRequest & EvalGenerateRequest;
  const body = op === 'fix' ? (req as EvalFixRequest).text : (req as EvalGenerateRequest).prompt;
  return { ...rest, [op === 'fix' ? 'textSha256' : 'promptSha256']: sha256(body), chars: body.length };
}

export interface StoreStats {
  /** entries read from the file */
  read: number;
  /** lines that could not be read (a run killed mid-write leaves at most one) */
  badLines: number;
  /** engine calls answered from the file */
  cached: number;
  /** engine calls made (and appended) */
  computed: number;
  /** hits on entries made from other engine sources than these */
  engineSourceMismatch: number;
}

export class GenerationStore {
  private readonly entries = new Map<string, GenerationEntry>();
  readonly stats: StoreStats = { read: 0, badLines: 0, cached: 0, computed: 0, engineSourceMismatch: 0 };
  /** origins of the entries a run used, with counts (the report says where its generations came from) */
  private readonly used = new Map<string, { origin: GenOrigin; entries: number }>();
  private readonly here = engineSourceHash();

  /** file '' (memory()): entries live only in this process */
  private constructor(readonly file: string) {}

  /** A store of this run only: identical requests within the run are computed once. */
  static memory(): GenerationStore {
    return new GenerationStore('');
  }

  /** Reads FILE when it exists (JSON lines; later duplicates win); new entries are appended to it. */
  static open(file: string): GenerationStore {
    const s = new GenerationStore(file);
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const e = JSON.parse(line) as GenerationEntry;
          if (e.v !== GENERATIONS_VERSION || typeof e.key !== 'string') { s.stats.badLines++; continue; }
          s.entries.set(e.key, e);
          s.stats.read++;
        } catch {
          s.stats.badLines++;
        }
      }
    }
    return s;
  }

  get size(): number { return this.entries.size; }

  lookup(key: string): GenerationEntry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.stats.cached++;
    if (e.origin.engineSource !== this.here) this.stats.engineSourceMismatch++;
    const id = canonicalJson(e.origin);
    const u = this.used.get(id);
    if (u) u.entries++; else this.used.set(id, { origin: e.origin, entries: 1 });
    return e;
  }

  add(op: GenOp, model: string, req: EvalFixRequest | EvalGenerateRequest, key: string, out: { result?: EvalFixResult | EvalGenerateResult; error?: { name: string; message: string } }, origin: GenOrigin): void {
    const e: GenerationEntry = { v: GENERATIONS_VERSION, key, op, model, request: storedRequest(op, req), ...out, origin, at: new Date().toISOString() };
    this.entries.set(key, e);
    this.stats.computed++;
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, JSON.stringify(e) + '\n');
  }

  /** What a report records: the file, the counts, and where the entries used came from. */
  summary(): { file: string; entries: number } & StoreStats & { origins: (GenOrigin & { entries: number })[] } {
    return {
      file: this.file, entries: this.entries.size, ...this.stats,
      origins: [...this.used.values()].map((u) => ({ ...u.origin, entries: u.entries })),
    };
  }
}

/**
 * An EvalEngine answering from the store, calling `inner` (loaded on the first miss only) for what is
 * not there and storing it. `countTokens` serves the length suite without loading the model.
 */
export function cachedEngine(opts: {
  store: GenerationStore;
  /** ModelIdentity.id, or a stand-in's kind */
  model: string;
  kind: string;
  modelDir: string;
  inner: () => Promise<EvalEngine>;
  origin: (inner: EvalEngine) => GenOrigin;
  countTokens?: (text: string) => number;
}): EvalEngine {
  let inner: Promise<EvalEngine> | undefined;
  const get = () => (inner ??= opts.inner());
  async function call<R extends EvalFixResult | EvalGenerateResult>(op: GenOp, req: EvalFixRequest | EvalGenerateRequest, run: (e: EvalEngine) => Promise<R>): Promise<R> {
    const key = requestKey(opts.model, op, req);
    const hit = opts.store.lookup(key);
    if (hit) {
      if (hit.error) throw Object.assign(new Error(hit.error.message), { name: hit.error.name });
      return structuredClone(hit.result) as R;
    }
    const e = await get();
    try {
      const r = await run(e);
      opts.store.add(op, opts.model, req, key, { result: r }, opts.origin(e));
      return r;
    } catch (err) {
      const x = err as Error;
      if (x?.name === 'InputError' || x?.constructor?.name === 'InputError') opts.store.add(op, opts.model, req, key, { error: { name: 'InputError', message: x.message } }, opts.origin(e));
      throw err;
    }
  }
  const engine: EvalEngine = {
    kind: opts.kind,
    modelDir: opts.modelDir,
    fix: (req) => call('fix', req, (e) => e.fix(req)),
    generate: (req) => call('generate', req, (e) => e.generate(req)),
    markersAt: async (req) => (await get()).markersAt(req),
    close: async () => { if (inner) await (await inner.catch(() => undefined))?.close?.(); },
  };
  if (opts.countTokens) engine.countTokens = opts.countTokens;
  return engine;
}
