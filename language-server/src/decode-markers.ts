// The marker phase of decoding: the completion's marker list, the GIVEN markers forced in taxonomy order
// where they belong, the model writing the other categories (only known categories, in order, enum
// values restricted to the taxonomy's). Marker tags are single tokens, so the constraints act at tag
// boundaries; the tokens between two tags are computed by encoding a reference string (MarkerVocab), so
// they match the training tokenization. A token that needs no decision (a value's forced spelling, its
// close tag) is fed together with the next one that does (two model steps per category).
import { category, markerOrder, taxonomy, type MarkerKey, type Markers } from './markers';
import type { TreasureTokenizer } from './tokenizer';

/** Most tokens of a free-text marker value the model writes. */
const MAX_VALUE_TOKENS = 12;

/** The best token among `allowed` (all when absent), none of `blocked`. */
export function argmax(logits: Float32Array, allowed?: Iterable<number>, blocked?: Set<number>): number {
  let best = -1;
  let bestV = -Infinity;
  if (allowed) {
    for (const i of allowed) {
      const v = logits[i]!;
      if (v > bestV || best < 0) { best = i; bestV = v; }
    }
    return best;
  }
  for (let i = 0; i < logits.length; i++) {
    if (blocked?.has(i)) continue;
    const v = logits[i]!;
    if (v > bestV) { best = i; bestV = v; }
  }
  return best;
}

/** Token ids of the marker syntax under one tokenizer. */
export class MarkerVocab {
  readonly listOpen: number;
  readonly listClose: number;
  readonly end: number;
  readonly open = new Map<MarkerKey, number>();
  readonly close = new Map<MarkerKey, number>();
  readonly keyOfOpen = new Map<number, MarkerKey>();
  /** Tokens between two adjacent tags (the separator). */
  readonly sep: number[];
  /** How a completion starts in training: <MARKER_LIST>, after whatever the post-processor adds (BOS). */
  readonly completionStart: number[];
  /** Every tag and format token: never part of a value. */
  readonly structural = new Set<number>();
  /** Format tokens that never appear in an answer. */
  readonly notInAnswer = new Set<number>();
  private readonly valueCache = new Map<string, number[]>();

  constructor(readonly tok: TreasureTokenizer) {
    const t = taxonomy();
    this.listOpen = tok.id(t.serialization.open);
    this.listClose = tok.id(t.serialization.close);
    this.end = tok.id(t.format.end);
    for (const key of markerOrder()) {
      const o = tok.id(`<${key}>`);
      const c = tok.id(`</${key}>`);
      this.open.set(key, o);
      this.close.set(key, c);
      this.keyOfOpen.set(o, key);
      this.structural.add(o).add(c);
    }
    this.structural.add(this.listOpen).add(this.listClose).add(this.end);
    for (const s of [t.format.prompt_open, t.format.completion_open, t.format.file_open, '<|pad|>']) {
      const id = tok.tryId(s);
      if (id !== undefined) {
        this.structural.add(id);
        this.notInAnswer.add(id);
      }
    }
    const withSpecial = tok.encode(t.serialization.open, true);
    const at = withSpecial.indexOf(this.listOpen);
    this.completionStart = at >= 0 ? withSpecial.slice(0, at + 1) : [this.listOpen];
    const first = markerOrder()[0]!;
    this.sep = this.between(`${t.serialization.open}${t.serialization.separator}<${first}>`, this.listOpen, this.open.get(first)!);
  }

  private between(text: string, first: number, last: number): number[] {
    const ids = this.tok.encode(text);
    if (ids[0] !== first || ids[ids.length - 1] !== last) {
      throw new Error(`the tokenizer does not keep marker tags as single tokens (${JSON.stringify(text)})`);
    }
    return ids.slice(1, -1);
  }

  /** Tokens of ` value ` between <key> and </key>, as the tokenizer splits the full marker list. */
  valueTokens(key: MarkerKey, value: string): number[] {
    const ck = `${key}\u0000${value}`;
    let ids = this.valueCache.get(ck);
    if (!ids) {
      const sep = taxonomy().serialization.separator;
      ids = this.between(`<${key}>${sep}${value}${sep}</${key}>`, this.open.get(key)!, this.close.get(key)!);
      this.valueCache.set(ck, ids);
    }
    return ids;
  }
}

/**
 * Writes the marker list into `out`. Returns the logits after </MARKER_LIST>, or null when the
 * token limit was reached inside the list.
 */
export async function writeMarkerList(
  v: MarkerVocab,
  feed: (ids: readonly number[]) => Promise<Float32Array>,
  first: Float32Array,
  given: Markers,
  out: number[],
  limit: number,
): Promise<Float32Array | null> {
  const order = markerOrder();
  const rank = new Map(order.map((k, i) => [k, i]));
  let logits = first;
  let pending: number[] = [...v.completionStart, ...v.sep];
  const push = (ids: number[]): boolean => {
    for (const id of ids) {
      if (out.length >= limit) return false;
      out.push(id);
    }
    return true;
  };
  let last = -1; // rank of the last category written
  for (;;) {
    if (!push(pending)) return null;
    logits = await feed(pending);
    pending = [];
    // Which tag may come next: categories after the last one written, up to the next given one.
    const nextGiven = order.find((k, i) => i > last && given[k] !== undefined);
    const allowed: number[] = [];
    for (const k of order) {
      const r = rank.get(k)!;
      if (r <= last) continue;
      if (nextGiven !== undefined && r > rank.get(nextGiven)!) break;
      allowed.push(v.open.get(k)!);
    }
    if (nextGiven === undefined) allowed.push(v.listClose);
    const tag = argmax(logits, allowed);
    if (tag === v.listClose) {
      if (!push([v.listClose])) return null;
      return feed([v.listClose]);
    }
    const key = v.keyOfOpen.get(tag)!;
    last = rank.get(key)!;
    const givenValue = given[key];
    if (givenValue !== undefined) {
      pending = [tag, ...v.valueTokens(key, givenValue), v.close.get(key)!, ...v.sep];
      continue;
    }
    // The model writes this category's value.
    const cat = category(key);
    const closeId = v.close.get(key)!;
    const value: number[] = [];
    // tokens chosen but not yet written or fed (the tag, value tokens): a token that needs no decision
    // (the only one the value can go on with) is fed together with what follows it, in the next step
    // that needs logits
    let unfed: number[] = [tag];
    if (cat.kind === 'enum' && cat.values) {
      const candidates = cat.values.map((val) => v.valueTokens(key, val));
      for (;;) {
        const live = candidates.filter((c) => c.length >= value.length && value.every((t, i) => c[i] === t));
        const options = new Set<number>();
        for (const c of live) options.add(c.length === value.length ? closeId : c[value.length]!);
        if (options.size === 0) options.add(closeId);
        let next: number;
        if (options.size === 1) next = [...options][0]!;
        else {
          if (unfed.length > 0) {
            if (!push(unfed)) return null;
            logits = await feed(unfed);
            unfed = [];
          }
          next = argmax(logits, options);
        }
        if (next === closeId) break;
        value.push(next);
        unfed.push(next);
      }
    } else {
      if (!push(unfed)) return null;
      logits = await feed(unfed);
      unfed = [];
      for (;;) {
        const next = value.length >= MAX_VALUE_TOKENS ? closeId : argmax(logits, undefined, v.structural);
        const choice = next === closeId || logits[closeId]! >= logits[next]! ? closeId : next;
        if (choice === closeId) break;
        value.push(choice);
        if (!push([choice])) return null;
        logits = await feed([choice]);
      }
    }
    pending = [...unfed, closeId, ...v.sep];
  }
}
