// The model runtime: an onnxruntime-node session over models/treasure/model.onnx (docs/CONTRACTS.md
// "Shipped model"), behind the small LogitsSource interface the decoder uses (a fake one in tests).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths';
import type { Device } from './protocol';

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
}

/** One decoding run: feed tokens, get the logits that follow the last one. */
export interface LogitsSession {
  /** Appends tokens (positions continue from what was fed before); returns next-token logits. */
  feed(ids: readonly number[]): Promise<Float32Array>;
  /** Tokens fed so far. */
  readonly length: number;
  dispose(): void;
}

export interface LogitsSource {
  readonly vocabSize: number;
  readonly contextLength: number;
  start(): LogitsSession;
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
    if (typeof c[k] !== 'number' || !(c[k]! > 0)) throw new ModelError(`model config ${p}: "${k}" must be a positive number`);
  }
  if (c.dtype && c.dtype !== 'float32') throw new ModelError(`model config ${p}: dtype ${c.dtype} is not supported (float32 only)`);
  return { eos_token: '<|end|>', dtype: 'float32', n_head: c.n_kv_head!, d_model: 0, ...c } as ModelConfig;
}

/**
 * Execution providers to try, in order, for a device setting. The one place that picks providers:
 * CPU for now ('gpu' asks for CUDA and fails clearly when this build of onnxruntime-node has none).
 */
export function executionProviders(device: Device): string[][] {
  switch (device) {
    case 'gpu':
      return [['cuda']];
    case 'auto':
    case 'cpu':
    default:
      return [['cpu']];
  }
}

type Ort = typeof import('onnxruntime-node');
let ortModule: Ort | undefined;

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
  private constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-node').InferenceSession,
    readonly config: ModelConfig,
    readonly device: string,
  ) {}

  get vocabSize(): number { return this.config.vocab_size; }
  get contextLength(): number { return this.config.context_length; }

  static async load(dir: string, device: Device = 'auto'): Promise<OrtModel> {
    const file = join(dir, 'model.onnx');
    if (!existsSync(file)) throw new ModelError(`model file ${file} is missing`);
    const config = readModelConfig(dir);
    const ort = loadOrt();
    const errors: string[] = [];
    for (const providers of executionProviders(device)) {
      try {
        const session = await ort.InferenceSession.create(file, {
          executionProviders: providers,
          graphOptimizationLevel: 'all',
          intraOpNumThreads: Math.max(1, Math.min(8, availableParallelism())),
        });
        const model = new OrtModel(ort, session, config, providers.join('+'));
        model.checkIO();
        return model;
      } catch (e) {
        if (e instanceof ModelError) throw e;
        errors.push(`${providers.join('+')}: ${(e as Error).message}`);
      }
    }
    throw new ModelError(`cannot start the model ${file} on device ${device}: ${errors.join('; ')}`);
  }

  private checkIO(): void {
    const ins = new Set(this.session.inputNames);
    const outs = new Set(this.session.outputNames);
    const need = ['input_ids', 'position_ids', 'past_key_values.0.key', 'past_key_values.0.value'];
    for (const n of need) if (!ins.has(n)) throw new ModelError(`model.onnx has no input ${n} (see docs/CONTRACTS.md)`);
    for (const n of ['logits', 'present.0.key']) if (!outs.has(n)) throw new ModelError(`model.onnx has no output ${n} (see docs/CONTRACTS.md)`);
  }

  start(): LogitsSession {
    const { ort, session, config } = this;
    const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, config.n_kv_head, 0, config.head_dim]);
    let past: Record<string, import('onnxruntime-node').Tensor> = {};
    for (let i = 0; i < config.n_layer; i++) {
      past[`past_key_values.${i}.key`] = empty();
      past[`past_key_values.${i}.value`] = empty();
    }
    let length = 0;
    let busy = false;
    const vocab = config.vocab_size;
    return {
      get length() { return length; },
      async feed(ids: readonly number[]): Promise<Float32Array> {
        if (ids.length === 0) throw new Error('feed: no tokens');
        if (busy) throw new Error('feed: a step is already running');
        if (length + ids.length > config.context_length) throw new ModelError(`context length ${config.context_length} exceeded`);
        busy = true;
        try {
          const T = ids.length;
          const inputIds = new BigInt64Array(T);
          const pos = new BigInt64Array(T);
          for (let t = 0; t < T; t++) {
            inputIds[t] = BigInt(ids[t]!);
            pos[t] = BigInt(length + t);
          }
          const feeds: Record<string, import('onnxruntime-node').Tensor> = {
            input_ids: new ort.Tensor('int64', inputIds, [1, T]),
            position_ids: new ort.Tensor('int64', pos, [1, T]),
            ...past,
          };
          const out = await session.run(feeds);
          const next: typeof past = {};
          for (let i = 0; i < config.n_layer; i++) {
            next[`past_key_values.${i}.key`] = out[`present.${i}.key`]!;
            next[`past_key_values.${i}.value`] = out[`present.${i}.value`]!;
          }
          past = next;
          length += T;
          const logits = out.logits!;
          const data = logits.data as Float32Array;
          // [1, vocab] (the contract), tolerating [1, T, vocab] by taking the last row.
          return data.length === vocab ? data : data.subarray(data.length - vocab);
        } finally {
          busy = false;
        }
      },
      dispose() {
        past = {};
      },
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
