// The repair pipeline's shared types: propose -> rank -> prove -> present (docs/CONTRACTS.md).
// A candidate is a whole-document edit; a proof is what the language's own parser or the user's own
// tests said of it. Nothing is shown as a fix without a proof, and its title names the prover.
import type { OffsetEdit } from './text';

export type CandidateOrigin = 'token' | 'operator' | 'model';

export interface Candidate {
  /** Offset edits against the document text (non-overlapping). */
  edits: OffsetEdit[];
  /** The document with the edits applied. */
  fixed: string;
  /** What the edit does, in plain words: "insert ':'", "replace '<' with '<='". */
  label: string;
  origin: CandidateOrigin;
  /** How many token edits it makes (1, 2, ...): smaller edits are preferred at equal score. */
  size: number;
  /** The model's log-probability of the fixed region under the CodeFix markers (rank.ts). */
  score?: number;
}

/** One error a parser reports (0-based line and column, in the document it parsed). */
export interface ParseError {
  line: number;
  column: number;
  message: string;
  /** Other places the parser names for this error (rustc's labelled spans: the unclosed opener, ...). */
  related?: { line: number; column: number; message: string }[];
}

/** What a language's own parser says of one whole document. */
export interface ParseVerdict {
  ok: boolean;
  /** The errors it reported (the first one at least, when not ok). */
  errors: ParseError[];
}

/**
 * A language's own parser, run on candidate documents (never on the user's files: texts are passed
 * in memory or written to a scratch folder). One verdict per text, in order.
 */
export interface SyntaxProver {
  /** Shown in titles and JSON (`verifiedBy`): "python ast", "node --check", "gofmt -e", ... */
  readonly name: string;
  parse(texts: readonly string[], opts?: { signal?: AbortSignal; path?: string }): Promise<ParseVerdict[]>;
  /** Ends any worker process it keeps. */
  dispose?(): void;
}
