// The Engine (docs/CONTRACTS.md): the model loaded with its tokenizer and decoder; fixes (fixAt on the
// caller's analysis, fixDetailed for the CLI), the model's scores of candidates, and generation. Its
// types and model-free calls are in engine-api.ts, the proven repair paths in repair/engine-paths.ts,
// the guards on its answers in generation-guards.ts; all of them are exported from here as before.
// Over 400 lines (issue #27, a stated reason): the scoring of candidates (rankHead, scoreCandidates,
// scoreEditCandidates, scoreFunctionFixes) needs the model, the tokenizer and the decoder the Engine keeps
// private, and the same prompt as a fix; moving it out would expose all three.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyze, contextMarkers, functionTarget, regionText, targetAt, type Analysis, type FixTarget, type MarkerLayers } from './context';
import { blockEndRule } from './blocks';
import { Decoder, type DecodeRequest, type DecodeResult } from './decode';
import {
  InputError,
  ModelError,
  defaultModelDir,
  languageOrThrow,
  markerLayers,
  markersAt,
  markersOrThrow,
  type EngineOptions,
  type FixAtRequest,
  type FixOutcome,
  type FixRequest,
  type FixResult,
  type GenerateRequest,
  type GenerateResult,
  type MarkersQuery,
  type MarkerChoice,
} from './engine-api';
import { fitPrompt, nearErrorFirst, parseablePrefix, reportOf, scoringRegion } from './generation-guards';
import { lengthBucket, lineLimit, mergeMarkers, sanitizeMarkers, serialize, taxonomy, type Markers } from './markers';
import { promptParts } from './prompt';
import type { DeviceStatus } from './protocol';
import { checkFix, UNCHANGED } from './repair/check';
import { belowThresholdReason, confidenceOfMargin, DEFAULT_MIN_CONFIDENCE, offeredAt, validMinConfidence } from './repair/confidence';
import { repairSyntax, repairWithTests } from './repair/engine-paths';
import { answerLines, lineEditPlan, scoreAnswers, scoreLineEdits, type LineEditGroup } from './repair/rank';
import { lineStarts, regionSpan, toTextEdits } from './repair/text';
import { OrtModel, readModelConfig, type LogitsSource } from './runtime';
import { TokenizerError, TreasureTokenizer } from './tokenizer';

export * from './engine-api';
export { nearErrorFirst, parseablePrefix, scoringRegion } from './generation-guards';

/** Branches of a copied answer tried before giving up (each costs one decode). */
const BRANCH_TRIES = 4;
/** Fix decodes remembered by their exact input (see Engine.decodeFix). */
const FIX_MEMO_ENTRIES = 256;
/** Tokens of room an answer keeps when a long Generate prompt must lose its first lines to fit the context. */
const ANSWER_ROOM = 512;

