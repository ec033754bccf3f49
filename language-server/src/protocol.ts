// The one typed protocol module shared by the language server and the VS Code client (as rust-analyzer's
// editors/code/src/lsp_ext.ts): every custom message is a typed object (its method, and its params and
// result as types), so that a call site's types come from the message, and each result type is declared
// once. Plain objects, not vscode-jsonrpc's RequestType: the server and the client link two versions of
// vscode-jsonrpc whose classes do not mix; each side registers or sends a message by its method
// (lsp/io.ts onRequest, extension/ctx.ts request). Import-safe from extension/: no runtime dependency,
// so bundling the client does not pull the model runtime or tree-sitter.

/** A custom request: its method, and (as types only) its params and result. */
export interface Request<P, R> { readonly method: string; readonly direction: 'client->server'; readonly types?: { params: P; result: R } }
/** A custom notification: its method, and (as a type only) its params. */
export interface Notification<P> { readonly method: string; readonly direction: 'server->client'; readonly types?: { params: P } }
const request = <P, R>(method: string): Request<P, R> => ({ method, direction: 'client->server' });
const notification = <P>(method: string): Notification<P> => ({ method, direction: 'server->client' });

// Marker keys and values typed from models/markers.json (markers.ts; a type-only import: nothing is loaded).
import type { MarkerKey, MarkerSource, MarkerValue, TypedMarkers } from './markers';
export type { MarkerKey, MarkerValue, TypedMarkers };

/** Where a marker's value came from, strongest first. */
export type MarkerSourceName = MarkerSource;
// The settings (types, defaults, validation, the trust rule) are settings.ts's; the device setting is
// named in the status the protocol carries.
import type { Device } from './settings';
export type { Device };

/** Code action kinds. */
export const CodeActionKinds = {
  fix: 'quickfix.treasure',
  rewriteFunction: 'refactor.rewrite.treasure',
  /** Fix the code a failing test exercises (the action is offered in the test). */
  fixTest: 'quickfix.treasure.test',
} as const;

/** Markers with where each came from; `inferred` are the ones the model wrote itself. */
export interface MarkerReport {
  given: TypedMarkers;
  inferred: TypedMarkers;
}

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }
export interface TextEditLike { range: Range; newText: string }
export interface TextDocumentRef { uri: string }

// ---- custom requests (client -> server) -------------------------------------------------------

/** `treasure/markersAt`: the markers Treasure would give the model at a position (null: not a document it fixes). */
export const MarkersAtRequest = request<MarkersAtParams, MarkersAtResult | null>('treasure/markersAt');
export interface MarkersAtParams { textDocument: TextDocumentRef; position?: Position }
export interface MarkersAtResult {
  markers: TypedMarkers;
  sources: Partial<Record<MarkerKey, MarkerSourceName>>;
  /** The region a fix at this position would rewrite, if any. */
  region?: Range;
}

/** `treasure/generate`: continue code (CodeGeneration) with optional markers (null: it failed; the server's log says why). */
export const GenerateRequest = request<GenerateParams, GenerateResult | null>('treasure/generate');
export interface GenerateParams {
  /** Document whose settings/markers apply (optional). */
  textDocument?: TextDocumentRef;
  languageId: string;
  prompt: string;
  markers?: Record<string, string>;
  maxTokens?: number;
}
export interface GenerateResult {
  text: string;
  markers: MarkerReport;
  latencyMs: number;
  /** Lines of the model's output left out because they added a syntax error (the text is what parses). */
  droppedLines?: number;
  /** The line limit the model's answer ran past: the answer was cut there (the length guard). */
  cutAtLines?: number;
  /** Lines at the start of the prompt the model did not see (the prompt did not fit its context). */
  promptLinesLeftOut?: number;
}

/** `treasure/fixAll`: fixes for every syntax error/diagnostic target of a document (one fix per region). */
export const FixAllRequest = request<FixAllParams, FixAllResult | null>('treasure/fixAll');
export interface FixAllParams { textDocument: TextDocumentRef; markers?: Record<string, string> }
export interface FixAllResult {
  uri: string;
  version: number;
  edits: TextEditLike[];
  fixes: { region: Range; markers: MarkerReport; latencyMs: number }[];
}

/** `treasure/status` (client -> server): is the model loaded, where from, on what device; which languages parse. */
export const StatusRequest = request<void, StatusResult>('treasure/status');
/** `treasure/status` (server -> client): the same answer, sent when the model loads or fails to. */
export const StatusNotification = notification<StatusResult>('treasure/status');
export interface StatusResult {
  modelDir: string;
  modelLoaded: boolean;
  device: string | null;
  /** Which execution provider runs the model and why (the providers tried, a fallback's reason). */
  deviceInfo?: DeviceStatus | null;
  error: string | null;
  languages: string[];
}

/** One execution provider tried for the model (language-server/src/device.ts). */
export interface ProviderTry {
  /** onnxruntime-node's name: 'cuda', 'webgpu', 'dml', 'coreml', 'cpu' */
  provider: string;
  ok: boolean;
  /** not tried at all (not in this build, libraries missing) */
  skipped?: boolean;
  /** session start time */
  ms?: number;
  reason: string;
}

/** The device choice: requested setting, chosen provider, why, and every try. */
export interface DeviceStatus {
  requested: Device;
  /** the provider in use ('cpu', 'webgpu', ...), 'none' when none works */
  provider: string;
  gpu: boolean;
  /** 'auto' fell back to the CPU (reason says why) */
  fallback: boolean;
  /** the GPU behind the provider, when known ("NVIDIA (Vulkan, driver 550.54)") */
  adapter?: string;
  reason: string;
  tried: ProviderTry[];
  /** where the heavy ops run (GPU providers): "MatMulNBits 14/14 on WebGpuExecutionProvider; ..." */
  placement?: string;
}

/** The `data` of an unresolved Treasure code action (codeAction/resolve). */
export interface CodeActionData {
  treasure: 1;
  uri: string;
  version: number;
  /** The server's revision of the document the action was offered for (a reopen or a change gives a new one). */
  rev: string;
  kind: 'fix' | 'rewriteFunction' | 'fixTest';
  line: number;
  /** fixTest: the test's name at `line`. */
  test?: string;
  diagnostic?: { message: string; source?: string; code?: string | number; range: Range };
  /** Whether the target is a tree-sitter syntax error (ERROR/MISSING node). */
  syntax?: boolean;
  /** A syntax error's column (0-based): with `line`, which of the analysis's errors the action is for. */
  column?: number;
}
