// Shared types of the corpus build (models/data/corpus). See models/data/DATA.md for the whole pipeline.

export type SourceKind = 'deb' | 'deb-src' | 'npm' | 'dir';

/** One entry of manifest.json `sources` (or `small.sources`). */
export interface SourceSpec {
  kind: SourceKind;
  /** Explicit package names (npm: `name@version`; dir: paths relative to the repo root). */
  packages?: string[];
  /** deb only: a regular expression over binary package names, expanded from the local apt index. */
  pattern?: string;
  /** With `pattern`: keep the `limit` packages with most reverse dependencies (ties by name). */
  limit?: number;
  /** deb only: names dropped from a pattern's expansion. */
  exclude?: string[];
  /** Optional: restrict this group's files to these code types. */
  languages?: string[];
  /** Why this group is here (copied to the card). */
  note?: string;
  /** Domain marker for every package of this group (overrides section/keywords/imports). */
  domain?: string;
}

export interface Manifest {
  seed: number;
  licenses: { allow: string[] };
  limits: Limits;
  split: { valid: number; test: number };
  shard: { maxUncompressedBytes: number; maxCompressedBytes: number; xzPreset: number };
  decontamination: { ngram: number; dir: string };
  near_dup: { shingle: number; bands: number; rows: number; threshold: number };
  sources: SourceSpec[];
  small: { sources: SourceSpec[]; decontaminationDir: string };
}

export interface Limits {
  /** Files larger than this are dropped as data/fixtures. */
  maxFileBytes: number;
  minFileBytes: number;
  /** Longest allowed line (minified/bundled/data otherwise). */
  maxLineLength: number;
  /** Mean line length above this: minified. */
  maxMeanLineLength: number;
  /** Files kept per package stop at this many bytes (keeps one huge package from dominating). */
  maxPackageBytes: number;
}

/** A package resolved from the manifest, before download. */
export interface PackageRef {
  kind: SourceKind;
  name: string;
  version: string;
  /** Debian section / npm keywords etc. used for the domain marker. */
  section: string;
  description: string;
  keywords: string[];
  /** Popularity signal: reverse dependencies in the Debian index, or 'curated' npm = high. */
  popularity: number;
  languages?: string[];
  domain?: string;
  group: string;
}

/** A package after fetch + extract. */
export interface FetchedPackage extends PackageRef {
  /** Extracted tree root. */
  root: string;
  error?: string;
}

export interface CorpusRecord {
  text: string;
  code_type: string;
  package: string;
  path: string;
  license: string;
  domain: string;
  quality_bucket: string;
  source_kind: string;
}

/** What a worker returns for a kept candidate file (before global dedup). */
export interface Candidate extends CorpusRecord {
  exact: string;
  sig: Uint32Array;
}

export type DropReason =
  | 'vendored'
  | 'build_output'
  | 'lock_or_data_name'
  | 'too_large'
  | 'too_small'
  | 'not_utf8'
  | 'generated'
  | 'minified'
  | 'data_fixture'
  | 'license'
  | 'package_cap'
  | 'decontaminated'
  | 'exact_duplicate'
  | 'near_duplicate';

export interface Counter { files: number; bytes: number }

export interface PackageResult {
  name: string;
  kind: SourceKind;
  version: string;
  license: string;
  domain: string;
  candidates: Candidate[];
  drops: Partial<Record<DropReason, Counter>>;
  /** Files seen that are in a language we keep. */
  seen: Counter;
  /** Files in no language we keep (docs, data, binaries): not counted as removed. */
  other: Counter;
  decontaminatedPaths: string[];
  error?: string;
  ms: number;
}
