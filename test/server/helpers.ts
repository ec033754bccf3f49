// Test helpers: a tiny byte-level BPE tokenizer.json built in memory (the same layout as the shipped
// one: byte-level pre-tokenizer and decoder, format tokens special, marker tags plain added tokens)
// and a deterministic fake LogitsSource for the decoder.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { markerOrder, taxonomy } from '../../language-server/src/markers';
import type { LogitsSession, LogitsSource } from '../../language-server/src/runtime';
import { TreasureTokenizer } from '../../language-server/src/tokenizer';
import { findTests, type FindOptions, type TestPlan } from '../../language-server/src/repair/tests';

function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  return new Map(bs.map((b, i) => [b, String.fromCodePoint(cs[i]!)]));
}

/** A byte-level BPE tokenizer.json with a few merges, the format tokens and the marker tags. */
export function tinyTokenizerJSON(): object {
  const b2u = bytesToUnicode();
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[b2u.get(b)!] = b;
  const merges: [string, string][] = [];
  const addMerge = (a: string, b: string) => {
    if (vocab[a + b] !== undefined) return;
    merges.push([a, b]);
    vocab[a + b] = Object.keys(vocab).length;
  };
  // a few merges so that some values are multi-byte tokens ("Ġ" is a space)
  addMerge('Ġ', 'C');
  addMerge('ĠC', 'o');
  addMerge('d', 'e');
  addMerge('e', 'r');
  addMerge('Ġ', 'p');
  addMerge('Ġp', 'y');
  const t = taxonomy();
  const specials = [t.format.prompt_open, t.format.completion_open, t.format.end, t.format.file_open, '<|pad|>'];
  const tags = [t.serialization.open, t.serialization.close];
  for (const k of markerOrder()) tags.push(`<${k}>`, `</${k}>`);
  let id = Object.keys(vocab).length;
  const added = [
    ...specials.map((c) => ({ id: id++, content: c, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    ...tags.map((c) => ({ id: id++, content: c, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false })),
  ];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges,
    },
  };
}

export function tinyTokenizer(): TreasureTokenizer {
  return TreasureTokenizer.fromJSON(tinyTokenizerJSON());
}

/**
 * A fake model that "wants" to write `script` after the prompt. It follows the script token by
 * token; when a forced token deviates, it stays put, and re-aligns at the next token that occurs in
 * the script exactly once (a marker tag), so forced markers are followed by the script's next part.
 * Scores are deterministic.
 */
export class ScriptedLogits implements LogitsSource {
  readonly vocabSize: number;
  feeds = 0;
  /** the prompt of each session (its first feed) */
  readonly prompts: (readonly number[])[] = [];
  private readonly script: number[];
  private readonly unique = new Map<number, number>();
  constructor(tok: TreasureTokenizer, completion: string, readonly contextLength = 4096, private readonly onFeed?: (n: number) => void) {
    this.vocabSize = tok.vocabSize;
    this.script = tok.encode(completion);
    const count = new Map<number, number>();
    for (const t of this.script) count.set(t, (count.get(t) ?? 0) + 1);
    this.script.forEach((t, i) => { if (count.get(t) === 1) this.unique.set(t, i); });
  }
  start(): LogitsSession {
    let length = 0;
    let pos = 0;
    let first = true;
    const self = this;
    return {
      get length() { return length; },
      async feed(ids: readonly number[]) {
        self.feeds++;
        self.onFeed?.(self.feeds);
        length += ids.length;
        if (first) { first = false; self.prompts.push([...ids]); } // the prompt
        else {
          for (const id of ids) {
            if (self.script[pos] === id) pos++;
            else if (self.unique.has(id)) pos = self.unique.get(id)! + 1;
          }
        }
        const logits = new Float32Array(self.vocabSize);
        for (let i = 0; i < logits.length; i++) logits[i] = -i * 1e-6;
        logits[self.script[Math.min(pos, self.script.length - 1)]!] = 10;
        return logits;
      },
      dispose() {},
    };
  }
}

/**
 * A fake model with every position's logits ([1, T, vocab], feedAll) and a KV cache that can be
 * rolled back (truncate), for speculative decoding. What it wants to write next is a pure function
 * of ALL the tokens in its cache (the prompt, then the completion replayed with ScriptedLogits's
 * rule), so a rollback that leaves a rejected token in the cache, or logits taken from the wrong
 * row, change what it writes. The runner-up token and its score also depend on the whole cache, so
 * that the decoder's branch bookkeeping (runner-up and margin at each copy point) is checked too.
 * `multi: false` makes it a model with the last position's logits only (no feedAll, no truncate).
 */
/** Where the completion starts in a session's first feed: after the prompt's closing <|completion|>
 * (a retry feeds its marker list with the prompt, DecodeRequest.markerPrefix); the whole feed is prompt
 * when it has none. */
export function completionStart(tok: TreasureTokenizer, firstFeed: readonly number[]): number {
  const open = tok.tryId('<|completion|>');
  const k = open === undefined ? -1 : firstFeed.indexOf(open);
  return k >= 0 ? k + 1 : firstFeed.length;
}

export class ReplayLogits implements LogitsSource {
  readonly vocabSize: number;
  readonly allPositions: boolean;
  /** Model calls, tokens fed (drafts included), and every truncate(length) asked for. */
  calls = 0;
  fed = 0;
  readonly truncations: { from: number; to: number }[] = [];
  private readonly script: number[];
  private readonly unique = new Map<number, number>();
  private readonly tok: TreasureTokenizer;
  constructor(tok: TreasureTokenizer, completion: string, readonly contextLength = 4096, private readonly opts: { multi?: boolean; onCall?: (n: number) => void } = {}) {
    this.vocabSize = tok.vocabSize;
    this.tok = tok;
    this.allPositions = opts.multi !== false;
    this.script = tok.encode(completion);
    const count = new Map<number, number>();
    for (const t of this.script) count.set(t, (count.get(t) ?? 0) + 1);
    this.script.forEach((t, i) => { if (count.get(t) === 1) this.unique.set(t, i); });
  }

  /** Next-token logits after `tokens` (the first `promptLength` of them are the prompt). */
  logitsAfter(tokens: readonly number[], promptLength: number): Float32Array {
    let pos = 0;
    let hash = 7;
    for (let i = 0; i < tokens.length; i++) {
      const id = tokens[i]!;
      hash = (hash * 31 + id + 1) % 1000003;
      if (i < promptLength) continue;
      if (this.script[pos] === id) pos++;
      else if (this.unique.has(id)) pos = this.unique.get(id)! + 1;
    }
    const logits = new Float32Array(this.vocabSize);
    for (let i = 0; i < logits.length; i++) logits[i] = -i * 1e-6;
    const want = this.script[Math.min(pos, this.script.length - 1)]!;
    const runner = (want + 1 + (hash % (this.vocabSize - 1))) % this.vocabSize;
    logits[runner] = 5 + (hash % 997) / 997; // a runner-up that depends on everything in the cache
    logits[want] = 10;
    return logits;
  }

  start(): LogitsSession {
    const tokens: number[] = [];
    let promptLength = -1;
    const self = this;
    const append = (ids: readonly number[]) => {
      if (ids.length === 0) throw new Error('feed: no tokens');
      if (tokens.length + ids.length > self.contextLength) throw new Error(`context length ${self.contextLength} exceeded`);
      self.calls++;
      self.opts.onCall?.(self.calls);
      self.fed += ids.length;
      const at = tokens.length;
      tokens.push(...ids);
      if (promptLength < 0) promptLength = completionStart(self.tok, tokens);
      return at;
    };
    const session: LogitsSession = {
      get length() { return tokens.length; },
      get multiLogits() { return self.allPositions; },
      async feed(ids) {
        append(ids);
        return self.logitsAfter(tokens, promptLength);
      },
      dispose() {},
    };
    if (this.allPositions) {
      session.feedAll = async (ids) => {
        const at = append(ids);
        return ids.map((_, i) => self.logitsAfter(tokens.slice(0, at + i + 1), promptLength));
      };
      session.truncate = (n) => {
        if (n < promptLength || n > tokens.length) throw new Error(`truncate(${n}): the cache holds ${tokens.length} tokens, the prompt ${promptLength}`);
        self.truncations.push({ from: tokens.length, to: n });
        tokens.length = n;
      };
    }
    return session;
  }
}

/** Largest |a[i] - b[i]| of two logit rows of the same length (the ONNX tests' tolerance checks). */
export function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** A temp folder holding `files` (workspace-relative path -> text); its path goes into `temps` for the caller's cleanup. */
export function tempWorkspace(temps: string[], prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

/** The test plan of `file` in `root` (trusted), failing the test when there is none. */
export function planOf(file: string, root: string, opts: Omit<FindOptions, 'trusted'> = {}): TestPlan {
  const p = findTests(file, root, { trusted: true, ...opts });
  assert.ok('kind' in p, `expected a plan, got: ${'none' in p ? p.none : ''}`);
  return p;
}

/** A small crate's lib.rs: clamp() returns lo above the range (the bug), tests::inside passes, tests::above fails. */
export const CLAMP_RS = [
  'pub fn clamp(x: i32, lo: i32, hi: i32) -> i32 {',
  '    if x < lo {',
  '        return lo;',
  '    }',
  '    if x > hi {',
  '        return lo;',
  '    }',
  '    x',
  '}',
  '',
  '#[cfg(test)]',
  'mod tests {',
  '    use super::*;',
  '    #[test]',
  '    fn inside() {',
  '        assert_eq!(clamp(5, 0, 10), 5);',
  '    }',
  '    #[test]',
  '    fn above() {',
  '        assert_eq!(clamp(11, 0, 10), 10);',
  '    }',
  '}',
  '',
].join('\n');
