// The model runtime: an onnxruntime-node session over models/treasure/model.onnx (docs/CONTRACTS.md
// "Shipped model"), behind the small LogitsSource interface the decoder uses (a fake one in tests).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chooseProvider, DeviceError, probeHost, providerOrder, type HostInfo, type SessionOpener } from './device';
import { repoRoot } from './paths';
import type { Device, DeviceStatus } from './protocol';

export class ModelError extends Error {}

export interface ModelConfig {
  n_layer: number;
  n_head: number;
  n_kv_head: number;
  head_dim: number;
  d_model: number;
  vocab_size: number;
  context_length: number;
  eos_token: string;
  dtype: string;
  /**
   * Who keeps the KV cache (docs/CONTRACTS.md): 'caller' (exports since 2026-12-04) -- the runtime keeps
   * a buffer the model only reads (`attention_bias` says which slots count) and the model returns the new
   * positions' keys and values; 'present' (older exports, the default) -- the model returns the whole cache
   * (present.*, past + new), copied every step.
   */
  kv_cache: 'caller' | 'present';
}

/** One decoding run: feed tokens, get the logits that follow the last one. */
export interface LogitsSession {
  /** Appends tokens (positions continue from what was fed before); returns next-token logits. */
  feed(ids: readonly number[]): Promise<Float32Array>;
  /**
   * Speculative decoding (optional): appends tokens like feed() and returns the logits after EVERY
   * one of them (row t: the next-token logits after ids[0..t]). Only where `multiLogits` is true.
   */
  feedAll?(ids: readonly number[]): Promise<Float32Array[]>;
  /** KV rollback (optional): keeps the first `length` positions of the cache, drops the rest. Only where `multiLogits` is true. */
  truncate?(length: number): void;
  /**
   * Whether feedAll and truncate work in this session: the model gives logits for every input
   * position ([1, T, vocab]) and the KV cache is on the CPU. Undefined while unknown (a model
   * without output shape metadata: known after the first feed of several tokens, the prompt).
   */
  readonly multiLogits?: boolean;
  /**
   * Candidate scoring (optional; kv_cache 'caller' models): every branch continues what was fed so far,
   * all branches in ONE model step (each token sees the cache and its own branch's earlier tokens:
   * tree attention); returns, per branch, the log-probability of each of its tokens after the previous
   * one (the first token's after the cache's last position needs `first`, the logits that feed returned).
   * The cache and `length` are left as they were.
   */
  scoreBranches?(branches: readonly (readonly number[])[], first: Float32Array): Promise<number[][]>;
  /** Tokens fed so far. */
  readonly length: number;
  /** Of those, how many feed() found already in the cache and did not run again (prefix reuse). */
  readonly reused?: number;
  dispose(): void;
}

export interface LogitsSource {
  readonly vocabSize: number;
  readonly contextLength: number;
  /**
   * true: the model returns logits for every input position ([1, T, vocab], the export since
   * 2026-11-22); false: the last position only ([1, vocab]); undefined: not known before a feed.
   */
  readonly allPositions?: boolean;
  /** A decoding run. `scope` (one object per engine request): a run may start on the KV cache the
   * scope's last run left, so tokens it feeds again (a retry's prompt) are not computed again. */
  start(scope?: object): LogitsSession;
}

/**
 * Rows of a logits output: [1, T, vocab] gives T, anything else 1 (its last `vocab` values are the
 * next-token logits, as before; for T = 1 both shapes look alike).
 */
export function logitsRows(data: Float32Array, vocab: number, fed: number): number {
  return fed > 1 && data.length === vocab * fed ? fed : 1;
}

/** Whether output metadata says `logits` has a row per input position (rank 3), not one (rank 2). */
export function allPositionsFromShape(shape: ReadonlyArray<number | string> | undefined): boolean | undefined {
  if (!shape || shape.length === 0) return undefined;
  if (shape.length === 3) return true;
  if (shape.length === 2) return false;
  return undefined;
}

