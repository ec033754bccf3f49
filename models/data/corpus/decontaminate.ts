// Decontamination against HumanEvalPack (our evaluation set): every n-gram of whitespace-separated
// words (default n = 13) of every prompt, declaration, canonical solution, buggy solution, test and
// example test -- and of prompt/declaration + solution joined, as they would appear in a file -- goes
// into a hash set; a corpus file sharing any one of those n-grams is dropped. Functions too short to
// hold an n-gram (declaration + solution under n words, e.g. `def strlen(string): return len(string)`)
// are matched whole: a file containing that exact word sequence is dropped too.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const FIELDS = ['prompt', 'declaration', 'canonical_solution', 'buggy_solution', 'test', 'example_test'] as const;

/** 32-bit FNV-1a of a word, two seeds: two independent lanes. */
function wordHashes(text: string): { a: Uint32Array; b: Uint32Array } {
  const words = text.split(/\s+/).filter(Boolean);
  const a = new Uint32Array(words.length);
  const b = new Uint32Array(words.length);
  for (let w = 0; w < words.length; w++) {
    const s = words[w]!;
    let h1 = 0x811c9dc5, h2 = 0x01000193 ^ 0x5bd1e995;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    a[w] = h1 >>> 0;
    b[w] = h2 >>> 0;
  }
  return { a, b };
}

const P1 = 0x9e3779b1, P2 = 0x85ebca77;

/** Calls `fn` with a 53-bit key for every n-gram of words in `text`. Returns early if fn returns true. */
export function forEachNgram(text: string, n: number, fn: (key: number) => boolean | void): boolean {
  const { a, b } = wordHashes(text);
  return scanNgrams(a, b, n, fn);
}

function scanNgrams(a: Uint32Array, b: Uint32Array, n: number, fn: (key: number) => boolean | void): boolean {
  if (a.length < n) return false;
  // Rolling polynomial hash mod 2^32 in two lanes.
  let pw1 = 1, pw2 = 1;
  for (let i = 0; i < n - 1; i++) { pw1 = Math.imul(pw1, P1); pw2 = Math.imul(pw2, P2); }
  let h1 = 0, h2 = 0;
  for (let i = 0; i < a.length; i++) {
    if (i >= n) {
      h1 = (h1 - Math.imul(a[i - n]!, pw1)) | 0;
      h2 = (h2 - Math.imul(b[i - n]!, pw2)) | 0;
    }
    h1 = (Math.imul(h1, P1) + a[i]!) | 0;
    h2 = (Math.imul(h2, P2) + b[i]!) | 0;
    if (i >= n - 1) {
      const key = (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff);
      if (fn(key)) return true;
    }
  }
  return false;
}

/** Short functions: first word hash -> [word count, key of the whole sequence]. */
type ShortIndex = Map<number, [number, number][]>;

export interface DecontamIndex { n: number; keys: Set<number>; docs: number; short: ShortIndex }

/** Key of the whole word sequence a[i..i+k) (same construction as the n-gram keys). */
function seqKey(a: Uint32Array, b: Uint32Array, i: number, k: number): number {
  let h1 = 0, h2 = 0;
  for (let j = i; j < i + k; j++) {
    h1 = (Math.imul(h1, P1) + a[j]!) | 0;
    h2 = (Math.imul(h2, P2) + b[j]!) | 0;
  }
  return (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff);
}

/** Declaration (or prompt) + solution texts: what a file would contain if it copied the function. */
function functionTexts(rec: Record<string, unknown>): string[] {
  const f = (k: string) => (typeof rec[k] === 'string' ? (rec[k] as string) : '');
  const out: string[] = [];
  for (const body of [f('canonical_solution'), f('buggy_solution')]) if (f('declaration') && body) out.push(f('declaration') + body);
  return out;
}

/** The strings of one HumanEvalPack record that must never be trained on. */
export function evalTexts(rec: Record<string, unknown>): string[] {
  const f = (k: string) => (typeof rec[k] === 'string' ? (rec[k] as string) : '');
  const out: string[] = FIELDS.map(f).filter(Boolean);
  for (const head of [f('prompt'), f('declaration')]) {
    for (const body of [f('canonical_solution'), f('buggy_solution')]) if (head && body) out.push(head + body);
  }
  return out;
}

/** Build the n-gram set from every *.jsonl file in `dir`. */
export function loadDecontamIndex(dir: string, n: number): DecontamIndex {
  if (!existsSync(dir)) throw new Error(`decontamination set not found: ${dir}`);
  const keys = new Set<number>();
  const short: ShortIndex = new Map();
  let docs = 0;
  for (const name of readdirSync(dir).filter((x) => x.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const rec = JSON.parse(line) as Record<string, unknown>;
      docs++;
      for (const t of evalTexts(rec)) forEachNgram(t, n, (k) => { keys.add(k); });
      for (const t of functionTexts(rec)) {
        const { a, b } = wordHashes(t);
        if (a.length >= n || a.length < 5) continue;
        const list = short.get(a[0]!) ?? [];
        list.push([a.length, seqKey(a, b, 0, a.length)]);
        short.set(a[0]!, list);
      }
    }
  }
  if (docs === 0) throw new Error(`decontamination set is empty: ${dir}`);
  return { n, keys, docs, short };
}

/** Does `text` share an n-gram (or contain a whole short function) of the evaluation set? */
export function isContaminated(text: string, idx: { n: number; keys: Set<number>; short?: ShortIndex }): boolean {
  const { a, b } = wordHashes(text);
  if (scanNgrams(a, b, idx.n, (k) => idx.keys.has(k))) return true;
  if (idx.short && idx.short.size) {
    for (let i = 0; i < a.length; i++) {
      const cands = idx.short.get(a[i]!);
      if (!cands) continue;
      for (const [k, key] of cands) if (i + k <= a.length && seqKey(a, b, i, k) === key) return true;
    }
  }
  return false;
}
