// Exact and near-duplicate detection.
// Exact: SHA-1 of the text with trailing whitespace stripped per line.
// Near: MinHash by one-permutation hashing (one 32-bit hash per token shingle, K = bands*rows bins,
// min per bin, empty bins filled from the next non-empty one), then LSH over `bands` bands of `rows`
// bins; a candidate pair is a near duplicate when its estimated Jaccard similarity >= threshold.
import { createHash } from 'node:crypto';

export function exactKey(text: string): string {
  return createHash('sha1').update(text.replace(/[ \t\r]+$/gm, '').trim()).digest('base64');
}

function mix32(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Token hashes: identifiers, numbers and single punctuation characters. */
function tokenHashes(text: string): Uint32Array {
  const out: number[] = [];
  let h = 0, inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const word = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
    if (word) {
      h = inWord ? Math.imul(h ^ c, 0x01000193) : Math.imul(0x811c9dc5 ^ c, 0x01000193);
      inWord = true;
    } else {
      if (inWord) { out.push(h >>> 0); inWord = false; }
      if (c > 32) out.push(Math.imul(c, 0x9e3779b1) >>> 0);
    }
  }
  if (inWord) out.push(h >>> 0);
  return Uint32Array.from(out);
}

/** One-permutation MinHash signature with `k` bins (k a power of two <= 256). */
export function minhash(text: string, shingle: number, k: number): Uint32Array {
  const toks = tokenHashes(text);
  const sig = new Uint32Array(k).fill(0xffffffff);
  const shift = 32 - Math.log2(k);
  const n = Math.max(1, toks.length - shingle + 1);
  for (let i = 0; i < n; i++) {
    let h = 0x12345678;
    for (let j = 0; j < shingle && i + j < toks.length; j++) h = Math.imul(h ^ toks[i + j]!, 0x5bd1e995) ^ (h >>> 13);
    h = mix32(h);
    const bin = h >>> shift;
    const v = (h << (32 - shift)) >>> (32 - shift); // low bits: value inside the bin
    if (v < sig[bin]!) sig[bin] = v;
  }
  // Densify: an empty bin takes the value of the next non-empty bin (circular), salted by distance.
  for (let b = 0; b < k; b++) {
    if (sig[b] !== 0xffffffff) continue;
    for (let d = 1; d < k; d++) {
      const o = sig[(b + d) % k]!;
      if (o !== 0xffffffff && !(o & 0x80000000)) { sig[b] = (mix32(o + d) | 0x80000000) >>> 0; break; }
    }
  }
  return sig;
}

export function jaccardEstimate(a: Uint32Array, b: Uint32Array): number {
  let eq = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) eq++;
  return eq / a.length;
}

/** LSH index over MinHash signatures; `add` returns the id of an earlier near duplicate, or -1. */
export class NearDupIndex {
  private readonly tables: Map<number, number[]>[];
  private readonly sigs: Uint32Array[] = [];
  constructor(private readonly bands: number, private readonly rows: number, private readonly threshold: number) {
    this.tables = Array.from({ length: bands }, () => new Map<number, number[]>());
  }
  private bandKey(sig: Uint32Array, b: number): number {
    let h1 = 0x811c9dc5 ^ b, h2 = 0x27d4eb2f;
    for (let r = 0; r < this.rows; r++) {
      const v = sig[b * this.rows + r]!;
      h1 = Math.imul(h1 ^ v, 0x01000193);
      h2 = Math.imul(h2 ^ v, 0x85ebca6b) ^ (h2 >>> 15);
    }
    return (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff);
  }
  /** Find an earlier near duplicate of sig; if none, add sig. */
  add(sig: Uint32Array): number {
    const keys: number[] = [];
    const seen = new Set<number>();
    for (let b = 0; b < this.bands; b++) {
      const key = this.bandKey(sig, b);
      keys.push(key);
      const hits = this.tables[b]!.get(key);
      if (!hits) continue;
      for (const id of hits) {
        if (seen.has(id)) continue;
        seen.add(id);
        if (jaccardEstimate(sig, this.sigs[id]!) >= this.threshold) return id;
      }
    }
    const id = this.sigs.length;
    this.sigs.push(sig);
    for (let b = 0; b < this.bands; b++) {
      const t = this.tables[b]!;
      const hits = t.get(keys[b]!);
      if (hits) { if (hits.length < 16) hits.push(id); } else t.set(keys[b]!, [id]);
    }
    return -1;
  }
  get size(): number { return this.sigs.length; }
}
