// The one place where the harness meets the product's engine (language-server/src/engine.ts, the Engine
// API of docs/CONTRACTS.md). Everything else in eval talks to EvalEngine only.
//
// Marker modes of a request:
//   'context'  — as the editor does: the engine sets task, code_type, domain, length_bucket, … from the
//                document; explicit `markers` are added on top; the model infers the rest.
//   'none'     — no markers given (FixRequest/GenerateRequest `contextMarkers: false`): the model infers
//                all of them, except explicit `markers` passed along.
//   'baseline' — the no-marker baseline model (EngineOptions `markers: false`): no marker list in prompt
//                or completion.
// Every answer is checked against its mode: when markers the mode does not allow come back as given (or,
// for the baseline, any marker at all), the record says so (`markersHonored: false`) and the report
// flags the numbers as not measuring that mode.
import type { DiagnosticLike } from '../language-server/src/context';
import type { Engine, EngineOptions, FixOutcome, FixRequest, GenerateRequest } from '../language-server/src/engine';

export type MarkerMode = 'context' | 'none' | 'baseline';
export type MarkerMap = Record<string, string>;

export interface EvalFixRequest {
  text: string;
  languageId: string;
  /** 0-based line inside the function to fix */
  line: number;
  mode: MarkerMode;
  /** explicit markers (on top of the mode's) */
  markers?: MarkerMap;
  diagnostic?: string;
  maxTokens?: number;
  /** only the model's marker list (the markers suite): FixRequest.markersOnly */
  markersOnly?: boolean;
  /** FixRequest.minConfidence; absent: 0 here (every unverified guess, as before the threshold; the product's default is never) */
  minConfidence?: number | 'never';
}

export interface EvalFixResult {
  /** the whole fixed document, or null when the engine offers no fix */
  fixed: string | null;
  reason?: string;
  given: MarkerMap;
  inferred: MarkerMap;
  latencyMs: number;
  /** false when the engine gave markers the mode does not allow (see header) */
  markersHonored: boolean;
  /** the engine's confidence in an unverified function fix (offered, or held back by the threshold) */
  confidence?: number;
}

export interface EvalGenerateRequest {
  languageId: string;
  prompt: string;
  mode: MarkerMode;
  markers?: MarkerMap;
  maxTokens?: number;
  /** false: the engine's length guard off (the model alone); absent: the product's default (on) */
  lengthGuard?: false;
  /** only the model's marker list (the markers suite): GenerateRequest.markersOnly */
  markersOnly?: boolean;
}

export interface EvalGenerateResult {
  text: string; given: MarkerMap; inferred: MarkerMap; latencyMs: number; markersHonored: boolean;
  /** the model went past this line limit and the length guard cut its answer there */
  cutAtLines?: number;
}

export interface EvalEngine {
  /** 'engine' for the product's engine; test stand-ins say what they are */
  readonly kind: string;
  readonly modelDir: string;
  /** the execution provider the model runs on (e.g. cpu), where known */
  readonly device?: string;
  fix(req: EvalFixRequest): Promise<EvalFixResult>;
  generate(req: EvalGenerateRequest): Promise<EvalGenerateResult>;
  /** the markers the editor would send for a position (no model call) */
  markersAt(req: { text: string; languageId: string; line?: number }): Promise<MarkerMap>;
  /** tokens of a text under the model's tokenizer (length_tokens) */
  countTokens?(text: string): number;
  /** ends what the engine started (worker processes); the engine is not used afterwards */
  close?(): Promise<void>;
}

/** Given markers the mode allows: in 'none' only the explicit ones, in 'baseline' none at all. */
function honored(mode: MarkerMode, explicit: MarkerMap | undefined, given: MarkerMap, inferred: MarkerMap): boolean {
  if (mode === 'context') return true;
  if (mode === 'baseline') return Object.keys(given).length === 0 && Object.keys(inferred).length === 0;
  return Object.keys(given).every((k) => explicit?.[k] !== undefined);
}

function diagnosticAt(line: number, message: string): DiagnosticLike {
  return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, message, source: 'treasure-eval' };
}

/** Wraps an Engine instance (the real one, or one built on a stand-in model in tests). */
export function wrapEngine(engine: Engine, opts: { baseline?: boolean } = {}): EvalEngine {
  return {
    kind: opts.baseline ? 'engine (baseline)' : 'engine',
    modelDir: engine.modelDir,
    device: engine.device,
    async fix(req) {
      const mode: MarkerMode = opts.baseline ? 'baseline' : req.mode;
      const r: FixRequest = {
        text: req.text, languageId: req.languageId, line: req.line, mode: 'function',
        markers: mode === 'baseline' ? undefined : req.markers,
        diagnostics: req.diagnostic ? [diagnosticAt(req.line, req.diagnostic)] : undefined,
        maxTokens: req.maxTokens,
      };
      if (mode !== 'context') r.contextMarkers = false;
      if (req.markersOnly) r.markersOnly = true;
      // the harness measures the model's guesses (as before the threshold existed) unless a threshold is
      // asked for (--min-confidence): the product's default, never, offers no unverified fix at all
      r.minConfidence = req.minConfidence ?? 0;
      const o: FixOutcome = await engine.fixDetailed(r);
      const given = { ...(o.markers?.given ?? o.fix?.markers.given ?? {}) } as MarkerMap;
      const inferred = { ...(o.markers?.inferred ?? o.fix?.markers.inferred ?? {}) } as MarkerMap;
      return {
        fixed: o.fix ? o.fix.fixed : null, reason: o.fix ? undefined : o.reason,
        given, inferred, latencyMs: o.fix?.latencyMs ?? o.latencyMs,
        markersHonored: honored(mode, req.markers, given, inferred),
        ...((o.fix?.confidence ?? o.confidence) !== undefined ? { confidence: o.fix?.confidence ?? o.confidence } : {}),
      };
    },
    async generate(req) {
      const mode: MarkerMode = opts.baseline ? 'baseline' : req.mode;
      const r: GenerateRequest = {
        languageId: req.languageId, prompt: req.prompt, markers: mode === 'baseline' ? undefined : req.markers, maxTokens: req.maxTokens,
      };
      if (mode !== 'context') r.contextMarkers = false;
      if (req.lengthGuard === false) r.lengthGuard = false;
      if (req.markersOnly) r.markersOnly = true;
      const g = await engine.generate(r);
      const given = { ...g.markers.given } as MarkerMap;
      const inferred = { ...g.markers.inferred } as MarkerMap;
      return { text: g.text, given, inferred, latencyMs: g.latencyMs, markersHonored: honored(mode, req.markers, given, inferred), cutAtLines: g.cutAtLines };
    },
    async markersAt(req) {
      const m = await engine.markersAt({ text: req.text, languageId: req.languageId, line: req.line });
      return { ...m.markers } as MarkerMap;
    },
    countTokens(text) {
      return engine.tokenizer.encode(text).length;
    },
  };
}

/** Loads the product's engine on a model folder (default models/treasure). */
export async function loadEngine(opts: { modelDir?: string; device?: 'auto' | 'cpu' | 'gpu'; baseline?: boolean; branchTries?: number }): Promise<EvalEngine> {
  const mod = await import('../language-server/src/engine.js');
  const load: EngineOptions = { modelDir: opts.modelDir, device: opts.device ?? 'cpu' };
  if (opts.baseline) load.markers = false;
  if (opts.branchTries !== undefined) load.branchTries = opts.branchTries;
  const engine = await mod.Engine.load(load);
  return wrapEngine(engine, { baseline: opts.baseline });
}