/**
 * A KV tensor's data [B, H, P, hd] cut to its first `keep` positions along dim 2 (a copy: each
 * head's first keep*hd values).
 */
export function truncatePositions(data: Float32Array, dims: readonly number[], keep: number): Float32Array {
  if (dims.length !== 4) throw new Error(`truncate: a KV tensor has 4 dimensions, not ${dims.length}`);
  const [b, h, p, hd] = dims as [number, number, number, number];
  if (keep < 0 || keep > p) throw new Error(`truncate: cannot keep ${keep} of ${p} positions`);
  const rows = b * h;
  const out = new Float32Array(rows * keep * hd);
  if (keep === 0) return out;
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * p * hd, r * p * hd + keep * hd), r * keep * hd);
  return out;
}

const CONFIG_LIMITS = { n_layer: 1024, n_kv_head: 1024, head_dim: 4096, vocab_size: 1 << 22, context_length: 1 << 20 } as const;

/**
 * Where config.json and the graph disagree (the graph's past_key_values inputs are the truth: one key
 * and one value per layer, [batch, n_kv_head, past, head_dim]), or undefined when they agree.
 */
export function graphMismatch(inputNames: readonly string[], config: ModelConfig, inputs?: readonly { name: string; isTensor?: boolean; shape?: ReadonlyArray<number | string> }[]): string | undefined {
  const layers = inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
  if (layers !== config.n_layer) return `config.json says n_layer ${config.n_layer} but model.onnx has ${layers} layers of past_key_values`;
  const past = inputs?.find((m) => m.name === 'past_key_values.0.key');
  const shape = past && past.isTensor ? past.shape : undefined;
  if (shape && shape.length === 4) {
    if (typeof shape[1] === 'number' && shape[1] !== config.n_kv_head) return `config.json says n_kv_head ${config.n_kv_head} but model.onnx's past_key_values have ${shape[1]} heads`;
    if (typeof shape[3] === 'number' && shape[3] !== config.head_dim) return `config.json says head_dim ${config.head_dim} but model.onnx's past_key_values have ${shape[3]}`;
  }
  return undefined;
}

export function readModelConfig(dir: string): ModelConfig {
  const p = join(dir, 'config.json');
  if (!existsSync(p)) throw new ModelError(`model config ${p} is missing`);
  let c: Partial<ModelConfig>;
  try {
    c = JSON.parse(readFileSync(p, 'utf8')) as Partial<ModelConfig>;
  } catch (e) {
    throw new ModelError(`model config ${p} is not valid JSON: ${(e as Error).message}`);
  }
  for (const k of ['n_layer', 'n_kv_head', 'head_dim', 'vocab_size', 'context_length'] as const) {
    if (typeof c[k] !== 'number' || !Number.isInteger(c[k]) || !(c[k]! > 0)) throw new ModelError(`model config ${p}: "${k}" must be a positive integer`);
    // far above any model this runtime can run on a desktop: a nonsense config fails here, not 20 s into a fix
    if (c[k]! > CONFIG_LIMITS[k]) throw new ModelError(`model config ${p}: "${k}" is ${c[k]}, above the ${CONFIG_LIMITS[k]} this runtime accepts`);
  }
  if (c.dtype && c.dtype !== 'float32') throw new ModelError(`model config ${p}: dtype ${c.dtype} is not supported (float32 only)`);
  if (c.kv_cache !== undefined && c.kv_cache !== 'caller' && c.kv_cache !== 'present') {
    throw new ModelError(`model config ${p}: kv_cache "${String(c.kv_cache)}" is not "caller" or "present"`);
  }
  return { eos_token: '<|end|>', dtype: 'float32', n_head: c.n_kv_head!, d_model: 0, kv_cache: 'present', ...c } as ModelConfig;
}

/**
 * Execution providers to try, in order, for a device setting. The one place that picks providers:
 * the platform's GPU providers then the CPU for 'auto', GPU ones only for 'gpu', the CPU only for
 * 'cpu' (language-server/src/device.ts: the order, the checks and the reasons).
 */
