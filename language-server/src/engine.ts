// The Engine API (docs/CONTRACTS.md), shared by the language server, the CLI and the eval harness.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  analyze,
  chooseTarget,
  contextMarkers,
  diagnosticTarget,
  errorTypeFor,
  functionTarget,
  MAX_FUNCTION_LINES,
  nearestSyntaxTarget,
  regionForLine,
  regionText,
  type Analysis,
  type DiagnosticLike,
  type FixTarget,
  type LineRegion,
} from './context';
import { blockEndRule } from './blocks';
import { DecodeAbortedError, Decoder, type DecodeRequest, type DecodeResult } from './decode';
import { resolveLanguage, type LanguageInfo } from './grammars';
import { lengthBucket, lineLimit, mergeMarkers, sanitizeMarkers, serialize, taxonomy, validateMarkers, type MarkerKey, type Markers, type MarkerSource } from './markers';
import { syntaxIssues, withTree } from './parsing';
import { promptParts } from './prompt';
import type { Device, DeviceStatus } from './protocol';
import { repoRoot } from './paths';
import { checkFix, UNCHANGED } from './repair/check';
import { scoreAnswers } from './repair/rank';
import { judgeCandidate, NoProverError, ProverInputError, proverFor, type Prover } from './repair/prove';
import { treeSitterProver } from './repair/prove/treesitter';
import { searchSemanticFix } from './repair/semantic';
import { failureDiagnostic } from './repair/failure';
import type { TestFailure } from './repair/tests/report';
import { searchSyntaxFix } from './repair/syntax';
import type { SemanticLimits } from './repair/semantic';
import type { ParseVerdict } from './repair/types';
import { lineStarts, offsetAt, regionSpan, toTextEdits, type TextEdit } from './repair/text';
import { ModelError, OrtModel, readModelConfig, type LogitsSource } from './runtime';
import { TokenizerError, TreasureTokenizer } from './tokenizer';

/** Branches of a copied answer tried before giving up (each costs one decode). */
const BRANCH_TRIES = 4;
/** Fix decodes remembered by their exact input (see Engine.decodeFix). */
const FIX_MEMO_ENTRIES = 256;
/** Tokens of room an answer keeps when a long Generate prompt must lose its first lines to fit the context. */
const ANSWER_ROOM = 512;
/** A syntax error's region the model rewrites when the search found nothing (longer ones: no rewrite). */
const MAX_REWRITE_LINES = 40;

/** Bad input (unsupported language, line out of range, unknown marker, ...): CLI exit 2. */
export class InputError extends Error {}
export { ModelError };

export interface EngineOptions {
  /** Folder with model.onnx, tokenizer.json, config.json (default: models/treasure of the installation). */
  modelDir?: string;
  device?: Device;
  /** For tests: a logits source instead of the ONNX model (with a tokenizer). */
  logits?: LogitsSource;
  tokenizer?: TreasureTokenizer;
  /** false: a model trained without markers (the no-marker baseline): no marker list in prompt or completion. */
  markers?: boolean;
  /** Branch retries of a copied CodeFix answer (default BRANCH_TRIES; 0 turns branching off). */
  branchTries?: number;
  /**
   * Prompt-lookup speculative decoding (greedy-exact: the same answers in fewer model calls; used
   * only with a model that returns every position's logits). Default: on unless TREASURE_SPECULATE=0.
   */
  speculate?: boolean;
  /** Fix decodes remembered by their exact input (default FIX_MEMO_ENTRIES; 0 remembers none). */
  fixMemo?: number;
  /** How the syntax search orders what the parser accepts: 'model' (default: the model's score with the
   * edit's prior) or 'prior' alone (a study of what the model adds). */
  syntaxRank?: 'model' | 'prior';
}

export interface MarkerReport { given: Markers; inferred: Markers }

export interface FixRequest {
  text: string;
  languageId: string;
  /** 0-based line: the diagnostic/syntax error on it, else the function around it. */
  line?: number;
  diagnostics?: DiagnosticLike[];
  /** Explicit markers (strongest). */
  markers?: Record<string, string>;
  /** Team defaults from the settings (below explicit, above context). */
  settingsMarkers?: Record<string, string>;
  /** 'function': rewrite the function around `line` even if the line has an error. */
  mode?: 'auto' | 'function';
  /** File path (domain inference from the path). */
  path?: string;
  /** false: give the model only the explicit and settings markers (it infers the rest); default true. */
  contextMarkers?: boolean;
  maxTokens?: number;
  /** Only the marker list the model writes for this request (FixOutcome.markers), no answer: it comes
   * before the answer, so it is the list a whole fix would write, in a fraction of the time. */
  markersOnly?: boolean;
  /**
   * Prove a function's fix with the workspace's tests (repair/semantic.ts): `path` is the file on disk
   * under `root`; nothing runs unless `trusted`. `command`: a shell command that passes with exit 0.
   * `rank: 'prior'` orders the candidates without the model (a study of what the model adds).
   */
  verify?: { root: string; trusted: boolean; command?: string; rank?: 'model' | 'prior'; limits?: Partial<SemanticLimits> };
  signal?: AbortSignal;
}

export interface FixResult {
  edits: TextEdit[];
  fixed: string;
  markers: MarkerReport;
  /** Proven: the language's parser (syntax) or the user's tests accept the fixed document. */
  verified: boolean;
  /** What proved it, for titles: "python ast", "pytest: 3 passed"; absent when nothing did. */
  verifiedBy?: string;
  /** The edit in plain words ("insert ':' at line 4"), when the search made it. */
  label?: string;
  /** Candidates the search tried (parsed or tested) before this one won. */
  candidates?: number;
  /** Why no test proved it (no tests found, an untrusted workspace), when tests were asked for. */
  unverified?: string;
  /** Milliseconds spent running the tests. */
  verifyMs?: number;
  latencyMs: number;
  /** The rewritten region (whole lines). */
  region: { start: { line: number; character: number }; end: { line: number; character: number } };
  target: FixTarget['kind'];
}

