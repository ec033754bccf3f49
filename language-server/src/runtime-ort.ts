// The ONNX Runtime side of the model runtime: config.json (read and checked against the graph), the
// onnxruntime-node binding (loaded lazily, kept out of the bundles), the session opener device.ts's
// chooseProvider uses (threads, GPU-resident KV, profiling), and the feeds every step shares.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { probeHost, providerOrder, type HostInfo, type SessionOpener } from './device';
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
  /**
   * Who keeps the KV cache (docs/CONTRACTS.md): 'caller' (exports since 2026-12-04) -- the runtime keeps
   * a buffer the model only reads (`attention_bias` says which slots count) and the model returns the new
   * positions' keys and values; 'present' (older exports, the default) -- the model returns the whole cache
   * (present.*, past + new), copied every step.
   */
  kv_cache: 'caller' | 'present';
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

export type Ort = typeof import('onnxruntime-node');
export type OrtSession = import('onnxruntime-node').InferenceSession;
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

export function loadOrt(): Ort {
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

export function positionFeeds(ort: Ort, ids: readonly number[], length: number): Record<string, import('onnxruntime-node').Tensor> {
  const T = ids.length;
  const inputIds = new BigInt64Array(T);
  const pos = new BigInt64Array(T);
  for (let t = 0; t < T; t++) {
    inputIds[t] = BigInt(ids[t]!);
    pos[t] = BigInt(length + t);
  }
  return { input_ids: new ort.Tensor('int64', inputIds, [1, T]), position_ids: new ort.Tensor('int64', pos, [1, T]) };
}

export function releaseDeviceTensors(ts: Record<string, import('onnxruntime-node').Tensor>): void {
  for (const t of Object.values(ts)) if (t.location !== 'cpu') t.dispose();
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
export function ortOpener(ort: Ort, file: string, config: ModelConfig): SessionOpener<OrtSession> {
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
