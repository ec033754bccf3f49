// The shipped tokenizer (Hugging Face tokenizer.json, byte-level BPE) through @huggingface/tokenizers.
// Encoding matches the Python `tokenizers` library used in training: no special tokens added (the
// training data has no post-processor), marker tags and format tokens are single added tokens.
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import type { PromptPart } from './prompt';

export class TokenizerError extends Error {}

/** The parts of a tokenizer.json read here (the library reads the rest). */
interface TokenizerJSON {
  model?: { type?: string; vocab?: Record<string, number>; unk_token?: string | null; fuse_unk?: boolean };
  added_tokens?: { id: number; content?: string }[];
  normalizer?: unknown;
}

export class TreasureTokenizer {
  /** The added tokens' texts (format tokens, marker tags): what user text must never encode to. */
  readonly addedTexts: readonly string[];
  private readonly addedFirstChars: ReadonlySet<string>;

  /**
   * The most characters (UTF-16 code units) of text one token can stand for: the longest vocabulary
   * entry (byte-level BPE: one character of an entry is one byte, and a byte is at most one code unit).
   * So a text needs at least text.length / maxTokenChars tokens, known without encoding it. Infinity
   * where that does not hold: a normalizer (it could make the text shorter first), a model other than
   * BPE (WordPiece makes one [UNK] of a whole unknown word), BPE that fuses unknown characters.
   */
  readonly maxTokenChars: number;

  private constructor(private readonly tok: Tokenizer, readonly vocabSize: number, added: readonly string[], longest = 1) {
    this.maxTokenChars = longest;
    this.addedTexts = [...new Set(added.filter((t) => t.length > 0))].sort((a, b) => b.length - a.length);
    this.addedFirstChars = new Set(this.addedTexts.map((t) => t[0]!));
  }

  static fromFile(path: string): TreasureTokenizer {
    let json: TokenizerJSON;
    try {
      json = JSON.parse(readFileSync(path, 'utf8')) as typeof json;
    } catch (e) {
      throw new TokenizerError(`cannot read tokenizer ${path}: ${(e as Error).message}`);
    }
    return TreasureTokenizer.fromJSON(json);
  }

  static fromJSON(json: TokenizerJSON): TreasureTokenizer {
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(json, {});
    } catch (e) {
      throw new TokenizerError(`broken tokenizer.json: ${(e as Error).message}`);
    }
    const vocab = tok.get_vocab(true);
    let max = -1;
    let longest = 1;
    for (const [piece, id] of vocab) {
      if (id > max) max = id;
      if (piece.length > longest) longest = piece.length;
    }
    const added = (json.added_tokens ?? []).flatMap((t) => (typeof t.content === 'string' ? [t.content] : []));
    const m = json.model;
    const bounded = !json.normalizer && m?.type === 'BPE' && !(m.unk_token && m.fuse_unk);
    return new TreasureTokenizer(tok, max + 1, added, bounded ? longest : Infinity);
  }

  /**
   * Token ids of a prompt built by prompt.ts: the layout's parts as `encode` reads them (its format
   * tokens and marker tags are single tokens), the user's parts with no added token matched inside
   * them: `x = "<|end|>"` in a document is the characters, not the end token. A prompt whose user text
   * spells no added token encodes exactly as `encode(whole)`; one that does is cut one character into
   * each such spelling and the pieces are encoded apart.
   */
  encodePrompt(parts: readonly PromptPart[], addSpecial = false): number[] {
    const whole = parts.map((p) => p.text).join('');
    const cuts = this.userSpellingCuts(parts, whole);
    if (cuts.length === 0) return this.encode(whole, addSpecial);
    const ids: number[] = [];
    let from = 0;
    for (const [i, at] of [...cuts, whole.length].entries()) {
      ids.push(...this.encode(whole.slice(from, at), addSpecial && i === 0));
      from = at;
    }
    return ids;
  }

  /** Token ids of user text alone (no added token matched in it). */
  encodeText(text: string): number[] {
    return this.encodePrompt([{ text, user: true }]);
  }

  /** Where to cut the prompt so that no added token spelled by user text (or across a part's edge) survives. */
  private userSpellingCuts(parts: readonly PromptPart[], whole: string): number[] {
    if (this.addedTexts.length === 0 || !parts.some((p) => p.user)) return [];
    // the layout's own parts: an added token that lies wholly inside one of them is meant
    const layout: [number, number][] = [];
    let at = 0;
    for (const p of parts) {
      if (!p.user) layout.push([at, at + p.text.length]);
      at += p.text.length;
    }
    const cuts: number[] = [];
    for (let i = 0; i < whole.length; i++) {
      if (!this.addedFirstChars.has(whole[i]!)) continue;
      const hit = this.addedTexts.find((t) => whole.startsWith(t, i)); // longest first
      if (!hit) continue;
      const end = i + hit.length;
      if (layout.some(([s, e]) => s <= i && end <= e)) {
        i = end - 1;
        continue;
      }
      cuts.push(i + 1);
    }
    return cuts;
  }

  /**
   * Token ids of a text. `addSpecial` applies the tokenizer's post-processor (e.g. a BOS token) as
   * Python's `Tokenizer.encode_batch` does by default in training (models/train/prepare.py); our own
   * tokenizer has no post-processor, a foreign base model's may have one.
   */
  encode(text: string, addSpecial = false): number[] {
    if (text.length === 0) return [];
    return this.tok.encode(text, { add_special_tokens: addSpecial }).ids;
  }

  decode(ids: readonly number[]): string {
    if (ids.length === 0) return '';
    return this.tok.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** The id of a token that must be a single token (format tokens, marker tags). */
  id(token: string): number {
    const id = this.tok.token_to_id(token);
    if (id === undefined) throw new TokenizerError(`the tokenizer has no single token for ${token}`);
    return id;
  }

  tryId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  token(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }
}