export function executionProviders(device: Device): string[][] {
  return providerOrder(device).map((p) => [p]);
}

type Ort = typeof import('onnxruntime-node');
let ortModule: Ort | undefined;

/** onnxruntime-node's bin/napi-v6/<platform>/<arch> (where optional provider libraries go). */
function ortBindingDir(): string | undefined {
  try {
    const req = typeof require === 'function' ? require : createRequire(join(repoRoot(), 'package.json'));
    const main = req.resolve('onnxruntime-node');
    return join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

/** This machine as the device choice sees it (onnxruntime-node's providers, Vulkan drivers, GPU nodes). */
export function hostInfo(): HostInfo {
  return probeHost(loadOrt() as unknown as Parameters<typeof probeHost>[0], ortBindingDir());
}

function loadOrt(): Ort {
  if (!ortModule) {
    try {
      // Loaded lazily and kept out of the esbuild bundles (a native module): require() from dist/
      // finds dist/node_modules (the packaged extension) or the repository's node_modules.
      ortModule =
        typeof require === 'function'
          ? (require('onnxruntime-node') as Ort)
          : (createRequire(join(repoRoot(), 'package.json'))('onnxruntime-node') as Ort);
    } catch (e) {
      throw new ModelError(`onnxruntime-node cannot be loaded: ${(e as Error).message}`);
    }
  }
  return ortModule;
}

export class OrtModel implements LogitsSource {
  /** [1, T, vocab] logits (from the output metadata, else learnt at the first feed of several tokens). */
  allPositions: boolean | undefined;
  /** The KV slots the last disposed session of a scope left (kv_cache 'caller'): the scope's next session starts on them. */
  private spare: { scope: object; slots: CallerSlots } | undefined;
  /** Whether sessions reuse the slots a feed's leading tokens already fill (TREASURE_PREFIX_CACHE=0: off, the A/B switch). */
  readonly prefixReuse = prefixReuseFromEnv();

  private constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-node').InferenceSession,
    readonly config: ModelConfig,
    readonly device: string,
    readonly deviceReport: DeviceStatus,
  ) {}

  get vocabSize(): number { return this.config.vocab_size; }
  get contextLength(): number { return this.config.context_length; }

  static async load(dir: string, device: Device = 'auto'): Promise<OrtModel> {
    const file = join(dir, 'model.onnx');
    if (!existsSync(file)) throw new ModelError(`model file ${file} is missing`);
    const config = readModelConfig(dir);
    const ort = loadOrt();
    let chosen;
    try {
      chosen = await chooseProvider(device, ortOpener(ort, file, config), hostInfo());
    } catch (e) {
      if (e instanceof DeviceError) {
        // the CPU failing too means the model itself is broken ("Protobuf parsing failed", a config that
        // does not fit the graph): that reason first, the GPU providers' story after it
        const cpu = e.report.tried.find((t) => t.provider === 'cpu' && !t.ok && !t.skipped);
        const others = e.report.tried.filter((t) => t !== cpu && !t.ok && !t.skipped).map((t) => `${t.provider}: ${t.reason}`);
        const message = cpu ? `cannot load the model ${file}: ${cpu.reason}${others.length ? ` (also tried ${others.join('; ')})` : ''}` : `cannot start the model ${file}: ${e.message}`;
        throw Object.assign(new ModelError(message), { report: e.report });
      }
      throw e;
    }
    const model = new OrtModel(ort, chosen.session, config, chosen.report.provider, chosen.report);
    model.checkIO();
    return model;
  }

  private checkIO(): void {
    const ins = new Set(this.session.inputNames);
    const outs = new Set(this.session.outputNames);
    const caller = this.config.kv_cache === 'caller';
    const need = ['input_ids', 'position_ids', 'past_key_values.0.key', 'past_key_values.0.value', ...(caller ? ['attention_bias'] : [])];
    for (const n of need) if (!ins.has(n)) throw new ModelError(`model.onnx has no input ${n} (see docs/CONTRACTS.md)`);
    for (const n of ['logits', caller ? 'new_key_values.0.key' : 'present.0.key']) if (!outs.has(n)) throw new ModelError(`model.onnx has no output ${n} (see docs/CONTRACTS.md)`);
    if (!caller && ins.has('attention_bias')) throw new ModelError('model.onnx takes attention_bias but config.json does not say "kv_cache": "caller" (see docs/CONTRACTS.md)');
    let meta: readonly import('onnxruntime-node').InferenceSession.ValueMetadata[] = [];
    try {
      meta = this.session.outputMetadata ?? [];
    } catch {
      // older bindings: no metadata; the first feed of several tokens tells
    }
    const logits = meta.find((m) => m.name === 'logits');
    this.allPositions = allPositionsFromShape(logits && logits.isTensor ? logits.shape : undefined);
  }

  /** Whether the KV cache stays on the device (WebGPU buffers), where this runtime does not roll it back. */
  get kvOnDevice(): boolean {
    return kvOnDevice(this.device, this.config.kv_cache);
  }

  start(scope?: object): LogitsSession {
    const { config } = this;
    const model = this;
    const steps = config.kv_cache === 'caller' ? this.callerCache(scope) : this.presentCache();
    let length = 0;
    let reused = 0;
    let busy = false;
    const vocab = config.vocab_size;
    // One model step: the logits of every fed position when the model gives them, else the last one's.
    const run = async (ids: readonly number[]): Promise<{ data: Float32Array; rows: number }> => {
      if (ids.length === 0) throw new Error('feed: no tokens');
      if (busy) throw new Error('feed: a step is already running');
      if (length + ids.length > config.context_length) throw new ModelError(`context length ${config.context_length} exceeded`);
      busy = true;
      try {
        const data = await steps.run(ids, length);
        length += ids.length;
        const rows = logitsRows(data, vocab, ids.length);
        if (ids.length > 1 && model.allPositions === undefined) model.allPositions = rows === ids.length;
        return { data, rows };
      } finally {
        busy = false;
      }
    };
    return {
      get length() { return length; },
      get reused() { return reused; },
      get multiLogits() {
        return model.allPositions === undefined ? undefined : model.allPositions && !model.kvOnDevice;
      },
      async feed(ids: readonly number[]): Promise<Float32Array> {
        // Leading tokens whose keys and values the slots already hold at these positions are not run
        // again (the last one always is: its logits are the answer). A retry's prompt, marker list and
        // answer prefix (runs of one request's scope): only what differs is computed.
        const skip = model.prefixReuse && steps.reusable ? Math.min(steps.reusable(ids, length), ids.length - 1) : 0;
        if (skip > 0) {
          if (length + ids.length > config.context_length) throw new ModelError(`context length ${config.context_length} exceeded`);
          length += skip;
          reused += skip;
        }
        // [1, vocab] (models before 2026-11-22) or [1, T, vocab]: the last row.
        const { data } = await run(skip > 0 ? ids.slice(skip) : ids);
        return data.length === vocab ? data : data.subarray(data.length - vocab);
      },
      async feedAll(ids: readonly number[]): Promise<Float32Array[]> {
        const { data, rows } = await run(ids);
        if (rows !== ids.length) {
          // the tokens were fed all the same; only their logits are missing
          throw new ModelError(`model.onnx returns the last position's logits only ([1, vocab]); feedAll needs [1, T, vocab] (docs/CONTRACTS.md)`);
        }
        const all: Float32Array[] = [];
        for (let t = 0; t < rows; t++) all.push(data.subarray(t * vocab, (t + 1) * vocab));
        return all;
      },
      truncate(keep: number): void {
        if (busy) throw new Error('truncate: a step is running');
        if (!Number.isInteger(keep) || keep < 0 || keep > length) throw new Error(`truncate: cannot keep ${keep} of ${length} positions`);
        if (keep === length) return;
        steps.truncate(keep);
        length = keep;
      },
      ...(steps.runBranches
        ? {
            async scoreBranches(branches: readonly (readonly number[])[], first: Float32Array): Promise<number[][]> {
              const total = branches.reduce((n, b) => n + b.length, 0);
              if (total === 0) return branches.map(() => []);
              if (busy) throw new Error('scoreBranches: a step is running');
              if (length + Math.max(...branches.map((b) => b.length)) > config.context_length) throw new ModelError(`context length ${config.context_length} exceeded`);
              busy = true;
              let data: Float32Array;
              try {
                data = await steps.runBranches!(branches.filter((b) => b.length > 0), length);
              } finally {
                busy = false;
              }
              const firstLp = logSoftmaxAt(first);
              const out: number[][] = [];
              let row = 0;
              for (const b of branches) {
                const lps: number[] = [];
                for (let t = 0; t < b.length; t++) {
                  lps.push(t === 0 ? firstLp(b[0]!) : logSoftmaxAt(data.subarray((row + t - 1) * vocab, (row + t) * vocab))(b[t]!));
                }
                row += b.length;
                out.push(lps);
              }
              return out;
            },
          }
        : {}),
      dispose() {
        steps.dispose();
      },
    };
  }

  /**
   * kv_cache 'caller': per layer a key and a value buffer [1, H, capacity, hd] that the model only reads;
   * attention_bias [1, 1, T, capacity + T] lets each new token see the slots in use and the new tokens up
   * to itself. After a step the new positions' keys and values go into their slots, so a step copies T
   * positions, not the whole cache, and a rollback (truncate) only moves the length. The buffers grow in
   * chunks (a copy each time), up to the context length.
   */
  private callerCache(scope: object | undefined): CacheSteps {
    const { ort, session, config } = this;
    const H = config.n_kv_head;
    const D = config.head_dim;
    const CHUNK = 128;
    // The slots an earlier session of the same scope (one engine request) left: what they hold stays
    // valid for a feed that begins the same way. Only within a scope: a slot's values depend, in the
    // last bits, on how its tokens were split into steps, and 4-bit/int8 matmuls can turn that into
    // another token; within one request the splits are the request's own, so its answer does not
    // depend on what was asked before it.
    const inherited = this.prefixReuse && scope !== undefined && this.spare?.scope === scope ? this.spare.slots : undefined;
    this.spare = undefined; // taken, or another request's: no use to anyone now (up to ~80 MB at 2048 slots)
    let { capacity, buffers, held } = inherited ?? { capacity: 0, buffers: [] as Float32Array[], held: [] as number[] };
    const grow = (need: number) => {
      const next = Math.min(config.context_length, Math.ceil(need / CHUNK) * CHUNK);
      const fresh = Array.from({ length: 2 * config.n_layer }, () => new Float32Array(H * next * D));
      for (let b = 0; b < buffers.length; b++) {
        for (let h = 0; h < H; h++) fresh[b]!.set(buffers[b]!.subarray(h * capacity * D, (h * capacity + held.length) * D), h * next * D);
      }
      buffers = fresh;
      capacity = next;
    };
    return {
      reusable(ids, length) {
        let n = 0;
        while (n < ids.length && length + n < held.length && held[length + n] === ids[n]) n++;
        return n;
      },
      async run(ids, length) {
        const T = ids.length;
        if (length + T > capacity) grow(length + T);
        // a first feed (the prompt) reads no cache: one zero slot, left out by the bias, instead of all of them
        const S = length === 0 ? 1 : capacity;
        const past = (b: number) => (S === capacity ? buffers[b]! : new Float32Array(H * D));
        const bias = new Float32Array(T * (S + T)).fill(-Infinity);
        for (let t = 0; t < T; t++) {
          bias.fill(0, t * (S + T), t * (S + T) + length);
          bias.fill(0, t * (S + T) + S, t * (S + T) + S + t + 1);
        }
        const feeds: Record<string, import('onnxruntime-node').Tensor> = {
          ...positionFeeds(ort, ids, length),
          attention_bias: new ort.Tensor('float32', bias, [1, 1, T, S + T]),
        };
        for (let i = 0; i < config.n_layer; i++) {
          feeds[`past_key_values.${i}.key`] = new ort.Tensor('float32', past(2 * i), [1, H, S, D]);
          feeds[`past_key_values.${i}.value`] = new ort.Tensor('float32', past(2 * i + 1), [1, H, S, D]);
        }
        const out = await session.run(feeds);
        for (let i = 0; i < config.n_layer; i++) {
          for (const [j, kv] of ['key', 'value'].entries()) {
            const src = out[`new_key_values.${i}.${kv}`]!.data as Float32Array;
            const dst = buffers[2 * i + j]!;
            for (let h = 0; h < H; h++) dst.set(src.subarray(h * T * D, (h + 1) * T * D), (h * capacity + length) * D);
          }
        }
        // A slot's keys and values depend on the tokens up to it: past the first new token that differs
        // from what a slot held, the slots after it no longer match their ids.
        for (let t = 0; t < T; t++) {
          if (held[length + t] !== ids[t]) {
            held.length = length + t;
            for (let u = t; u < T; u++) held.push(ids[u]!);
            break;
          }
        }
        return out.logits!.data as Float32Array;
      },
      async runBranches(branches, length) {
        // All branches in one step at positions length.., each token seeing the slots in use and its own
        // branch's tokens up to itself; nothing is written into the slots.
        const T = branches.reduce((n, b) => n + b.length, 0);
        const S = Math.max(1, length);
        if (length > capacity) throw new Error('runBranches: the cache holds fewer positions than fed');
        const bias = new Float32Array(T * (S + T)).fill(-Infinity);
        const ids = new BigInt64Array(T);
        const pos = new BigInt64Array(T);
        let row = 0;
        for (const b of branches) {
          for (let t = 0; t < b.length; t++) {
            const r = (row + t) * (S + T);
            bias.fill(0, r, r + length);
            bias.fill(0, r + S + row, r + S + row + t + 1);
            ids[row + t] = BigInt(b[t]!);
            pos[row + t] = BigInt(length + t);
          }
          row += b.length;
        }
        const view = (b: number) => {
          // the first S slots of each head (the cache's capacity may be larger than S)
          if (length === 0) return new Float32Array(H * D);
          const out = new Float32Array(H * S * D);
          for (let h = 0; h < H; h++) out.set(buffers[b]!.subarray(h * capacity * D, h * capacity * D + S * D), h * S * D);
          return out;
        };
        const feeds: Record<string, import('onnxruntime-node').Tensor> = {
          input_ids: new ort.Tensor('int64', ids, [1, T]),
          position_ids: new ort.Tensor('int64', pos, [1, T]),
          attention_bias: new ort.Tensor('float32', bias, [1, 1, T, S + T]),
        };
        for (let i = 0; i < config.n_layer; i++) {
          feeds[`past_key_values.${i}.key`] = new ort.Tensor('float32', view(2 * i), [1, H, S, D]);
          feeds[`past_key_values.${i}.value`] = new ort.Tensor('float32', view(2 * i + 1), [1, H, S, D]);
        }
        const out = await session.run(feeds);
        return out.logits!.data as Float32Array;
      },
      truncate() {
        // slots past the new length keep their ids (held): the bias of the next step leaves them out,
        // and a later feed of the same tokens reuses them
      },
      dispose: () => {
        if (this.prefixReuse && scope !== undefined && capacity > 0) this.spare = { scope, slots: { capacity, buffers, held } };
        buffers = [];
        held = [];
        capacity = 0;
      },
    };
  }

  /** kv_cache 'present': the model takes the cache and returns it grown by the new positions (present.*). */
  private presentCache(): CacheSteps {
    const { ort, session, config } = this;
    const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, config.n_kv_head, 0, config.head_dim]);
    let past: Record<string, import('onnxruntime-node').Tensor> = {};
    for (let i = 0; i < config.n_layer; i++) {
      past[`past_key_values.${i}.key`] = empty();
      past[`past_key_values.${i}.value`] = empty();
    }
    return {
      async run(ids, length) {
        const out = await session.run({ ...positionFeeds(ort, ids, length), ...past });
        const next: typeof past = {};
        for (let i = 0; i < config.n_layer; i++) {
          next[`past_key_values.${i}.key`] = out[`present.${i}.key`]!;
          next[`past_key_values.${i}.value`] = out[`present.${i}.value`]!;
        }
        releaseDeviceTensors(past); // a KV cache kept on the GPU (kvOnDevice) is freed explicitly
        past = next;
        return out.logits!.data as Float32Array;
      },
      truncate(keep) {
        for (const t of Object.values(past)) {
          // GPU-resident KV (kvOnDevice): multiLogits is false there, so the decoder never asks
          if (t.location !== 'cpu') throw new ModelError('truncate: the KV cache is on the device; rolling it back is not supported');
        }
        const cut: typeof past = {};
        for (const [name, t] of Object.entries(past)) {
          cut[name] = new ort.Tensor('float32', truncatePositions(t.data as Float32Array, t.dims, keep), [t.dims[0]!, t.dims[1]!, keep, t.dims[3]!]);
        }
        past = cut;
      },
      dispose() {
        releaseDeviceTensors(past);
        past = {};
      },
    };
  }

  async release(): Promise<void> {
    this.spare = undefined;
    await this.session.release();
  }
}

