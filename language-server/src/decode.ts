// Greedy decoding with a KV cache (the LogitsSource keeps it), marker-constrained:
//  - the completion starts with <MARKER_LIST>; the GIVEN markers are forced, in taxonomy order,
//    where they belong; the model writes the other categories itself (only known categories, in
//    order, enum values restricted to the taxonomy's), then </MARKER_LIST> and the answer;
//  - stops at <|end|>, at the token limit or the context length; an AbortSignal is checked before
//    every model step, so cancellation stops decoding within one step.
// Marker tags are single tokens, so the constraints act at tag boundaries; the tokens between two
// tags are computed by encoding a reference string, so they match the training tokenization.
// Speculation (prompt lookup, greedy-exact): in the answer, when the tokens written so far match a
// span of the prompt (a CodeFix answer mostly copies the function it fixes) or an earlier span of
// the answer, the tokens that follow that span are drafted and fed with the token just chosen in ONE
// model step; with a model that returns logits for every input position ([1, T, vocab]), each
// drafted token comes with the logits that follow it. A model with the last position's only
// ([1, vocab]), or a KV cache kept on the GPU, decodes without speculation, exactly as before.
// The decoding loop itself is unchanged: it picks each token from the logits exactly as without
// speculation (constraints, branches, stops); a drafted token it picks is already in the KV cache
// (no model call), and at the first one it does not pick, the rest of the draft is cut from the
// cache and the token it picked is fed (with a new draft). So the output is plain greedy decoding's.
// (Exactly so with float activations; a model with int8 activations, MatMulNBits accuracy_level 4, rounds
// a several-token step differently from single-token steps, so a near tie can go the other way: measured
// on HumanEvalFix, 976 of 984 verdicts as with float activations, models/treasure/MODEL.md.)
// Retries (the engine's branches) decode again on the same prompt: the marker list, which greedy,
// constrained decoding derives from the prompt and the given markers alone, is fed with the prompt in
// one step (DecodeRequest.markerPrefix) instead of being written again token by token; it was ~80% of
// a quick fix's model steps. Within one engine request (DecodeRequest.scope) the runtime finds the prompt,
// that list and the answer prefix already in the KV cache the last run left, so a retry computes only
// from its branch point on (runtime.ts). In the list itself, a token that needs no decision (a value's forced
// spelling, its close tag) is fed together with the next one that does (two steps per category).
// The parts: decode-markers.ts (the marker phase), decode-speculate.ts (prompt lookup, the speculator),
// decode-stops.ts (line limit, loops); this file holds the request and result types and the greedy loop.
import { parseMarkerList, serialize, taxonomy, type Markers } from './markers';
import { DecodeAbortedError } from './decode-errors';
import { argmax, MarkerVocab, writeMarkerList } from './decode-markers';
import { MAX_DRAFT, PromptLookup, Speculator } from './decode-speculate';
import { lineLimitCut, repeatCut } from './decode-stops';
import type { LogitsSource } from './runtime';
import type { TreasureTokenizer } from './tokenizer';

export { DecodeAbortedError } from './decode-errors';
export { MarkerVocab } from './decode-markers';
export { PromptLookup } from './decode-speculate';
export { lineLimitCut, repeatCut } from './decode-stops';

export interface DecodeRequest {
  promptIds: readonly number[];
  /** Markers forced into the completion's marker list. */
  given: Markers;
  /** Token limit for the completion (marker list + answer). */
  maxTokens: number;
  signal?: AbortSignal;
  /** Whether to write a marker list at all (true for the marker-tuned model). */
  markerList?: boolean;
  /** CodeFix: the code being rewritten. While the answer still copies it, the decoder records where
   * the model came closest to writing something else (see DecodeResult.branches). */
  original?: string;
  /** Answer tokens forced before free decoding (a branch taken from an earlier run). */
  answerPrefix?: readonly number[];
  /** The completion's marker list from an earlier run on the same prompt and given markers
   * (DecodeResult.markerPrefix): fed with the prompt in one step instead of written again. Greedy,
   * constrained marker decoding depends only on the prompt and the given markers, so a retry would
   * write the same list; this saves its ~30 model steps per retry. */
  markerPrefix?: readonly number[];
  /** Stop once the marker list is closed (stop 'markers'): the model's own markers, no answer. */
  markersOnly?: boolean;
  /** The engine request this run belongs to: runs of one scope reuse each other's KV cache (runtime.ts). */
  scope?: object;
  /** Generation: stop once the answer repeats a block of lines (see repeatCut); the answer keeps one copy. */
  stopOnRepeat?: boolean;
  /** Generation: stop once the answer has this many lines (the length guard); the answer keeps them. */
  maxLines?: number;
  /** Generation: where the answer's lines have finished what the prompt asked for (blocks.ts), or undefined. */
  blockEnd?: (text: string) => number | undefined;
  /** Generation: record the runner-up token at the start of each answer line (within maxLines) as a
   * branch (DecodeResult.branches), for a retry when the greedy answer does not fit the line limit. */
  lineBranches?: boolean;
}

