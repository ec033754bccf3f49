// The shipped tokenizer (Hugging Face tokenizer.json, byte-level BPE) through @huggingface/tokenizers.
// Encoding matches the Python `tokenizers` library used in training: no special tokens added (the
// training data has no post-processor), marker tags and format tokens are single added tokens.
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';

export class TokenizerError extends Error {}

/** The parts of a tokenizer.json read here (the library reads the rest). */
interface TokenizerJSON {
  model?: { type?: string; vocab?: Record<string, number>; unk_token?: string | null; fuse_unk?: boolean };
  added_tokens?: { id: number }[];
  normalizer?: unknown;
}

export class TreasureTokenizer {
  private constructor(
    private readonly tok: Tokenizer,
    readonly vocabSize: number,
    /**
     * The most characters (UTF-16 code units) of text one token can stand for: the longest vocabulary
     * entry (byte-level BPE: one character of an entry is one byte, and a byte is at most one code unit).
     * So a text needs at least text.length / maxTokenChars tokens, known without encoding it. Infinity
     * where that does not hold: a normalizer (it could make the text shorter first), a model other than
     * BPE (WordPiece makes one [UNK] of a whole unknown word), BPE that fuses unknown characters.
     */
    readonly maxTokenChars: number,
  ) {}

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
    for (const [token, id] of vocab) {
      if (id > max) max = id;
      if (token.length > longest) longest = token.length;
    }
    const m = json.model;
    const bounded = !json.normalizer && m?.type === 'BPE' && !(m.unk_token && m.fuse_unk);
    return new TreasureTokenizer(tok, max + 1, bounded ? longest : Infinity);
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
