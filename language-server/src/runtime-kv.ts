// The KV cache strategies of a session, one per kv_cache contract (docs/CONTRACTS.md): 'caller' (the
// runtime keeps the slots; a step copies only the new positions; rollback moves the length; branches
// scored in one step) and 'present' (the model returns the whole cache every step).
import { ModelError, positionFeeds, releaseDeviceTensors, type ModelConfig, type Ort, type OrtSession } from './runtime-ort';


/** How a session steps the model and keeps its KV cache (one per kv_cache contract). */
export interface CacheSteps {
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

/** KV slots of a disposed session (kv_cache 'caller'): per layer keys and values, and the token id each
 * slot was computed for (held[p]; slot p's keys and values depend on held[0..p] only). */
export interface CallerSlots {
  capacity: number;
  buffers: Float32Array[];
  held: number[];
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

/**
 * kv_cache 'caller': per layer a key and a value buffer [1, H, capacity, hd] that the model only reads;
 * attention_bias [1, 1, T, capacity + T] lets each new token see the slots in use and the new tokens up
 * to itself. After a step the new positions' keys and values go into their slots, so a step copies T
 * positions, not the whole cache, and a rollback (truncate) only moves the length. The buffers grow in
 * chunks (a copy each time), up to the context length. `inherited`: the slots an earlier session of the
 * same scope left; `keep`: takes this session's slots when it is disposed (prefix reuse).
 */
export function callerCache(ort: Ort, session: OrtSession, config: ModelConfig, inherited: CallerSlots | undefined, keep: ((slots: CallerSlots) => void) | undefined): CacheSteps {
  const H = config.n_kv_head;
  const D = config.head_dim;
  const CHUNK = 128;
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
      if (keep && capacity > 0) keep({ capacity, buffers, held });
      buffers = [];
      held = [];
      capacity = 0;
    },
  };
}

/** kv_cache 'present': the model takes the cache and returns it grown by the new positions (present.*). */
export function presentCache(ort: Ort, session: OrtSession, config: ModelConfig): CacheSteps {
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