export class Engine {
  private readonly decoder: Decoder;
  private branchTries = BRANCH_TRIES;
  private fixMemoEntries = FIX_MEMO_ENTRIES;
  /** How the syntax search orders what the parser accepts (EngineOptions.syntaxRank). */
  syntaxRank: 'model' | 'prior' = 'model';
  /** Least recently used first (Map keeps insertion order; a hit moves its entry to the end). */
  private readonly fixMemo = new Map<string, DecodeResult>();
  /** The confidences of unverified fixes, remembered as the decodes are (the same fix of the same prompt: no model call). */
  private readonly confidenceMemo = new Map<string, number>();

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
    if (opts.logits && opts.tokenizer) return new Engine(dir, 'test', opts.logits, opts.tokenizer, opts.markers !== false, opts.speculate).configured(opts);
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
    return new Engine(dir, model.device, model, tokenizer, opts.markers !== false, opts.speculate).configured(opts);
  }

  /** The options a test or a study sets: branch retries, the fix memo's size, the syntax search's ranking. */
  private configured(opts: EngineOptions): this {
    if (opts.branchTries !== undefined) this.branchTries = opts.branchTries;
    if (opts.fixMemo !== undefined) this.fixMemoEntries = Math.max(0, Math.floor(opts.fixMemo));
    if (opts.syntaxRank) this.syntaxRank = opts.syntaxRank;
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

  /**
   * Like fix, with the reason when there is no fix. Throws InputError on bad input. The CLI's (and the
   * evaluation's) convenience: it analyses the text, chooses the target at `line` and calls fixAt.
   */
  async fixDetailed(req: FixRequest): Promise<FixOutcome> {
    const since = performance.now(); // its latency counts the analysis, as it always has
    const lang = languageOrThrow(req.languageId);
    if (!lang.grammar) throw new InputError(`no grammar ships for ${lang.codeType}: fixes need one to check the result`);
    const markers = markerLayers(req.markers, req.settingsMarkers);
    const a = await analyze(req.text, lang, req.path);
    if (req.line !== undefined && (!Number.isInteger(req.line) || req.line < 0 || req.line >= a.lines.length)) {
      throw new InputError(`line ${req.line + 1} is out of range (the file has ${a.lines.length} lines)`);
    }
    const target = targetAt(a, { line: req.line, diagnostics: req.diagnostics, mode: req.mode });
    return this.fixAt({ ...req, analysis: a, target, markers, since });
  }

  /**
   * Fixes `target` in a document the caller has analysed (the language server's analysis of the version
   * the user sees, and the target whose action the user chose): nothing is analysed or chosen again here.
   */
  async fixAt(req: FixAtRequest): Promise<FixOutcome> {
    const t0 = req.since ?? performance.now();
    const a = req.analysis;
    let target = req.target;
    if (!a.language.grammar) throw new InputError(`no grammar ships for ${a.language.codeType}: fixes need one to check the result`);
    const layers = { explicit: req.markers?.explicit ?? {}, settings: req.markers?.settings ?? {} };
    const ms = () => Math.round(performance.now() - t0);
    // a syntax error is repaired by the search and proven by the language's own parser
    if (req.mode !== 'function' && !req.markersOnly && target?.kind !== 'function') {
      const syntax = await repairSyntax(this, a, target, layers, req, t0);
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
    if (req.minConfidence !== undefined && !validMinConfidence(req.minConfidence)) throw new InputError(`minConfidence must be a number from 0 to 1, not ${req.minConfidence}`);
    const out = req.verify && !req.markersOnly && target.kind === 'function' && a.path ? await repairWithTests(this, a, target, layers, req, t0) : await this.fixTarget(a, target, layers, req, t0);
    return target.kind === 'function' ? this.gateUnverified(a, target, layers, req, out, t0) : out;
  }

  /**
   * A function's fix that nothing proved (issue 26 point 7): the model's confidence in it, from its
   * log-probability margin of the edited lines over the original's (scoreEditCandidates, the tested
   * path's ranking); below req.minConfidence it is not offered. A proven fix passes as it is.
   */
  private async gateUnverified(a: Analysis, target: FixTarget, layers: Required<MarkerLayers>, req: FixAtRequest, out: FixOutcome, t0: number): Promise<FixOutcome> {
    if (!out.fix || out.fix.verified) return out;
    const given = this.markers ? mergeMarkers({ explicit: layers.explicit, settings: layers.settings, context: contextMarkers(a, target, 'CodeFix') }).markers : {};
    const fix = out.fix;
    const at = target.region.startLine;
    const key = createHash('sha256').update(JSON.stringify({ code: regionText(a, target.region), diagnostic: target.diagnostic, given, edits: fix.edits.map((e) => ({ ...e, range: { start: { ...e.range.start, line: e.range.start.line - at }, end: { ...e.range.end, line: e.range.end.line - at } } })) })).digest('hex');
    let confidence = this.confidenceMemo.get(key);
    if (confidence === undefined) {
      // too long to score: unknown confidence, which no positive threshold lets through
      const margin = (await this.scoreEditCandidates(a, target, [fix.fixed], given, req.signal).catch((e: unknown) => { if (e instanceof InputError) return [-Infinity]; throw e; }))[0]!;
      confidence = confidenceOfMargin(margin);
      if (this.fixMemoEntries > 0) {
        this.confidenceMemo.set(key, confidence);
        if (this.confidenceMemo.size > this.fixMemoEntries) this.confidenceMemo.delete(this.confidenceMemo.keys().next().value!);
      }
    }
    const min = req.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
    const latencyMs = Math.round(performance.now() - t0); // the scoring counts
    if (offeredAt(confidence, min)) return { ...out, fix: { ...fix, confidence, latencyMs }, latencyMs };
    // why nothing proved it (no tests, an untrusted workspace) stays in the reason
    return { ...out, fix: null, confidence, reason: belowThresholdReason(confidence, min) + (fix.unverified ? `; not proven because ${fix.unverified}` : ''), latencyMs };
  }

  /** The model's own rewrite of a target (with a second try on fewer markers); the repair paths call it too. */
  async fixTarget(
    a: Analysis,
    target: FixTarget,
    layers: Required<MarkerLayers>,
    req: FixAtRequest,
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

  private async attempt(a: Analysis, target: FixTarget, given: Markers, req: FixAtRequest, ms: () => number, scope: object): Promise<FixOutcome> {
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
  async scoreCandidates(a: Analysis, target: FixTarget, docs: readonly string[], given: Markers, signal?: AbortSignal, maxLines?: number): Promise<number[]> {
    if (docs.length === 0) return [];
    const scope = {};
    const { head, answers } = await this.candidateScoringPlan(a, target, docs, given, maxLines, scope, signal);
    return scoreAnswers(this.model, head, answers, signal, scope);
  }

  /** What scoreCandidates feeds the model, as token ids: the shared head (prompt + marker list) and each doc's
   * answer (its lines, then the end id when they run to the region's end); the syntax ranking data reads it. */
  async candidateScoringPlan(a: Analysis, target: FixTarget, docs: readonly string[], given: Markers, maxLines?: number, scope: object = {}, signal?: AbortSignal): Promise<{ head: number[]; answers: number[][] }> {
    // the region the model sees: the target's, narrowed to the lines around the edits when it is long
    target = { ...target, region: scoringRegion(a.lines, target.region, docs, maxLines) };
    const head = await this.rankHead(a, target, given, scope, signal);
    const endId = this.tokenizer.id(taxonomy().format.end);
    const answers = answerLines(a.lines, target.region, docs).map(({ text, last }) => {
      const ids = this.tokenizer.encodeText(text);
      return last ? [...ids, endId] : ids;
    });
    if (head.length + Math.max(...answers.map((x) => x.length)) > this.model.contextLength) throw new InputError(`the region is too long for the model's context of ${this.model.contextLength} tokens`);
    return { head, answers };
  }

  /** The CodeFix prompt of `target` and the marker list a candidate's answer follows (shared by every candidate). */
  private async rankHead(a: Analysis, target: FixTarget, given: Markers, scope: object, signal?: AbortSignal): Promise<number[]> {
    const code = regionText(a, target.region);
    const promptIds = this.tokenizer.encodePrompt(promptParts({ task: 'CodeFix', code, diagnostic: target.diagnostic, given: this.markers ? given : {} }), true);
    if (this.markers && process.env.TREASURE_RANK_MARKERS === 'model') {
      // the list the model would write (what a fix's answer follows; ~20-30 model steps)
      const d = await this.decoder.run({ promptIds, given, maxTokens: 96, signal, markersOnly: true, scope });
      return [...promptIds, ...(d.markerPrefix ?? [])];
    }
    // the given markers closed at once: every candidate follows the same list, so their order barely
    // depends on it, and no model step is spent writing it
    return this.markers ? [...promptIds, ...this.tokenizer.encode(serialize(given))] : promptIds;
  }

  /**
   * The model's scores of candidate documents that edit a few lines of `target` (the tested path's
   * operator edits): each one's log-probability from its first changed line to one past its last, minus
   * the original's over the same lines (repair/rank.ts scoreLineEdits). Comparable across candidates
   * that edit different lines, and each costs its own lines' tokens only. Higher is better.
   */
  async scoreEditCandidates(a: Analysis, target: FixTarget, docs: readonly string[], given: Markers, signal?: AbortSignal): Promise<number[]> {
    if (docs.length === 0) return [];
    target = { ...target, region: scoringRegion(a.lines, target.region, docs) };
    const scope = {};
    const { head, docLines, tok } = await this.editScoringInputs(a, target, docs, given, scope, signal);
    return scoreLineEdits(this.model, head, a.lines, docLines, target.region, tok, signal, scope);
  }

  /** What scoreEditCandidates feeds the model, as token ids (repair/rank.ts lineEditPlan): the ranking dump and fine-tune read it. */
  async editScoringPlan(req: { text: string; languageId: string; line: number; path?: string }, docs: readonly string[]): Promise<{ fromLine: number; toLine: number; groups: LineEditGroup[] } | null> {
    const fn = await this.functionToScore(req);
    if (!fn) return null;
    const { a, given } = fn;
    const target = { ...fn.target, region: scoringRegion(a.lines, fn.target.region, docs) };
    const { head, docLines, tok } = await this.editScoringInputs(a, target, docs, given, {});
    return { fromLine: target.region.startLine + 1, toLine: target.region.endLine + 1, groups: lineEditPlan(head, a.lines, docLines, target.region, tok) };
  }

  private async editScoringInputs(a: Analysis, target: FixTarget, docs: readonly string[], given: Markers, scope: object, signal?: AbortSignal) {
    const head = await this.rankHead(a, target, given, scope, signal);
    const docLines = docs.map((d) => d.split(/\r?\n/));
    // the original region with room for an edit's extra tokens: what the longest window comes to
    if (head.length + this.tokenizer.encodeText('\n' + regionText(a, target.region)).length + 64 > this.model.contextLength) throw new InputError(`the region is too long for the model's context of ${this.model.contextLength} tokens`);
    const tok = { encode: (s: string) => this.tokenizer.encodeText(s), endId: this.tokenizer.id(taxonomy().format.end) };
    return { head, docLines, tok };
  }

  /**
   * The function at `line` (0-based; the region comes back 1-based) and the model's scores of `docs` as
   * its fix, exactly as the tested path ranks them (context markers); no docs: the region only. null: no function there.
   */
  async scoreFunctionFixes(req: { text: string; languageId: string; line: number; path?: string }, docs: readonly string[], how: 'edits' | 'region' = 'edits', signal?: AbortSignal): Promise<{ fromLine: number; toLine: number; scores: number[] } | null> {
    const fn = await this.functionToScore(req);
    if (!fn) return null;
    const { a, target, given } = fn;
    const scores = how === 'edits' ? await this.scoreEditCandidates(a, target, docs, given, signal) : await this.scoreCandidates(a, target, docs, given, signal);
    return { fromLine: target.region.startLine + 1, toLine: target.region.endLine + 1, scores };
  }

  /** The function at `line` (0-based), its analysis and the context markers its fixes are scored under; null: no function there. */
  private async functionToScore(req: { text: string; languageId: string; line: number; path?: string }): Promise<{ a: Analysis; target: FixTarget; given: Markers } | null> {
    const a = await analyze(req.text, languageOrThrow(req.languageId), req.path);
    const target = functionTarget(a, req.line);
    if (!target) return null;
    const given = this.markers ? mergeMarkers({ explicit: {}, settings: {}, context: contextMarkers(a, target, 'CodeFix') }).markers : {};
    return { a, target, given };
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
    const encode = (c: string) => this.tokenizer.encodePrompt(promptParts({ task, code: c, given }), true);
    const { promptIds, leftOut } = fitPrompt(code, encode, this.model.contextLength, this.tokenizer.maxTokenChars, want);
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
    if (leftOut > 0) result.promptLinesLeftOut = leftOut;
    return result;
  }

  /** Context markers at a line (no model call). */
  markersAt(req: MarkersQuery): Promise<MarkerChoice> {
    return markersAt(req);
  }
}