type OrtSession = import('onnxruntime-node').InferenceSession;

/** How a session steps the model and keeps its KV cache (one per kv_cache contract). */
interface CacheSteps {
  /** Feeds ids at positions length..length+T-1; returns the logits output's data. */
  run(ids: readonly number[], length: number): Promise<Float32Array>;
  /** How many leading ids the cache already holds at positions length.. (kept from before a truncate, or
   * from the last disposed session), so feeding them again can be skipped. */
  reusable?(ids: readonly number[], length: number): number;
  /** Drops every position from keep on (the caller checked keep). */
  truncate(keep: number): void;
  /** Branches after position `length`, in one step, their keys and values not kept (LogitsSession.scoreBranches). */
  runBranches?(branches: readonly (readonly number[])[], length: number): Promise<Float32Array>;
  dispose(): void;
}

function positionFeeds(ort: Ort, ids: readonly number[], length: number): Record<string, import('onnxruntime-node').Tensor> {
  const T = ids.length;
  const inputIds = new BigInt64Array(T);
  const pos = new BigInt64Array(T);
  for (let t = 0; t < T; t++) {
    inputIds[t] = BigInt(ids[t]!);
    pos[t] = BigInt(length + t);
  }
  return { input_ids: new ort.Tensor('int64', inputIds, [1, T]), position_ids: new ort.Tensor('int64', pos, [1, T]) };
}