export interface FixOutcome {
  fix: FixResult | null;
  /** Why there is no fix (when fix is null). */
  reason?: string;
  /** Candidates a search tried (also when none was proven). */
  candidates?: number;
  /** Milliseconds spent running tests. */
  verifyMs?: number;
  /** The model's raw completion, for logs. */
  completion?: string;
  markers?: MarkerReport;
  /** The model found nothing to fix (error_type none, or the function copied unchanged): not retried. */
  abstained?: boolean;
  latencyMs: number;
  tokens?: { prompt: number; completion: number; steps: number };
}

export interface GenerateRequest {
  languageId: string;
  prompt: string;
  markers?: Record<string, string>;
  settingsMarkers?: Record<string, string>;
  /** false: give the model only the explicit and settings markers; default true. */
  contextMarkers?: boolean;
  maxTokens?: number;
  /**
   * The length guard: with a line limit among the markers (length_lines, or a length_bucket's upper
   * bound) the answer is cut after that many lines. Default true; false measures the model alone.
   */
  lengthGuard?: boolean;
  /** Only the marker list the model writes (GenerateResult.markers; the text is empty), as FixRequest.markersOnly. */
  markersOnly?: boolean;
  signal?: AbortSignal;
}

export interface GenerateResult {
  text: string;
  markers: MarkerReport;
  latencyMs: number;
  /** Lines of the model's output left out because they added a syntax error (the text is what parses). */
  droppedLines?: number;
  /** The line limit the model's answer ran past: the answer was cut there (the length guard). */
  cutAtLines?: number;
  /** Lines at the start of the prompt the model did not see: the prompt and the answer's room did not fit its context. */
  promptLinesLeftOut?: number;
}

export interface MarkersAtRequest {
  text: string;
  languageId: string;
  line?: number;
  path?: string;
  /** Team defaults (settings) and explicit markers. */
  settings?: Record<string, string>;
  markers?: Record<string, string>;
  diagnostics?: DiagnosticLike[];
}

export interface MarkersAtResult {
  markers: Markers;
  sources: Partial<Record<MarkerKey, MarkerSource>>;
  region?: LineRegion;
  target?: FixTarget['kind'];
}

export function defaultModelDir(): string {
  return join(repoRoot(), 'models', 'treasure');
}

export function languageOrThrow(languageId: string): LanguageInfo {
  const lang = resolveLanguage(languageId);
  if (!lang) throw new InputError(`unsupported language "${languageId}"`);
  return lang;
}

