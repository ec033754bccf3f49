// The treasure.* settings, one module for the client and the server: their types and defaults, the
// validation of every value (markers against models/markers.json, the device, the token limit, the
// model folder: the same rules on both sides), how the server reads a raw section (resolveSettings),
// and the one Workspace Trust rule. Import-safe from extension/ (markers.ts reads only the taxonomy).
import { isMarkerKey, markerOrder, validateMarker } from './markers';
import { DEFAULT_MIN_CONFIDENCE, validMinConfidence, type MinConfidence } from './repair/confidence';
import type { SemanticLimits } from './repair/semantic';

export type Device = 'auto' | 'cpu' | 'gpu';
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'gpu'];
/** A fix the tests pass but do not decide (other edits pass too and behave differently): offered titled "not proven", or withheld. */
export type Undecided = 'offer' | 'withhold';
export const UNDECIDED: readonly Undecided[] = ['offer', 'withhold'];
/** treasure.verify.undecided as the test search's limit (repair/semantic.ts): 'withhold' abstains where the tests do not decide. */
export const undecidedLimits = (undecided: Undecided): Pick<SemanticLimits, 'ambiguous'> => ({ ambiguous: undecided === 'withhold' ? 'abstain' : 'best' });

/** The `treasure.*` settings (package.json contributes them; resolved per document). */
export interface TreasureSettings {
  /** Turns Treasure's code actions off for a document (language-specific sections allowed). */
  enable: boolean;
  /** Team default markers (category -> value), e.g. { "domain": "Web", "length_bucket": "concise" }. */
  markers: Record<string, string>;
  model: {
    /** Folder with model.onnx, tokenizer.json, config.json; empty = the shipped models/treasure. */
    path: string;
  };
  device: Device;
  /** Token limit for one fix (the completion: marker list + answer). */
  maxFixTokens: number;
  /** Publish tree-sitter syntax errors as diagnostics (for languages with no other checker). */
  syntaxDiagnostics: boolean;
  verify: {
    /**
     * A shell command that proves a fix by exiting 0, run in a scratch copy of the workspace with the
     * fix applied; `${file}`, `${function}`, `${workspaceFolder}` (and `${relativeFile}`,
     * `${fileBasename}`, `${fileDirname}`) are filled in, shell-quoted. Empty: the workspace's own test
     * runner. Used only in a trusted workspace (the trust rule below drops it otherwise).
     */
    command: string;
    /**
     * A shell command that builds what `command` runs (e.g. `javac -d out *.java`), run in the copy before
     * it. When set, a search builds many candidates into one program once and runs `command` per
     * candidate (TREASURE_VARIANT picks one); every fix shown is still built and verified alone. Empty:
     * `command` builds and runs. Trusted workspaces only, like `command`.
     */
    build: string;
    /**
     * A fix that passes the tests while other edits pass them too and behave differently beyond them
     * (repair/rivals.ts): 'offer' shows it titled "passes the tests, not proven", never preferred;
     * 'withhold' shows none and says which input tells the fixes apart (the tests do not decide).
     */
    undecided: Undecided;
  };
  unverified: {
    /**
     * The least confidence (0-1) of a function's fix that no test proved for it to be offered (titled
     * "unverified", never the preferred fix); 'never': no such fix is offered. The default is calibrated
     * on HumanEvalFix without tests (results/eval/2026-12-07-s17-calibration.md).
     */
    minConfidence: MinConfidence;
  };
}

export const DEFAULT_SETTINGS: TreasureSettings = {
  enable: true,
  markers: {},
  model: { path: '' },
  device: 'auto',
  maxFixTokens: 768,
  syntaxDiagnostics: false,
  verify: { command: '', build: '', undecided: 'offer' },
  unverified: { minConfidence: DEFAULT_MIN_CONFIDENCE },
};

export const SETTINGS_SECTION = 'treasure';

// ---- the trust rule ---------------------------------------------------------------------------

/**
 * Settings an untrusted workspace must not choose (Workspace Trust): which model runs and on which
 * device, and the command that runs the tests. The client reads them from the user's own settings only
 * (extension/settings.ts restrictedValue); the server takes the model and the device from
 * initializationOptions only and, untrusted, runs no command at all (applyTrust).
 */
export const TRUST_RESTRICTED = ['device', 'model.path', 'verify.command', 'verify.build'] as const;

/** The one trust rule: in an untrusted workspace the model and device keep the values of `safe`, and no test command runs. */
export function applyTrust(s: TreasureSettings, trusted: boolean, safe: TreasureSettings): TreasureSettings {
  if (trusted) return s;
  return { ...s, model: { ...safe.model }, device: safe.device, verify: { ...s.verify, command: '', build: '' } };
}

// ---- validation ---------------------------------------------------------------------------------