function releaseDeviceTensors(ts: Record<string, import('onnxruntime-node').Tensor>): void {
  for (const t of Object.values(ts)) if (t.location !== 'cpu') t.dispose();
}

/** KV slots of a disposed session (kv_cache 'caller'): per layer keys and values, and the token id each
 * slot was computed for (held[p]; slot p's keys and values depend on held[0..p] only). */
interface CallerSlots {
  capacity: number;
  buffers: Float32Array[];
  held: number[];
}

/** Prefix reuse on unless TREASURE_PREFIX_CACHE=0 (or false/off): the A/B switch. */
export function prefixReuseFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return !/^(0|false|off|no)$/i.test(env.TREASURE_PREFIX_CACHE ?? '');
}

/**
 * Intra-op threads of a session: all cores up to 8, or TREASURE_ORT_THREADS (the evaluation harness runs
 * several engines side by side, each with a few threads: npm run eval -- --gen-workers N --threads K).
 */
export function intraOpThreads(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.TREASURE_ORT_THREADS);
  if (Number.isInteger(n) && n > 0) return n;
  return Math.max(1, Math.min(8, availableParallelism()));
}

/**
 * WebGPU with a model that returns the whole cache (kv_cache 'present'): the cache (present.*) stays in
 * GPU buffers between steps instead of a round trip through the CPU each token; TREASURE_GPU_KV=0 turns
 * that off (a check for the benchmark). A 'caller' cache lives in the runtime's CPU buffers.
 */
