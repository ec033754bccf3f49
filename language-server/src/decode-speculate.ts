// Speculation for the answer loop (prompt lookup, greedy-exact; decode.ts says how it keeps the output
// plain greedy decoding's): the tokens that followed the matching span of the prompt, or of the answer so
// far, are drafted and fed with the chosen token in one model step; the KV cache is cut past the first
// drafted token the loop does not pick.
import { DecodeAbortedError } from './decode-errors';
import type { LogitsSession } from './runtime';

/** Longest draft by default, and the first one's length (drafts grow while they are accepted). */
export const MAX_DRAFT = 16;
const FIRST_DRAFT = 4;
/** Longest n-gram of the answer's end looked up in the prompt. */
const MAX_NGRAM = 4;

/**
 * Prompt lookup: the tokens that followed, in the prompt, the longest n-gram (up to MAX_NGRAM tokens)
 * that ends the tokens written so far. Among equally long matches it prefers the first one at or
 * after where the previous draft was taken from (a copy moves forward through the prompt). The
 * tokens written so far are a second source, used when they hold a longer match than the prompt
 * (a repeated line, or a small model caught in a loop), earliest match first.
 */
export class PromptLookup {
  private readonly at = new Map<number, number[]>();
  private readonly seen = new Map<number, number[]>();
  private indexed = 0; // history positions in `seen`
  private cursor = 0;

  constructor(readonly source: readonly number[], readonly maxNgram = MAX_NGRAM) {
    source.forEach((id, i) => {
      let list = this.at.get(id);
      if (!list) this.at.set(id, (list = []));
      list.push(i);
    });
  }

  /** At most `k` drafted tokens to follow `history` (empty when its last token occurs nowhere before). */
  draft(history: readonly number[], k: number): number[] {
    if (k <= 0 || history.length === 0) return [];
    const h = history.length - 1;
    const last = history[h]!;
    // the prompt
    const src = this.source;
    let best = -1;
    let bestN = 0;
    let bestAhead = false;
    for (const p of this.at.get(last) ?? []) {
      if (p + 1 >= src.length) continue; // nothing follows
      let n = 1;
      while (n < this.maxNgram && n <= h && p - n >= 0 && src[p - n] === history[h - n]) n++;
      const ahead = p >= this.cursor;
      // longer first; then at/after the cursor; then the earliest (positions are ascending)
      if (n > bestN || (n === bestN && ahead && !bestAhead)) {
        best = p;
        bestN = n;
        bestAhead = ahead;
      }
    }
    // the tokens written so far (positions before the last one)
    for (; this.indexed < h; this.indexed++) {
      const id = history[this.indexed]!;
      let list = this.seen.get(id);
      if (!list) this.seen.set(id, (list = []));
      list.push(this.indexed);
    }
    let own = -1;
    let ownN = 0;
    for (const q of this.seen.get(last) ?? []) {
      if (q >= h) break;
      let n = 1;
      while (n < this.maxNgram && q - n >= 0 && history[q - n] === history[h - n]) n++;
      if (n > ownN) {
        own = q;
        ownN = n;
      }
    }
    if (own >= 0 && ownN > bestN) return history.slice(own + 1, Math.min(own + 1 + k, h + 1));
    if (best < 0) return [];
    this.cursor = best + 1;
    return src.slice(best + 1, best + 1 + k);
  }
}

/**
 * The answer loop's "feed the chosen token" with speculation. advance(next) returns the logits that
 * follow `next`, as feed([next]) would: from the last model step when `next` is the drafted token
 * there (accepted: no call), else after cutting the rest of the draft from the KV cache, from a new
 * step that feeds `next` with a new draft. The draft length adapts: doubled after a draft is taken
 * whole, cut to what was accepted plus one after a miss; after drafts missed at their first token,
 * none is tried for 1, 2, 4, ... 16 tokens.
 */
export class Speculator {
  drafted = 0;
  accepted = 0;
  drafts = 0;
  /** Drafted tokens in the cache not yet reached by the decoder, each with the logits after it. */
  private ahead: { id: number; logits: Float32Array }[] = [];
  private k = FIRST_DRAFT;
  private run = 0; // accepted tokens of the current draft
  private pause = 0; // tokens to go without a draft
  private backoff = 0;

  constructor(
    private readonly session: LogitsSession,
    private readonly feed: (ids: readonly number[]) => Promise<Float32Array>,
    private readonly feedAll: (ids: readonly number[]) => Promise<Float32Array[]>,
    private readonly lookup: PromptLookup,
    private readonly contextLength: number,
    private readonly maxDraft: number,
    private readonly signal?: AbortSignal,
  ) {
    this.k = Math.min(FIRST_DRAFT, maxDraft);
  }

  /** Tokens the decoder has fed so far (what session.length is without speculation). */
  get fed(): number {
    return this.session.length - this.ahead.length;
  }

  async advance(next: number, history: readonly number[], room: number): Promise<Float32Array> {
    // where decoding without speculation would call the model: cancellation acts at the same token
    if (this.signal?.aborted) throw new DecodeAbortedError();
    const head = this.ahead.shift();
    if (head) {
      if (head.id === next) {
        this.accepted++;
        this.run++;
        this.backoff = 0;
        if (this.ahead.length === 0) this.k = Math.min(this.maxDraft, this.k * 2); // all of it was right
        return head.logits;
      }
      // The first drafted token the decoder did not choose: it and the rest leave the cache.
      this.session.truncate!(this.session.length - 1 - this.ahead.length);
      this.ahead = [];
      this.k = Math.max(1, Math.min(this.maxDraft, this.run + 1));
      // a draft missed at once: no drafts for a while (1, 2, 4, ... 16 tokens while that goes on)
      if (this.run === 0) this.pause = this.backoff = Math.min(16, this.backoff * 2 || 1);
    }
    this.run = 0;
    if (this.pause > 0) {
      this.pause--;
      return this.feed([next]);
    }
    const cap = Math.min(this.k, room, this.contextLength - this.session.length - 1);
    const draft = cap > 0 ? this.lookup.draft(history, cap) : [];
    if (draft.length === 0) return this.feed([next]);
    const rows = await this.feedAll([next, ...draft]);
    this.drafts++;
    this.drafted += draft.length;
    this.ahead = draft.map((id, i) => ({ id, logits: rows[i + 1]! }));
    return rows[0]!;
  }
}