export type MarkerValues = Record<string, string>;

/** Markers a team default cannot set: the command chooses the task, the document's language the code_type. */
export const NOT_SETTABLE: Record<string, string> = {
  task: 'the task is chosen by the command (quick fix, generate, ...)',
  code_type: "the code type follows the document's language",
};

export interface SettingProblem {
  /** The setting, e.g. `treasure.markers`. */
  setting: string;
  /** Where it was set, e.g. `workspace settings ([python])`. */
  where: string;
  message: string;
}

export function describeProblem(p: SettingProblem): string {
  return `${p.setting} in ${p.where}: ${p.message}`;
}

/** Check one value for one marker; returns the canonical text value or an error message. */
export function checkMarker(key: string, value: unknown): { value: string } | { error: string } {
  if (!isMarkerKey(key)) {
    return { error: `unknown marker "${key}" (known: ${markerOrder().filter((k) => !(k in NOT_SETTABLE)).join(', ')})` };
  }
  if (key in NOT_SETTABLE) return { error: `marker "${key}" cannot be a default: ${NOT_SETTABLE[key]}` };
  try {
    return { value: validateMarker(key, value) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Validate one treasure.markers object: valid entries are kept, every other entry is reported and ignored. */
export function validateMarkers(raw: unknown, where: string): { markers: MarkerValues; problems: SettingProblem[] } {
  const markers: MarkerValues = {};
  const problems: SettingProblem[] = [];
  if (raw === undefined || raw === null) return { markers, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ setting: 'treasure.markers', where, message: `expected an object of marker -> value, got ${JSON.stringify(raw)}` });
    return { markers, problems };
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const r = checkMarker(key, value);
    if ('value' in r) markers[key] = r.value;
    else problems.push({ setting: 'treasure.markers', where, message: r.error });
  }
  return { markers, problems };
}

/** The scalar settings' rules: a value, or why it is not one. */
const SCALARS = {
  device: (v: unknown): { value: Device } | { error: string } =>
    DEVICES.includes(v as Device) ? { value: v as Device } : { error: `invalid value ${JSON.stringify(v)} (allowed: ${DEVICES.join(', ')})` },
  maxFixTokens: (v: unknown): { value: number } | { error: string } =>
    typeof v === 'number' && Number.isInteger(v) && v >= 16 && v <= 4096 ? { value: v } : { error: `invalid value ${JSON.stringify(v)} (an integer from 16 to 4096)` },
  modelPath: (v: unknown): { value: string } | { error: string } =>
    typeof v === 'string' ? { value: v.trim() } : { error: `expected a folder path, got ${JSON.stringify(v)}` },
  verifyCommand: (v: unknown): { value: string } | { error: string } =>
    typeof v === 'string' ? { value: v.trim() } : { error: `expected a shell command, got ${JSON.stringify(v)}` },
  undecided: (v: unknown): { value: Undecided } | { error: string } =>
    UNDECIDED.includes(v as Undecided) ? { value: v as Undecided } : { error: `invalid value ${JSON.stringify(v)} (allowed: ${UNDECIDED.join(', ')})` },
  minConfidence: (v: unknown): { value: MinConfidence } | { error: string } =>
    validMinConfidence(v) ? { value: v } : { error: `invalid value ${JSON.stringify(v)} (a number from 0 to 1, or "never")` },
};

/** A scalar setting read through its SCALARS rule: the default when unset; an invalid value is reported and ignored. */
function scalarOf<T>(rule: (v: unknown) => { value: T } | { error: string }, setting: string, raw: unknown, fallback: T, problems: SettingProblem[]): T {
  if (raw === undefined || raw === null) return fallback;
  const r = rule(raw);
  if ('value' in r) return r.value;
  problems.push({ setting, where: 'settings', message: r.error });
  return fallback;
}

/** treasure.verify.command: a string (trimmed); anything else is reported and ignored. */
export function verifyCommandOf(raw: unknown, problems: SettingProblem[]): string {
  return scalarOf(SCALARS.verifyCommand, 'treasure.verify.command', raw, DEFAULT_SETTINGS.verify.command, problems);
}

/** treasure.verify.build: a string (trimmed); anything else is reported and ignored. */
export function verifyBuildOf(raw: unknown, problems: SettingProblem[]): string {
  return scalarOf(SCALARS.verifyCommand, 'treasure.verify.build', raw, DEFAULT_SETTINGS.verify.build, problems);
}

/** treasure.verify.undecided: 'offer' or 'withhold'; anything else is reported and ignored. */
export function undecidedOf(raw: unknown, problems: SettingProblem[]): Undecided {
  return scalarOf(SCALARS.undecided, 'treasure.verify.undecided', raw, DEFAULT_SETTINGS.verify.undecided, problems);
}

/** treasure.unverified.minConfidence: a number from 0 to 1 or "never"; anything else is reported and ignored. */
export function minConfidenceOf(raw: unknown, problems: SettingProblem[]): MinConfidence {
  return scalarOf(SCALARS.minConfidence, 'treasure.unverified.minConfidence', raw, DEFAULT_SETTINGS.unverified.minConfidence, problems);
}

/** Check the scalar settings; invalid values fall back to the default and are reported. */
export function checkScalars(raw: { device: unknown; maxFixTokens: unknown; modelPath: unknown }): { device: Device; maxFixTokens: number; modelPath: string; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const take = <T>(setting: string, v: unknown, check: (v: unknown) => { value: T } | { error: string }, fallback: T): T => {
    if (v === undefined || (setting === 'treasure.model.path' && v === null)) return fallback;
    const r = check(v);
    if ('value' in r) return r.value;
    problems.push({ setting, where: 'settings', message: r.error });
    return fallback;
  };
  const device = take('treasure.device', raw.device, SCALARS.device, DEFAULT_SETTINGS.device);
  const maxFixTokens = take('treasure.maxFixTokens', raw.maxFixTokens, SCALARS.maxFixTokens, DEFAULT_SETTINGS.maxFixTokens);
  const modelPath = take('treasure.model.path', raw.modelPath, SCALARS.modelPath, DEFAULT_SETTINGS.model.path);
  return { device, maxFixTokens, modelPath, problems };
}

// ---- the server's reading of a raw section ----------------------------------------------------------

/**
 * Merges the `treasure` section with a language-specific section (`[python]` from
 * workspace/configuration; its keys look like "treasure.markers" or nest as { treasure: {...} }).
 * Values that break a rule are left at what the layers below gave (the markers are checked where they
 * are used: lsp/settings.ts logs what it ignores).
 */
export function resolveSettings(base: unknown, languageSection?: unknown): TreasureSettings {
  const out: TreasureSettings = structuredClone(DEFAULT_SETTINGS);
  apply(out, base);
  if (languageSection && typeof languageSection === 'object') {
    const lang = languageSection as Record<string, unknown>;
    const nested = lang[SETTINGS_SECTION];
    if (nested && typeof nested === 'object') apply(out, nested);
    const flat: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(lang)) {
      if (k.startsWith(SETTINGS_SECTION + '.')) setPath(flat, k.slice(SETTINGS_SECTION.length + 1).split('.'), v);
    }
    apply(out, flat);
  }
  return out;
}