export function kvOnDevice(provider: string, kvCache: ModelConfig['kv_cache'], env: NodeJS.ProcessEnv = process.env): boolean {
  return kvCache === 'present' && provider === 'webgpu' && env.TREASURE_GPU_KV !== '0';
}

/**
 * Real sessions for device.ts's chooseProvider: a GPU session starts with profiling on, runs one
 * token, and ends profiling (onnxruntime writes the profile to a temp folder, read and removed here).
 */
function ortOpener(ort: Ort, file: string, config: ModelConfig): SessionOpener<OrtSession> {
  const profileDirs = new WeakMap<OrtSession, string>();
  return {
    async open(provider, { profile }) {
      const dir = profile ? mkdtempSync(join(tmpdir(), 'treasure-profile-')) : undefined;
      try {
        const session = await ort.InferenceSession.create(file, {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          intraOpNumThreads: intraOpThreads(),
          ...(dir ? { enableProfiling: true, profileFilePrefix: join(dir, 'ort') } : {}),
          ...(kvOnDevice(provider, config.kv_cache)
            ? { preferredOutputLocation: Object.fromEntries(Array.from({ length: config.n_layer }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat().map((n) => [n, 'gpu-buffer' as const])) }
            : {}),
        });
        let inputs: readonly import('onnxruntime-node').InferenceSession.ValueMetadata[] | undefined;
        try {
          inputs = session.inputMetadata;
        } catch {
          // older bindings: no metadata, the names are checked
        }
        const mismatch = graphMismatch(session.inputNames, config, inputs as Parameters<typeof graphMismatch>[2]);
        if (mismatch) {
          await session.release().catch(() => undefined);
          throw new ModelError(mismatch);
        }
        if (dir) profileDirs.set(session, dir);
        return session;
      } catch (e) {
        if (dir) rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    },
    async profile(session) {
      const dir = profileDirs.get(session);
      if (!dir) throw new Error('profiling is off');
      try {
        // one token, no past (a 'caller' cache: one unused slot, left out by the bias)
        const slots = config.kv_cache === 'caller' ? 1 : 0;
        const feeds: Record<string, import('onnxruntime-node').Tensor> = {
          ...positionFeeds(ort, [0], 0),
          ...(slots ? { attention_bias: new ort.Tensor('float32', new Float32Array([-Infinity, 0]), [1, 1, 1, 2]) } : {}),
        };
        for (let i = 0; i < config.n_layer; i++) {
          for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(slots * config.n_kv_head * config.head_dim), [1, config.n_kv_head, slots, config.head_dim]);
        }
        releaseDeviceTensors(await session.run(feeds) as Record<string, import('onnxruntime-node').Tensor>);
        session.endProfiling();
        const f = readdirSync(dir).find((n) => n.endsWith('.json'));
        if (!f) throw new Error('onnxruntime wrote no profile');
        return JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown;
      } finally {
        profileDirs.delete(session);
        rmSync(dir, { recursive: true, force: true });
      }
    },
    async close(session) {
      const dir = profileDirs.get(session);
      if (dir) rmSync(dir, { recursive: true, force: true });
      await session.release();
    },
  };
}

/** log-softmax of a logits row, read at one token (computed once per row). */
export function logSoftmaxAt(row: Float32Array): (id: number) => number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
  const lse = max + Math.log(sum);
  return (id: number) => row[id]! - lse;
}
