// The model runtime: an onnxruntime-node session over models/treasure/model.onnx (docs/CONTRACTS.md
// "Shipped model"), behind the small LogitsSource interface the decoder uses (a fake one in tests).
// Its parts: runtime-ort.ts (config.json, the onnxruntime-node binding, the session opener) and
// runtime-kv.ts (the KV cache strategies); this file holds the interfaces and OrtModel, and re-exports them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chooseProvider, DeviceError } from './device';
import type { Device, DeviceStatus } from './protocol';
import { callerCache, presentCache, type CacheSteps, type CallerSlots } from './runtime-kv';
import { allPositionsFromShape, hostInfo, loadOrt, logitsRows, ModelError, ortOpener, prefixReuseFromEnv, readModelConfig, kvOnDevice, type ModelConfig, type Ort } from './runtime-ort';

export { truncatePositions } from './runtime-kv';
export { allPositionsFromShape, executionProviders, graphMismatch, hostInfo, intraOpThreads, kvOnDevice, logitsRows, ModelError, prefixReuseFromEnv, readModelConfig, type ModelConfig } from './runtime-ort';

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

  /** kv_cache 'caller' (runtime-kv.ts), on the slots this scope's last session left. */
  private callerCache(scope: object | undefined): CacheSteps {
    // The slots an earlier session of the same scope (one engine request) left: what they hold stays
    // valid for a feed that begins the same way. Only within a scope: a slot's values depend, in the
    // last bits, on how its tokens were split into steps, and 4-bit/int8 matmuls can turn that into
    // another token; within one request the splits are the request's own, so its answer does not
    // depend on what was asked before it.
    const inherited = this.prefixReuse && scope !== undefined && this.spare?.scope === scope ? this.spare.slots : undefined;
    this.spare = undefined; // taken, or another request's: no use to anyone now (up to ~80 MB at 2048 slots)
    const keep = this.prefixReuse && scope !== undefined ? (slots: CallerSlots) => { this.spare = { scope, slots }; } : undefined;
    return callerCache(this.ort, this.session, this.config, inherited, keep);
  }

  private presentCache(): CacheSteps {
    return presentCache(this.ort, this.session, this.config);
  }

  async release(): Promise<void> {
    this.spare = undefined;
    await this.session.release();
  }
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