export interface DecoderOptions {
  /** false: a model trained without markers (the baseline): no marker list at all. Default true. */
  markers?: boolean;
  /**
   * Prompt-lookup speculation in the answer (greedy-exact; only where the model gives every
   * position's logits and the KV cache can be rolled back). Default: on unless TREASURE_SPECULATE=0.
   */
  speculate?: boolean;
  /** Longest draft (tokens fed after the chosen one in one step); default 16. */
  maxDraft?: number;
}

/** Speculation on unless TREASURE_SPECULATE=0 (or false/off): the A/B switch. */
export function speculateFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return !/^(0|false|off|no)$/i.test(env.TREASURE_SPECULATE ?? '');
}

export interface DecodeResult {
  /** Completion token ids (marker list, answer, and <|end|> when reached). */
  ids: number[];
  /** The marker list as text (empty when none was written). */
  markerText: string;
  /** Every marker of the written list (given and model-written). */
  markers: Markers;
  /** The answer text (after the marker list and its line break; without <|end|>). */
  answer: string;
  /** 'repeat': the answer started to loop (stopOnRepeat) and was cut after the block's first copy;
   * 'lines': the answer reached maxLines lines and went on (cut after them);
   * 'block': the answer finished the block the prompt opened, or one it opened itself, and went on (cut there);
   * 'markers': the marker list was closed and markersOnly asked for nothing more. */
  stop: 'end' | 'limit' | 'context' | 'repeat' | 'lines' | 'block' | 'markers';
  /** Model steps run (calls into the model). */
  steps: number;
  /** The completion's ids through </MARKER_LIST> (when the list was closed): a retry's DecodeRequest.markerPrefix. */
  markerPrefix?: number[];
  /** Where, while copying `original` (or at line starts, lineBranches), the runner-up token came closest
   * to the chosen one: answer-token prefix + that runner-up, closest first (at most 8). */
  branches?: { prefix: number[]; margin: number; line?: number }[];
  /** When speculation ran: drafted tokens fed, and how many of them the model's greedy choice kept. */
  speculation?: { drafted: number; accepted: number; drafts: number };
}

/** Line branches (lineBranches): the largest logit gap between the chosen token and its runner-up. */
const MAX_LINE_BRANCH_MARGIN = 5;


/** The answer-phase tokens: <|end|> and the format tokens that never appear in an answer. */
class AnswerVocab {
  readonly end: number;
  readonly notInAnswer = new Set<number>();
  /** A branch never takes one of these instead of the copied token (ending early is no fix). */
  readonly notAnAlternative: Set<number>;
  constructor(tok: TreasureTokenizer) {
    const t = taxonomy();
    this.end = tok.id(t.format.end);
    for (const s of [t.format.prompt_open, t.format.completion_open, t.format.file_open, '<|pad|>']) {
      const id = tok.tryId(s);
      if (id !== undefined) this.notInAnswer.add(id);
    }
    this.notAnAlternative = new Set([...this.notInAnswer, this.end]);
  }
}

export class Decoder {
  private markerVocab: MarkerVocab | undefined;
  private readonly answerVocab: AnswerVocab;
  readonly markers: boolean;
  readonly speculate: boolean;
  readonly maxDraft: number;

  /** `markers: false` (or options.markers false): a model trained without markers (the baseline): no marker list at all. */
  constructor(readonly model: LogitsSource, readonly tok: TreasureTokenizer, markers: boolean | DecoderOptions = true) {
    const o: DecoderOptions = typeof markers === 'boolean' ? { markers } : markers;
    this.markers = o.markers !== false;
    this.speculate = o.speculate ?? speculateFromEnv();
    this.maxDraft = Math.max(1, Math.floor(o.maxDraft ?? MAX_DRAFT));
    this.answerVocab = new AnswerVocab(tok);
    if (this.markers) this.markerVocab = new MarkerVocab(tok);
  }

  get vocab(): MarkerVocab {
    this.markerVocab ??= new MarkerVocab(this.tok);
    return this.markerVocab;
  }

