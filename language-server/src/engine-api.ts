// The Engine API's types (docs/CONTRACTS.md), shared by the language server, the CLI, the model's thread
// and the eval harness, and the calls that need no model: languages, marker layers, markers at a line.
import { join } from 'node:path';
import { analyze, chooseTarget, contextMarkers, type Analysis, type DiagnosticLike, type FixTarget, type LineRegion, type MarkerLayers } from './context';
import { resolveLanguage, type LanguageInfo } from './grammars';
import { mergeMarkers, sanitizeMarkers, strictMarkers, type MarkerKey, type Markers, type MarkerSource } from './markers';
import { repoRoot } from './paths';
import type { Device, GenerateResult, MarkerReport } from './protocol';

// The result types the wire carries are declared once, in protocol.ts.
export type { GenerateResult, MarkerReport };
import type { MinConfidence } from './repair/confidence';
import type { ScreenSummary, SemanticLimits } from './repair/semantic';
import type { TextEdit } from './repair/text';
import { ModelError, type LogitsSource } from './runtime';
import type { TreasureTokenizer } from './tokenizer';

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
  verify?: { root: string; trusted: boolean; command?: string; /** Builds what `command` runs (treasure.verify.build). */ build?: string; testFiles?: string[]; rank?: 'model' | 'prior'; limits?: Partial<SemanticLimits> };
  /**
   * The least confidence (0-1, repair/confidence.ts) at which a function's fix that nothing proved is
   * offered; below it: no fix, and the reason says so. Default DEFAULT_MIN_CONFIDENCE (calibrated); 0 offers
   * every guess, 'never' none.
   */
  minConfidence?: MinConfidence;
  signal?: AbortSignal;
}

/** The options of a fix that do not say what to fix (FixRequest's, FixAtRequest's). */
export type FixOptions = Pick<FixRequest, 'mode' | 'contextMarkers' | 'maxTokens' | 'markersOnly' | 'verify' | 'minConfidence' | 'signal'>;

/**
 * A fix of a target the caller chose in a document it analysed (Engine.fixAt). All of it is plain data
 * (the language server sends it to the model's thread): the analysis, the target, the marker layers.
 */
export interface FixAtRequest extends FixOptions {
  analysis: Analysis;
  /** What to fix; null: nothing was found at `line` (a syntax error the parser finds may still be fixed). */
  target: FixTarget | null;
  /** The line the fix was asked for (for the reason when there is no target). */
  line?: number;
  /** Validated layers (markerLayers): explicit and the settings' team defaults; context markers are added here. */
  markers?: MarkerLayers;
  /** When the request's clock started (performance.now() of this thread; default: now): latencyMs counts from it. */
  since?: number;
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
  /** An unverified function fix: the model's confidence in it (0-1, repair/confidence.ts), never a proof. */
  confidence?: number;
  /** A test proof in numbers (repair/semantic.ts SemanticFix.tests). */
  tests?: { passed: number; total: number; fixed: string[] };
  /** Passed the tests, but other edits answer their calls alike and behave differently (repair/rivals.ts): not "proven" in titles. */
  contested?: number;
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
  /** The tested path: candidates that passed the tests, and in how many behaviours they split beyond them (1: they agree). */
  plausible?: number;
  behaviours?: number;
  /** The rival check (repair/rivals.ts): other edits that answer the tests' calls as the fix does, those that behave differently, the fix a rival replaced. */
  rivals?: number;
  contested?: number;
  replaced?: string;
  /** The replaced fix's document (studies judge it). */
  replacedFixed?: string;
  rivalsMs?: number;
  /** Why the rival check compared nothing (no other candidate, the mutants do not build...). */
  rivalsNote?: string;
  /** Compiled languages: the candidates built into one program and run against the failing tests before any proof (tests/screen.ts). */
  screen?: ScreenSummary;
  /** The model's raw completion, for logs. */
  completion?: string;
  markers?: MarkerReport;
  /** An unverified guess held back by the confidence threshold: its confidence (the reason says so). */
  confidence?: number;
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


/** Where markers are asked for (the CLI's `markers`): a text, a line, the layers a caller gives. */
export interface MarkersQuery {
  text: string;
  languageId: string;
  line?: number;
  path?: string;
  /** Team defaults (settings) and explicit markers. */
  settings?: Record<string, string>;
  markers?: Record<string, string>;
  diagnostics?: DiagnosticLike[];
}

/** The markers a fix there would give the model, where each came from, and the target's region (engine lines). */
export interface MarkerChoice {
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

export function markersOrThrow(obj: Record<string, string> | undefined): Markers {
  try {
    return strictMarkers(obj);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

/** The marker layers of a request, validated: explicit ones must be known (InputError), settings ones are filtered. */
export function markerLayers(explicit: Record<string, string> | undefined, settings: Record<string, string> | undefined): Required<MarkerLayers> {
  return { explicit: markersOrThrow(explicit), settings: sanitizeMarkers(settings).markers };
}

/** The markers a fix of `target` would give the model, with where each came from, and its region (no model call). */
export function markersFor(a: Analysis, target: FixTarget | null, layers: MarkerLayers): MarkerChoice {
  const merged = mergeMarkers({ explicit: layers.explicit ?? {}, settings: layers.settings ?? {}, context: contextMarkers(a, target, 'CodeFix') });
  return { ...merged, region: target?.region, target: target?.kind };
}

/** Context markers for a position, without the model (the CLI's `markers`): analyses the text, then markersFor. */
export async function markersAt(req: MarkersQuery): Promise<MarkerChoice> {
  const lang = languageOrThrow(req.languageId);
  const layers = markerLayers(req.markers, req.settings);
  const a = await analyze(req.text, lang, req.path);
  if (req.line !== undefined && (req.line < 0 || req.line >= a.lines.length)) {
    throw new InputError(`line ${req.line + 1} is out of range (the file has ${a.lines.length} lines)`);
  }
  return markersFor(a, chooseTarget(a, { line: req.line, diagnostics: req.diagnostics }), layers);
}