function markersOrThrow(obj: Record<string, string> | undefined): Markers {
  try {
    return validateMarkers(obj);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

/** Context markers for a position, without the model (also used for action titles). */
export async function markersAt(req: MarkersAtRequest): Promise<MarkersAtResult> {
  const lang = languageOrThrow(req.languageId);
  const a = await analyze(req.text, lang, req.path);
  if (req.line !== undefined && (req.line < 0 || req.line >= a.lines.length)) {
    throw new InputError(`line ${req.line + 1} is out of range (the file has ${a.lines.length} lines)`);
  }
  const target = chooseTarget(a, { line: req.line, diagnostics: req.diagnostics });
  const merged = mergeMarkers({
    explicit: markersOrThrow(req.markers),
    settings: sanitizeMarkers(req.settings).markers,
    context: contextMarkers(a, target, 'CodeFix'),
  });
  return { ...merged, region: target?.region, target: target?.kind };
}

export class Engine {
  private readonly decoder: Decoder;
  private branchTries = BRANCH_TRIES;
  private fixMemoEntries = FIX_MEMO_ENTRIES;
  private syntaxRank: 'model' | 'prior' = 'model';
  /** Least recently used first (Map keeps insertion order; a hit moves its entry to the end). */
  private readonly fixMemo = new Map<string, DecodeResult>();

  private constructor(
    readonly modelDir: string,
    readonly device: string,
    readonly model: LogitsSource,
    readonly tokenizer: TreasureTokenizer,
    readonly markers = true,
    speculate?: boolean,
  ) {
    try {
      this.decoder = new Decoder(model, tokenizer, { markers, speculate });
    } catch (e) {
      throw new ModelError(`the tokenizer does not fit the marker taxonomy: ${(e as Error).message}`);
    }
  }

  /** Loads the model (ModelError with a clear message when it is missing or broken). */
  static async load(opts: EngineOptions = {}): Promise<Engine> {
    const dir = resolve(opts.modelDir || defaultModelDir());
    if (opts.logits && opts.tokenizer) return new Engine(dir, 'test', opts.logits, opts.tokenizer, opts.markers !== false, opts.speculate).withBranches(opts.branchTries).withMemo(opts.fixMemo).withRank(opts.syntaxRank);
    if (!existsSync(dir)) {
      throw new ModelError(`no model at ${dir}: the shipped model (models/treasure/ with model.onnx, tokenizer.json, config.json) is missing`);
    }
    for (const f of ['model.onnx', 'tokenizer.json', 'config.json']) {
      if (!existsSync(join(dir, f))) throw new ModelError(`the model at ${dir} is incomplete: ${f} is missing`);
    }
    const config = readModelConfig(dir);
    let tokenizer: TreasureTokenizer;
    try {
      tokenizer = TreasureTokenizer.fromFile(join(dir, 'tokenizer.json'));
    } catch (e) {
      throw new ModelError(e instanceof TokenizerError ? e.message : `tokenizer: ${(e as Error).message}`);
    }
    if (tokenizer.vocabSize > config.vocab_size) {
      throw new ModelError(`tokenizer.json has ${tokenizer.vocabSize} tokens but the model only ${config.vocab_size}`);
    }
    const model = await OrtModel.load(dir, opts.device ?? 'auto');
    return new Engine(dir, model.device, model, tokenizer, opts.markers !== false, opts.speculate).withBranches(opts.branchTries).withMemo(opts.fixMemo).withRank(opts.syntaxRank);
  }

  private withBranches(n: number | undefined): this {
    if (n !== undefined) this.branchTries = n;
    return this;
  }

  private withRank(r: 'model' | 'prior' | undefined): this {
    if (r) this.syntaxRank = r;
    return this;
  }

  private withMemo(n: number | undefined): this {
    if (n !== undefined) this.fixMemoEntries = Math.max(0, Math.floor(n));
    return this;
  }

  /**
   * A fix decode, remembered by its exact input (prompt ids, given markers, budget, forced prefixes):
   * greedy decoding gives the same answer for the same input, so a quick fix asked for again after an
   * edit elsewhere in the file (a new document version, the same function) costs no model call. Only
   * the decode is remembered; the check against the document runs every time. A hit reports 0 steps.
   * (A retry computed after its first decode came from here starts on an empty KV cache instead of the
   * first decode's: the same tokens except at a near tie. It happens only when the memo dropped the retry.)
   */
  private async decodeFix(req: DecodeRequest): Promise<DecodeResult> {
    if (this.fixMemoEntries === 0) return this.decoder.run(req);
    const { signal: _signal, scope: _scope, ...input } = req;
    const key = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    const hit = this.fixMemo.get(key);
    if (hit) {
      this.fixMemo.delete(key);
      this.fixMemo.set(key, hit);
      return { ...hit, steps: 0 };
    }
    const r = await this.decoder.run(req); // an aborted decode throws: nothing is remembered
    this.fixMemo.set(key, r);
    if (this.fixMemo.size > this.fixMemoEntries) this.fixMemo.delete(this.fixMemo.keys().next().value!);
    return r;
  }

  /** Whether the decoder speculates (where the model allows it). */
  get speculate(): boolean {
    return this.decoder.speculate;
  }

  get contextLength(): number {
    return this.model.contextLength;
  }

  /** The execution provider choice (providers tried, chosen, why); undefined for a test logits source. */
  get deviceInfo(): DeviceStatus | undefined {
    return this.model instanceof OrtModel ? this.model.deviceReport : undefined;
  }

  async fix(req: FixRequest): Promise<FixResult | null> {
    return (await this.fixDetailed(req)).fix;
  }

  /** Like fix, with the reason when there is no fix. Throws InputError on bad input. */
  async fixDetailed(req: FixRequest): Promise<FixOutcome> {
    const t0 = performance.now();
    const lang = languageOrThrow(req.languageId);
    if (!lang.grammar) throw new InputError(`no grammar ships for ${lang.codeType}: fixes need one to check the result`);
    const explicit = markersOrThrow(req.markers);
    const settings = sanitizeMarkers(req.settingsMarkers).markers;
    const a = await analyze(req.text, lang, req.path);
    if (req.line !== undefined && (!Number.isInteger(req.line) || req.line < 0 || req.line >= a.lines.length)) {
      throw new InputError(`line ${req.line + 1} is out of range (the file has ${a.lines.length} lines)`);
    }
    let target: FixTarget | null;
    if (req.mode === 'function' && req.line !== undefined) {
      target = functionTarget(a, req.line);
      // a diagnostic given with a function rewrite goes into the prompt
      const d = req.diagnostics?.[0];
      if (target && d) {
        const dt = diagnosticTarget(a, d);
        target = { ...target, diagnostic: dt.diagnostic, errorType: dt.errorType };
      }
      // no function parses around the line (a method cut out of its class, a broken header) but the code
      // near it is broken: that is what there is to fix
      target ??= chooseTarget(a, { line: req.line, diagnostics: req.diagnostics }) ?? nearestSyntaxTarget(a, req.line, MAX_FUNCTION_LINES);
    } else target = chooseTarget(a, { line: req.line, diagnostics: req.diagnostics });
    const ms = () => Math.round(performance.now() - t0);
    // a syntax error is repaired by the search and proven by the language's own parser
    if (req.mode !== 'function' && !req.markersOnly && target?.kind !== 'function') {
      const syntax = await this.repairSyntax(a, target, { explicit, settings }, req, t0);
      if (syntax) return syntax;
    }
    if (!target) {
      const reason =
        req.line !== undefined
          ? `nothing to fix at line ${req.line + 1}: no diagnostic, no syntax error and no function there`
          : a.functions.length > 1
            ? 'no syntax error found; the file has several functions: pass a line to rewrite the function there'
            : 'no syntax error and no function found';
      return { fix: null, reason, latencyMs: ms() };
    }
    if (req.verify && !req.markersOnly && target.kind === 'function' && req.path) return this.repairWithTests(a, target, { explicit, settings }, req, t0);
    return this.fixTarget(a, target, { explicit, settings }, req, t0);
  }

  /**
   * The tested path (repair/semantic.ts): operator edits at the lines the failing tests blame, ranked by
   * the model, proven by the tests, with the model's own rewrite among them. No tests, or an untrusted
   * workspace: the model's rewrite, unverified, says why. Tests that pass, or no candidate that passes: no fix.
   */
  private async repairWithTests(a: Analysis, target: FixTarget, layers: { explicit: Markers; settings: Markers }, req: FixRequest, t0: number): Promise<FixOutcome> {
    const v = req.verify!;
    const ms = () => Math.round(performance.now() - t0);
    const given = this.markers ? mergeMarkers({ explicit: layers.explicit, settings: layers.settings, context: contextMarkers(a, target, 'CodeFix') }).markers : {};
    const useModel = v.rank !== 'prior';
    const prover = await proverFor(a.language.codeType).catch(() => undefined);
    let own: FixOutcome | undefined;
    // the first failing test goes into the prompt as its Error line (issue 28; TREASURE_FAILURE_PROMPT=off: not)
    const told = (failed: TestFailure[] = []): FixTarget => (failed[0] && process.env.TREASURE_FAILURE_PROMPT !== 'off' ? { ...target, diagnostic: failureDiagnostic(failed[0]) } : target);
    const rewrite = async (failed?: TestFailure[]) => (own ??= await this.fixTarget(a, told(failed), layers, req, t0));
    const lines = (r: LineRegion) => `lines ${r.startLine + 1}-${r.endLine + 1}`;
    const found = await searchSemanticFix({
      text: a.text, codeType: a.language.codeType, file: resolve(req.path!), root: resolve(v.root), trusted: v.trusted, verifyCommand: v.command,
      fromLine: target.region.startLine + 1, toLine: target.region.endLine + 1, functionName: /(?:def|function|fn|func)\s+(\w+)|(\w+)\s*=\s*(?:async\s*)?(?:function|\()/.exec(a.lines[target.region.startLine] ?? '')?.slice(1).find(Boolean),
      rank: useModel ? (docs, failed) => this.scoreCandidates(a, told(failed), docs, given, req.signal).catch((e: unknown) => { if (e instanceof InputError) return docs.map(() => 0); throw e; }) : undefined,
      parses: prover ? async (docs) => (await prover.parse(docs, { signal: req.signal, path: req.path })).map((x) => x.ok) : undefined,
      extra: useModel ? async (failed) => { const o = await rewrite(failed); return o.fix ? { fixed: o.fix.fixed, label: `the model's rewrite of ${lines(target.region)}` } : null; } : undefined,
      limits: v.limits, signal: req.signal,
    });
    const counts = { candidates: found.tried, verifyMs: found.verifyMs };
    if (found.fix) {
      const f = found.fix;
      const proof = { verified: true, verifiedBy: f.provenBy, label: f.label, ...counts, latencyMs: ms() };
      if (f.origin === 'model' && own?.fix) return { ...own, fix: { ...own.fix, ...proof }, ...counts, latencyMs: ms() };
      const edits = toTextEdits(a.text, f.edits!);
      const end = edits[edits.length - 1]!.range.end.line;
      const region = { start: { line: edits[0]!.range.start.line, character: 0 }, end: { line: end, character: a.lines[end]?.length ?? 0 } };
      return { fix: { edits, fixed: f.fixed, markers: { given, inferred: {} }, ...proof, region, target: 'function' }, ...counts, latencyMs: ms() };
    }
    if (found.outcome === 'tests_pass' || found.outcome === 'no_fix') return { fix: null, reason: found.reason, ...counts, latencyMs: ms() };
    // nothing could prove anything: the model's rewrite, unverified, with why
    const o = await rewrite();
    return o.fix ? { ...o, fix: { ...o.fix, unverified: found.reason, verifyMs: found.verifyMs }, ...counts, latencyMs: ms() } : { ...o, reason: `${o.reason} (${found.reason})`, ...counts, latencyMs: ms() };
  }

  /**
   * The syntax path (docs/CONTRACTS.md "Repair"): the language's parser reads the document; where it
   * reports an error, single- and two-token edits around it are proposed, the parser proves them, the
   * model ranks what it accepts. When nothing is proven, the model's own rewrite gets the same proof.
   * null: not a syntax matter (the parser accepts the code and the target is an editor diagnostic, or
   * there is no target): the caller goes on with the model's rewrite.
   */
  private async repairSyntax(a: Analysis, target: FixTarget | null, layers: { explicit: Markers; settings: Markers }, req: FixRequest, t0: number): Promise<FixOutcome | null> {
    const ms = () => Math.round(performance.now() - t0);
    let prover: Prover;
    try {
      prover = await proverFor(a.language.codeType, { workspaceRoot: req.path ? dirname(req.path) : undefined });
    } catch (e) {
      if (e instanceof NoProverError) return null;
      throw e;
    }
    let verdict: ParseVerdict;
    try {
      [verdict] = (await prover.parse([a.text], { signal: req.signal, path: req.path })) as [ParseVerdict];
    } catch (e) {
      if (e instanceof ProverInputError) throw new InputError(e.message);
      throw e;
    }
    if (req.signal?.aborted) throw new DecodeAbortedError();
    if (verdict.ok) {
      if (target?.kind === 'syntax') return { fix: null, reason: `${prover.name} accepts this code as it is: the syntax error at line ${target.line + 1} is tree-sitter's alone`, latencyMs: ms() };
      return null;
    }
    const first = verdict.errors[0]!;
    // the user's error (tree-sitter's or the editor's) when it is near the parser's, or in Python its own
    // block (the parser is run on that block alone); else the parser's first error
    const ownBlock = !!target && Math.abs(target.line - first.line) > 3 && a.language.codeType === 'python';
    if (!target || (Math.abs(target.line - first.line) > 3 && !ownBlock)) {
      const message = `Syntax error: ${first.message}`;
      target = { kind: 'syntax', line: first.line, column: first.column, region: regionForLine(a, first.line), diagnostic: message, errorType: errorTypeFor(message) ?? 'syntax_error' };
    }
    const starts = lineStarts(a.text);
    const offset = Math.min(a.text.length, (starts[target.line] ?? a.text.length) + (target.column ?? 0));
    const given = this.markers ? mergeMarkers({ explicit: layers.explicit, settings: layers.settings, context: contextMarkers(a, target, 'CodeFix') }).markers : {};
    const t = target;
    const rank = (docs: string[]) => this.scoreCandidates(a, t, docs, given, req.signal).catch((e: unknown) => {
      if (e instanceof InputError) return docs.map(() => 0); // too long for the model: the prior decides
      throw e;
    });
    // g++/gcc parse ~10-50 files a second: tree-sitter screens the candidates first
    const screen = /^(c|cpp)$/.test(a.language.codeType) && prover.kind === 'native' && a.language.grammar ? treeSitterProver(a.language.grammar) ?? undefined : undefined;
    const found = await searchSyntaxFix({ screen, text: a.text, codeType: a.language.codeType, target: { offset, message: target.diagnostic }, prover, rank: this.syntaxRank === 'model' ? rank : undefined, signal: req.signal, otherErrorLines: a.issues.filter((i) => Math.abs(i.start.row - t.line) > 3).map((i) => i.start.row), ownBlock });
    const region = (r: LineRegion) => ({ start: { line: r.startLine, character: 0 }, end: { line: r.endLine, character: a.lines[r.endLine]?.length ?? 0 } });
    if (found.fix) {
      const edits = toTextEdits(a.text, found.fix.edits);
      const line = edits[0]!.range.start.line;
      // a file with more errors: this fix is for one of them; the label says how many others tree-sitter sees
      const others = found.fix.remaining ? new Set(a.issues.filter((i) => Math.abs(i.start.row - t.line) > 3).map((i) => i.start.row)).size : 0;
      const label = others > 0 ? `${found.fix.label} (${others} more error${others > 1 ? 's' : ''} elsewhere in the file)` : found.fix.label;
      return {
        fix: {
          edits, fixed: found.fix.fixed, markers: { given, inferred: {} }, verified: true, verifiedBy: found.fix.provenBy, label,
          candidates: found.tried, latencyMs: ms(), region: region({ startLine: line, endLine: edits[edits.length - 1]!.range.end.line }), target: 'syntax',
        },
        candidates: found.tried,
        latencyMs: ms(),
      };
    }
    if (found.parserAcceptsOriginal) return { fix: null, reason: found.reason, latencyMs: ms() };
    // the model's own rewrite, held to the same proof (of a region short enough for it to write quickly)
    const lines = target.region.endLine - target.region.startLine + 1;
    if (lines > MAX_REWRITE_LINES) return { fix: null, candidates: found.tried, reason: `no fix that ${prover.name} accepts: ${found.reason}; the region (${lines} lines) is too long for the model to rewrite quickly`, latencyMs: ms() };
    const own = await this.fixTarget(a, target, layers, req, t0);
    if (own.fix) {
      const [v] = (await prover.parse([own.fix.fixed], { signal: req.signal, path: req.path })) as [ParseVerdict];
      const offs = own.fix.edits.map((e) => ({ start: offsetAt(a.text, starts, e.range.start), end: offsetAt(a.text, starts, e.range.end), newText: e.newText }));
      const j = judgeCandidate({ original: a.text, originalVerdict: verdict, target: first, candidate: { fixed: own.fix.fixed, edits: offs }, candidateVerdict: v, prover });
      if (j.proven) return { ...own, fix: { ...own.fix, verified: true, verifiedBy: prover.name, label: `the model's rewrite of lines ${own.fix.region.start.line + 1}-${own.fix.region.end.line + 1}`, candidates: found.tried + 1 }, candidates: found.tried + 1 };
      return { ...own, fix: null, candidates: found.tried + 1, reason: `no fix that ${prover.name} accepts: ${found.reason}; the model's rewrite: ${j.reason}` };
    }
    return { ...own, candidates: found.tried + 1, reason: `no fix that ${prover.name} accepts: ${found.reason}; the model's rewrite: ${own.reason}` };
  }

  private async fixTarget(
    a: Analysis,
    target: FixTarget,
    layers: { explicit: Markers; settings: Markers },
    req: FixRequest,
    t0: number,
  ): Promise<FixOutcome> {
    const ms = () => Math.round(performance.now() - t0);
    const context = contextMarkers(a, target, 'CodeFix');
    const scope = {}; // this request's decodes share their KV cache (runtime.ts start)
    if (!this.markers) return this.attempt(a, target, {}, req, ms, scope);
    if (req.contextMarkers === false) {
      return this.attempt(a, target, mergeMarkers({ explicit: layers.explicit, settings: layers.settings }).markers, req, ms, scope);
    }
    const first = mergeMarkers({ explicit: layers.explicit, settings: layers.settings, context }).markers;
    // A second, cheaper-to-get-right try when the first answer fails the check: only the markers
    // the user gave plus task and language; the model infers the rest itself.
    const second = mergeMarkers({ explicit: layers.explicit, settings: layers.settings, context: { task: context.task, code_type: context.code_type } }).markers;
    const tries = [first];
    // markersOnly: the list for the editor's markers is the answer; a second try would only decode another list
    if (!req.markersOnly && JSON.stringify(second) !== JSON.stringify(first)) tries.push(second);
    let last: FixOutcome | undefined;
    const reasons: string[] = [];
    for (const given of tries) {
      const o = await this.attempt(a, target, given, req, ms, scope);
      if (o.fix) return o;
      last = o;
      if (o.reason) reasons.push(o.reason);
      if (!o.completion || o.abstained) break; // nothing was decoded (too long), or the model abstained: another try would not help
    }
    return { ...last!, reason: [...new Set(reasons)].join('; then: '), latencyMs: ms() };
  }

  private async attempt(a: Analysis, target: FixTarget, given: Markers, req: FixRequest, ms: () => number, scope: object): Promise<FixOutcome> {
    const task = given.task ?? 'CodeFix';
    if (task !== 'CodeFix') throw new InputError(`fix needs task CodeFix, not ${task}`);
    if (!this.markers) given = {};
    const code = regionText(a, target.region);
    const tooLong = (): FixOutcome => ({ fix: null, reason: `the region (lines ${target.region.startLine + 1}-${target.region.endLine + 1}) is too long for the model's context of ${this.model.contextLength} tokens`, latencyMs: ms() });
    // Known without encoding it: no token stands for more than maxTokenChars characters, so a region
    // this long cannot fit (a 3.7 MB function is refused at once instead of tokenized for a minute).
    if (code.length / this.tokenizer.maxTokenChars >= this.model.contextLength) return tooLong();
    // user text (code, diagnostic) never encodes to a control token: only the prompt's layout has them
    const promptIds = this.tokenizer.encodePrompt(promptParts({ task, code, diagnostic: target.diagnostic, given }), true);
    const codeTokens = this.tokenizer.encodeText(code).length;
    // The answer is about as long as the region: a budget well above it, below the context.
    const budget = Math.min(req.maxTokens ?? 768, 64 + Math.ceil(codeTokens * 1.5) + 32);
    const room = this.model.contextLength - promptIds.length;
    if (room < Math.min(budget, 64 + codeTokens)) return tooLong();
    const maxTokens = Math.min(budget, room);
    if (req.markersOnly) {
      const d = await this.decoder.run({ promptIds, given, maxTokens, signal: req.signal, markersOnly: true });
      return { fix: null, markers: reportOf(given, d), latencyMs: ms(), completion: this.tokenizer.decode(d.ids), tokens: { prompt: promptIds.length, completion: d.ids.length, steps: d.steps } };
    }
    let decoded = await this.decodeFix({ promptIds, given, maxTokens, signal: req.signal, original: code, scope });
    let check = decoded.stop === 'end' ? await checkFix(a, target, decoded.answer) : undefined;
    // A small model often copies the code it was asked to fix. The answer must differ, so when the
    // greedy answer is the input unchanged (or fails the check), decoding branches at the points where
    // the model was least sure it should copy, closest first, and the first checked answer wins.
    // With an error position, the branches near the error's line go first (nearErrorFirst).
    let branches = decoded.branches ?? [];
    const markerPrefix = decoded.markerPrefix; // every retry writes the same marker list: fed, not decoded again
    if (target.kind !== 'function') {
      const errLine = target.line - target.region.startLine;
      branches = nearErrorFirst(branches, (b) => this.tokenizer.decode(b.prefix).replace(/^\n/, '').split('\n').length - 1, errLine);
    }
    // The model abstains when, asked to rewrite a function with no known error, it writes error_type none
    // or copies the code: that is its answer (issue 28), not a decode to branch away from.
    const abstained = target.kind === 'function' && process.env.TREASURE_RESPECT_ABSTENTION !== 'off' &&
      (decoded.markers.error_type === 'none' || (check !== undefined && !check.ok && check.reason === UNCHANGED));
    if (abstained) branches = [];
    for (let i = 0; i < Math.min(branches.length, this.branchTries) && !(check?.ok); i++) {
      const d = await this.decodeFix({ promptIds, given, maxTokens, signal: req.signal, answerPrefix: branches[i]!.prefix, markerPrefix, scope });
      if (d.stop !== 'end') continue;
      const c = await checkFix(a, target, d.answer);
      if (c.ok || !check) { decoded = d; check = c; }
    }
    const report = reportOf(given, decoded);
    const base = { completion: this.tokenizer.decode(decoded.ids), markers: report, tokens: { prompt: promptIds.length, completion: decoded.ids.length, steps: decoded.steps } };
    if (!check) {
      return { fix: null, reason: `the model did not finish its answer within ${decoded.ids.length} tokens`, latencyMs: ms(), ...base };
    }
    if (abstained) return { fix: null, reason: decoded.markers.error_type === 'none' ? 'the model finds nothing to fix (error_type none)' : `${UNCHANGED}: it finds nothing to fix`, abstained: true, latencyMs: ms(), ...base };
    if (!check.ok) return { fix: null, reason: check.reason, latencyMs: ms(), ...base };
    const starts = lineStarts(a.text);
    const span = regionSpan(a.text, starts, target.region.startLine, target.region.endLine);
    const regionEnd = toTextEdits(a.text, [{ start: span.end, end: span.end, newText: '' }])[0]!.range.end;
    return {
      fix: {
        edits: check.edits,
        fixed: check.fixed,
        markers: report,
        verified: false,
        latencyMs: ms(),
        region: { start: { line: target.region.startLine, character: 0 }, end: regionEnd },
        target: target.kind,
      },
      latencyMs: ms(),
      ...base,
    };
  }

  /**
   * The model's scores of candidate documents as fixes of `target`: the log-probability of each one's
   * rewritten region as the CodeFix answer, after the marker list the model writes for this prompt.
   * Only the lines from the first one any candidate changes to the line after the last one count
   * (what lies before is shared, what lies further on weighs the same for all of them). Edits that add or
   * remove lines are scored over their own lines. Higher is better.
   */
  async scoreCandidates(a: Analysis, target: FixTarget, docs: readonly string[], given: Markers, signal?: AbortSignal): Promise<number[]> {
    if (docs.length === 0) return [];
    // the region the model sees: the target's, narrowed to the lines around the edits when it is long
    target = { ...target, region: scoringRegion(a.lines, target.region, docs) };
    const code = regionText(a, target.region);
    const promptIds = this.tokenizer.encodePrompt(promptParts({ task: 'CodeFix', code, diagnostic: target.diagnostic, given: this.markers ? given : {} }), true);
    const scope = {};
    let head = promptIds;
    if (this.markers && process.env.TREASURE_RANK_MARKERS === 'model') {
      // the list the model would write (what a fix's answer follows; ~20-30 model steps)
      const d = await this.decoder.run({ promptIds, given, maxTokens: 96, signal, markersOnly: true, scope });
      head = [...promptIds, ...(d.markerPrefix ?? [])];
    } else if (this.markers) {
      // the given markers closed at once: every candidate follows the same list, so their order barely
      // depends on it, and no model step is spent writing it
      head = [...promptIds, ...this.tokenizer.encode(serialize(given))];
    }
    const { startLine, endLine } = target.region;
    const origLines = a.lines;
    const docLines = docs.map((d) => d.split(/\r?\n/));
    // the window: up to the line after the last one any candidate changes (all lines when one adds or drops lines)
    let last = startLine;
    for (const dl of docLines) {
      if (dl.length !== origLines.length) { last = endLine; break; }
      for (let i = endLine; i > last; i--) if (dl[i] !== origLines[i]) { last = i; break; }
    }
    const answers = docLines.map((dl) => {
      const end = endLine + dl.length - origLines.length;
      const stop = Math.min(end, last + 1);
      const ids = this.tokenizer.encodeText('\n' + dl.slice(startLine, stop + 1).join('\n'));
      return stop >= end ? [...ids, this.tokenizer.id(taxonomy().format.end)] : ids;
    });
    if (head.length + Math.max(...answers.map((x) => x.length)) > this.model.contextLength) throw new InputError(`the region is too long for the model's context of ${this.model.contextLength} tokens`);
    return scoreAnswers(this.model, head, answers, signal, scope);
  }

  /** Continues code (CodeGeneration). */
  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const t0 = performance.now();
    const lang = languageOrThrow(req.languageId);
    const explicit = markersOrThrow(req.markers);
    const settings = sanitizeMarkers(req.settingsMarkers).markers;
    const context: Markers = { task: 'CodeGeneration', code_type: lang.codeType };
    if (explicit.length_lines && !explicit.length_bucket) context.length_bucket = lengthBucket(Number(explicit.length_lines));
    let { markers: given } = mergeMarkers({ explicit, settings, context: req.contextMarkers === false ? {} : context });
    const task = given.task ?? 'CodeGeneration';
    if (!this.markers) given = {};
    // Training prompts end with the last line of code and the answer starts on the next line: a prompt
    // that ends with a line break (the cursor on a new line) must not show the model an extra blank line.
    // A prompt too long for the context (Generate at the end of a long file) keeps its last lines: the
    // code nearest the cursor matters most, and the answer keeps room for up to ANSWER_ROOM tokens.
    const code = req.prompt.replace(/\r?\n$/, '');
    const want = Math.min(req.maxTokens ?? 256, ANSWER_ROOM);
    let codeLines = code.split('\n');
    // lines that cannot fit whatever their tokens are go before any encoding (the search below encodes
    // the prompt several times)
    let dropped = 0;
    for (let chars = code.length, cap = this.model.contextLength * this.tokenizer.maxTokenChars; chars > cap && dropped < codeLines.length - 1; dropped++) chars -= codeLines[dropped]!.length + 1;
    if (dropped > 0) codeLines = codeLines.slice(dropped);
    const encodeFrom = (line: number) => this.tokenizer.encodePrompt(promptParts({ task, code: codeLines.slice(line).join('\n'), given }), true);
    let promptIds = encodeFrom(0);
    let leftOut = 0;
    if (promptIds.length + want > this.model.contextLength) {
      // the fewest leading lines to leave out (binary search: fewer lines, fewer tokens); `fits` is hi's prompt
      let lo = 1;
      let hi = codeLines.length - 1;
      let fits = encodeFrom(hi);
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const ids = encodeFrom(mid);
        if (ids.length + want <= this.model.contextLength) { hi = mid; fits = ids; } else lo = mid + 1;
      }
      leftOut = hi;
      promptIds = fits;
    }
    const room = this.model.contextLength - promptIds.length;
    if (room < 8) throw new InputError(`the prompt is too long for the model's context of ${this.model.contextLength} tokens`);
    // The length guard: the model aims at the length marker; the user's limit holds whatever it writes.
    const limit = req.lengthGuard === false ? undefined : lineLimit(given);
    // and it stops where the code it was asked for is finished (the function closed), not at the token limit
    const blockEnd = blockEndRule(lang.codeType, req.prompt);
    const scope = {}; // this request's decodes share their KV cache (runtime.ts start)
    const run = async (answerPrefix?: number[], markerPrefix?: number[]) => {
      const decoded = await this.decoder.run({
        promptIds, given, maxTokens: Math.min(req.maxTokens ?? 256, room), signal: req.signal, stopOnRepeat: true, maxLines: limit, blockEnd, scope,
        lineBranches: answerPrefix === undefined, answerPrefix, markerPrefix,
      });
      let text = decoded.answer;
      if (decoded.stop !== 'end') text = text.replace(/\n[^\n]*$/, '\n'); // drop a cut-off last line
      // Checked like a fix: code that breaks the file is not offered (the lines that parse are).
      const kept = await parseablePrefix(lang, req.prompt, text);
      // 2: finished within the limit and parses; 1: cut at the line limit where it still parses; 0: neither
      const clean = kept.dropped === 0 && kept.text.trim() !== '';
      const grade = !clean ? 0 : decoded.stop === 'end' || decoded.stop === 'block' ? 2 : decoded.stop === 'lines' ? 1 : 0;
      return { decoded, kept, grade };
    };
    if (req.markersOnly) {
      const d = await this.decoder.run({ promptIds, given, maxTokens: Math.min(req.maxTokens ?? 256, room), signal: req.signal, markersOnly: true });
      return { text: '', markers: reportOf(given, d), latencyMs: Math.round(performance.now() - t0) };
    }
    let best = await run();
    // An answer cut at the line limit, or left with lines that do not parse (a docstring cut in half,
    // a header without its body), is not what was asked: decoding branches where a line could have
    // begun differently, closest call first (the first line last: it decides what kind of code this
    // is). The first finished answer wins, else the first one cut cleanly at the limit, else greedy's.
    const branches = best.grade === 2 ? [] : [...(best.decoded.branches ?? [])]
      .sort((x, y) => Number(x.line === 1) - Number(y.line === 1) || x.margin - y.margin)
      .slice(0, this.branchTries);
    const markerPrefix = best.decoded.markerPrefix; // every retry writes the same marker list: fed, not decoded again
    for (const b of branches) {
      const next = await run(b.prefix, markerPrefix);
      if (next.grade > best.grade) best = next;
      if (best.grade === 2) break;
    }
    const { decoded, kept } = best;
    const result: GenerateResult = { text: kept.text, markers: reportOf(given, decoded), latencyMs: Math.round(performance.now() - t0) };
    if (kept.dropped > 0) result.droppedLines = kept.dropped;
    if (decoded.stop === 'lines') result.cutAtLines = limit;
    if (leftOut + dropped > 0) result.promptLinesLeftOut = leftOut + dropped;
    return result;
  }

  /** Context markers at a line (no model call). */
  markersAt(req: MarkersAtRequest): Promise<MarkersAtResult> {
    return markersAt(req);
  }
}

/** Most lines of a region the ranking model reads; a longer one is cut to the lines around the edits. */
const SCORING_LINES = 40;

/** The target region, or at most SCORING_LINES of it around the lines the candidates change (most before them). */
export function scoringRegion(lines: readonly string[], region: LineRegion, docs: readonly string[]): LineRegion {
  if (region.endLine - region.startLine + 1 <= SCORING_LINES) return region;
  let first = region.endLine;
  let last = region.startLine;
  for (const d of docs) {
    const dl = d.split(/\r?\n/);
    for (let i = region.startLine; i <= region.endLine; i++) if (dl[i] !== lines[i]) { first = Math.min(first, i); break; }
    for (let i = region.endLine; i >= region.startLine; i--) if (dl[i] !== lines[i]) { last = Math.max(last, i); break; }
  }
  if (first > last) return region;
  const after = Math.min(region.endLine, last + 6);
  const before = Math.max(region.startLine, Math.min(first, after - SCORING_LINES + 1));
  return { startLine: before, endLine: after };
}

function reportOf(given: Markers, decoded: DecodeResult): MarkerReport {
  const inferred: Markers = {};
  for (const [k, v] of Object.entries(decoded.markers) as [MarkerKey, string][]) {
    if (given[k] === undefined) inferred[k] = v;
  }
  return { given: { ...given }, inferred };
}

/** Branches on the error's line, the line before it (a colon or bracket missing at a line's end is an
 * error where the next line begins) and the line after it first, each group in its given order. */
export function nearErrorFirst<T>(branches: T[], lineOf: (b: T) => number, errLine: number): T[] {
  // each branch's line computed once, not once per comparison
  const keyed = branches.map((b) => ({ b, far: Math.abs(lineOf(b) - errLine) <= 1 ? 0 : 1 }));
  return keyed.sort((x, y) => x.far - y.far).map((k) => k.b);
}

/**
 * The longest run of whole lines from the start of a generation that adds no syntax error to the
 * prompt it continues (tree-sitter issues counted before and after), and how many lines were left out.
 * Not monotonic in general (a later line can close what an earlier one opened), hence the scan from the end.
 */
export async function parseablePrefix(lang: LanguageInfo, prompt: string, text: string): Promise<{ text: string; dropped: number }> {
  const grammar = lang.grammar;
  if (!grammar || text.trim() === '') return { text, dropped: 0 };
  const head = prompt === '' || prompt.endsWith('\n') ? prompt : prompt + '\n';
  // Counted apart: errors, and Python blocks left empty. A prompt that ends in a header (`def f():`)
  // has an empty block the generation is meant to fill: that must not excuse an error it adds.
  const issues = (code: string) => withTree(grammar, head + code, (t) => {
    const all = syntaxIssues(t);
    const empty = all.filter((i) => i.kind === 'empty_block').length;
    return [all.length - empty, empty] as const;
  });
  const before = await issues('');
  const noWorse = ([errors, empty]: readonly [number, number]) => errors <= before[0] && empty <= before[1];
  const lines = text.split('\n');
  const content = lines.flatMap((l, i) => (l.trim() !== '' ? [i] : [])); // the non-blank lines
  // candidates: the whole text, then cuts after each non-blank line, longest first
  for (const n of [lines.length, ...content.map((i) => i + 1).filter((n) => n < lines.length).reverse()]) {
    const cand = lines.slice(0, n).join('\n');
    if (noWorse(await issues(cand))) return { text: cand + (n < lines.length ? '\n' : ''), dropped: content.filter((i) => i >= n).length };
  }
  return { text: '', dropped: content.length };
}