  async run(req: DecodeRequest): Promise<DecodeResult> {
    const v = this.answerVocab;
    const session = this.model.start(req.scope);
    const out: number[] = [];
    let steps = 0;
    const limit = Math.max(1, Math.min(req.maxTokens, this.model.contextLength - req.promptIds.length));
    if (req.promptIds.length >= this.model.contextLength) {
      session.dispose();
      return { ids: [], markerText: '', markers: {}, answer: '', stop: 'context', steps };
    }
    const feed = async (ids: readonly number[]): Promise<Float32Array> => {
      if (req.signal?.aborted) throw new DecodeAbortedError();
      steps++;
      return session.feed(ids);
    };
    // every position's logits (speculation: the answer's drafts)
    const feedAll = async (ids: readonly number[]): Promise<Float32Array[]> => {
      if (req.signal?.aborted) throw new DecodeAbortedError();
      steps++;
      return session.feedAll!(ids);
    };
    // Forced tokens are appended and fed together; returns false when the limit is reached.
    const room = () => limit - out.length;
    let stop: DecodeResult['stop'] = 'limit';
    let kept: string | undefined; // the answer's text when a loop was cut
    const branches: { prefix: number[]; margin: number; line?: number }[] = [];
    let spec: Speculator | undefined;
    try {
      let markersDone = req.markerList === false || !this.markers;
      const reuse = !markersDone && req.markerPrefix !== undefined && req.markerPrefix.length > 0 && req.markerPrefix.length < limit
        && req.markerPrefix[req.markerPrefix.length - 1] === this.vocab.listClose;
      let logits: Float32Array;
      if (reuse) {
        out.push(...req.markerPrefix!);
        logits = await feed([...req.promptIds, ...req.markerPrefix!]);
        markersDone = true;
      } else logits = await feed(req.promptIds);
      if (!markersDone) {
        // Token by token (a drafted list would be cheaper, but the only draft there is, the list written
        // for an earlier request, makes this request's numbers depend on that one: see runtime.ts start)
        const r = await writeMarkerList(this.vocab, feed, logits, req.given, out, limit);
        if (r) {
          logits = r;
          markersDone = true;
        }
      }
      if (markersDone && req.markersOnly) stop = 'markers';
      else if (markersDone) {
        const answerStart = out.length;
        let copying = req.original !== undefined; // until the answer stops being a copy of it
        spec = this.speculate && session.multiLogits === true && session.feedAll && session.truncate
          ? new Speculator(session, feed, feedAll, new PromptLookup(req.promptIds), this.model.contextLength, this.maxDraft, req.signal)
          : undefined;
        const prefix = req.answerPrefix ?? [];
        if (spec) {
          // forced tokens in one step (what feeding them one by one gives, in one model call)
          const n = Math.min(prefix.length, room());
          if (n > 0) {
            out.push(...prefix.slice(0, n));
            logits = await feed(prefix.slice(0, n));
          }
        } else {
          for (const id of prefix) {
            if (room() <= 0) break;
            out.push(id);
            logits = await feed([id]);
          }
        }
        // The answer: free greedy decoding until <|end|>.
        while (room() > 0) {
          const next = argmax(logits, undefined, v.notInAnswer);
          if (copying) copying = this.noteBranch(logits, next, out.slice(answerStart), req.original!, branches);
          else if (req.lineBranches) this.noteLineBranch(logits, next, out.slice(answerStart), req.maxLines, branches);
          out.push(next);
          const ended = next === v.end;
          // The line limit is checked at each line break and at the end (a last line written right before <|end|>).
          if ((req.stopOnRepeat || req.maxLines || req.blockEnd) && (ended || this.tok.decode([next]).includes('\n'))) {
            const text = this.tok.decode(out.slice(answerStart, ended ? -1 : undefined));
            const cut = req.stopOnRepeat && !ended ? repeatCut(text.slice(0, text.lastIndexOf('\n') + 1)) : undefined;
            if (cut !== undefined) { stop = 'repeat'; kept = text.slice(0, cut); break; }
            const over = req.maxLines ? lineLimitCut(text, req.maxLines) : undefined;
            const done = req.blockEnd?.(text);
            // the earlier of the two; a block that ends with the text's last line is not a cut
            if (done !== undefined && (over === undefined || done <= over) && /\S/.test(text.slice(done))) { stop = 'block'; kept = text.slice(0, done); break; }
            if (over !== undefined) { stop = 'lines'; kept = text.slice(0, over); break; }
          }
          if (ended) { stop = 'end'; break; }
          if (room() <= 0) break;
          if ((spec ? spec.fed : session.length) >= this.model.contextLength) { stop = 'context'; break; }
          // With speculation: the logits that follow `next` (no model call when it was drafted),
          // room() - 1 the most tokens worth drafting (the last one needs no logits after it).
          logits = spec ? await spec.advance(next, out, room() - 1) : await feed([next]);
        }
      }
    } finally {
      session.dispose();
    }
    const result = this.finish(out, stop, steps);
    // finish() drops the line break after the marker list: the same text, maybe without its first "\n"
    if (kept !== undefined) result.answer = result.answer.startsWith(kept) || !kept.startsWith('\n') ? kept : kept.slice(1);
    if (req.original !== undefined || req.lineBranches) result.branches = branches.sort((a, b) => a.margin - b.margin).slice(0, 8);
    if (spec) result.speculation = { drafted: spec.drafted, accepted: spec.accepted, drafts: spec.drafts };
    return result;
  }