function setPath(obj: Record<string, unknown>, path: string[], v: unknown): void {
  let o = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (!o[k] || typeof o[k] !== 'object') o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[path[path.length - 1]!] = v;
}

function apply(out: TreasureSettings, raw: unknown): void {
  if (!raw || typeof raw !== 'object') return;
  const r = raw as Record<string, unknown>;
  if (typeof r.enable === 'boolean') out.enable = r.enable;
  if (r.markers && typeof r.markers === 'object') {
    // A language-specific section adds to (and overrides) the general markers.
    out.markers = { ...out.markers };
    for (const [k, v] of Object.entries(r.markers as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number') out.markers[k] = String(v);
    }
  }
  const model = r.model as Record<string, unknown> | undefined;
  if (model && typeof model === 'object' && typeof model.path === 'string') out.model = { path: model.path };
  if (typeof r['model.path'] === 'string') out.model = { path: r['model.path'] as string };
  const device = SCALARS.device(r.device);
  if ('value' in device) out.device = device.value;
  const tokens = SCALARS.maxFixTokens(r.maxFixTokens);
  if ('value' in tokens) out.maxFixTokens = tokens.value;
  if (typeof r.syntaxDiagnostics === 'boolean') out.syntaxDiagnostics = r.syntaxDiagnostics;
  // nested ({ verify: { command } }) first, then the flat key, as VS Code sends either; each value that
  // passes its rule wins over the one before
  const each = <T>(section: string, key: string, rule: (v: unknown) => { value: T } | { error: string }, take: (v: T) => void) => {
    for (const v of [(r[section] as Record<string, unknown> | null | undefined)?.[key], r[`${section}.${key}`]]) {
      const c = rule(v);
      if ('value' in c) take(c.value);
    }
  };
  each('verify', 'command', SCALARS.verifyCommand, (command) => (out.verify = { ...out.verify, command }));
  each('verify', 'build', SCALARS.verifyCommand, (build) => (out.verify = { ...out.verify, build }));
  each('verify', 'undecided', SCALARS.undecided, (undecided) => (out.verify = { ...out.verify, undecided }));
  each('unverified', 'minConfidence', SCALARS.minConfidence, (minConfidence) => (out.unverified = { minConfidence }));
}