  /** Records the runner-up at this step while the answer so far is still a copy of `original`;
   * returns false once it is not (nothing later can be a copy point). */
  private noteBranch(logits: Float32Array, chosen: number, answer: number[], original: string, branches: { prefix: number[]; margin: number }[]): boolean {
    let text = this.tok.decode(answer);
    if (text.startsWith('\n') && answer.length > 0) text = text.slice(1);
    if (!original.startsWith(text)) return false;
    const alt = this.runnerUp(logits, chosen);
    if (alt >= 0) branches.push({ prefix: [...answer, alt], margin: logits[chosen]! - logits[alt]! });
    return true;
  }

  /** Records the runner-up when `chosen` begins an answer line's content (the first non-blank token of
   * a line) within the first maxLines lines: where a line could have begun differently. */
  private noteLineBranch(logits: Float32Array, chosen: number, answer: number[], maxLines: number | undefined, branches: { prefix: number[]; margin: number; line?: number }[]): void {
    // cheap checks first: the last token is blank (a line break, indentation) and `chosen` is not
    if (answer.length > 0 && /\S/.test(this.tok.decode(answer.slice(-1)))) return;
    if (!/\S/.test(this.tok.decode([chosen]))) return;
    const text = this.tok.decode(answer).replace(/^\n/, '');
    if (/\S/.test(text.slice(text.lastIndexOf('\n') + 1))) return; // mid-line
    const lines = text.split('\n').length;
    if (maxLines !== undefined && lines > maxLines) return;
    const alt = this.runnerUp(logits, chosen);
    // a runner-up the model found far less likely (below ~1/150 of the chosen) is no real alternative
    if (alt >= 0 && logits[chosen]! - logits[alt]! <= MAX_LINE_BRANCH_MARGIN) {
      branches.push({ prefix: [...answer, alt], margin: logits[chosen]! - logits[alt]!, line: lines });
    }
  }

  /** The best token after `chosen` that may stand in the answer (-1 when none). */
  private runnerUp(logits: Float32Array, chosen: number): number {
    const blocked = this.answerVocab.notAnAlternative;
    let alt = -1;
    for (let i = 0; i < logits.length; i++) {
      if (i !== chosen && !blocked.has(i) && (alt < 0 || logits[i]! > logits[alt]!)) alt = i;
    }
    return alt;
  }

  private finish(ids: number[], stop: DecodeResult['stop'], steps: number): DecodeResult {
    if (!this.markers) {
      const endAt = ids.indexOf(this.answerVocab.end);
      return { ids, markerText: '', markers: {}, answer: this.tok.decode(endAt >= 0 ? ids.slice(0, endAt) : ids), stop, steps };
    }
    const v = this.vocab;
    const closeAt = ids.indexOf(v.listClose);
    const openAt = ids.indexOf(v.listOpen);
    const endAt = ids.indexOf(v.end);
    const answerIds = ids.slice(closeAt >= 0 ? closeAt + 1 : 0, endAt >= 0 ? endAt : ids.length);
    const markerIds = closeAt >= 0 ? ids.slice(Math.max(0, openAt), closeAt + 1) : openAt >= 0 ? ids.slice(openAt) : [];
    const markerText = this.tok.decode(markerIds);
    let answer = this.tok.decode(answerIds);
    if (closeAt >= 0 && answer.startsWith('\n')) answer = answer.slice(1);
    if (closeAt < 0 && openAt >= 0) answer = '';
    const { markers } = parseMarkerList(markerText);
    const result: DecodeResult = { ids, markerText, markers, answer, stop, steps };
    if (closeAt >= 0) result.markerPrefix = ids.slice(0, closeAt + 1);
    return result;
  }
}

/** The marker list a decode result would have been trained on (for tests and logs). */
export function markerListOf(markers: Markers): string {
  return serialize(markers);
}
