// The treasure.* settings as the client resolves them: team marker defaults validated against the
// taxonomy (models/markers.json) and layered the way VS Code layers settings, with the source of
// each value kept; Workspace Trust restrictions. No dependency on VS Code (unit-tested under node).
import { isMarkerKey, markerOrder, validateMarker } from '../language-server/src/markers';
import { DEFAULT_SETTINGS, type Device, type TreasureSettings } from '../language-server/src/protocol';

export type MarkerValues = Record<string, string>;

/** Markers a team default cannot set: the command chooses the task, the document's language the code_type. */
export const NOT_SETTABLE: Record<string, string> = {
  task: 'the task is chosen by the command (quick fix, generate, ...)',
  code_type: "the code type follows the document's language",
};

export const DEVICES: readonly Device[] = ['auto', 'cpu', 'gpu'];

export const DEFAULTS: TreasureSettings = DEFAULT_SETTINGS;

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

/** The layers of one setting as VS Code's `inspect()` reports them (language values only for language-overridable settings). */
export interface Inspected<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
  defaultLanguageValue?: T;
  globalLanguageValue?: T;
  workspaceLanguageValue?: T;
  workspaceFolderLanguageValue?: T;
  languageIds?: string[];
}

type Layer = keyof Omit<Inspected<unknown>, 'languageIds'>;
/** Lowest precedence first, as VS Code applies them: every language-specific value beats every plain one. */
const LAYERS: Array<[Layer, string]> = [
  ['defaultValue', 'default settings'],
  ['globalValue', 'user settings'],
  ['workspaceValue', 'workspace settings'],
  ['workspaceFolderValue', 'folder settings'],
  ['defaultLanguageValue', 'default settings'],
  ['globalLanguageValue', 'user settings'],
  ['workspaceLanguageValue', 'workspace settings'],
  ['workspaceFolderLanguageValue', 'folder settings'],
];
const WORKSPACE_LAYERS = new Set<Layer>(['workspaceValue', 'workspaceFolderValue', 'workspaceLanguageValue', 'workspaceFolderLanguageValue']);

function layerName(layer: Layer, label: string, languageId: string | undefined): string {
  return layer.endsWith('LanguageValue') && languageId ? `${label} ([${languageId}])` : label;
}

export interface ResolvedMarkers {
  markers: MarkerValues;
  /** For each marker: the settings layer it came from, e.g. `workspace settings ([python])`. */
  sources: Record<string, string>;
  problems: SettingProblem[];
}

/**
 * Merge the treasure.markers layers key by key (a higher layer overrides single markers, not the whole
 * object). In a single-folder window VS Code reports .vscode/settings.json as both the workspace and the
 * folder layer: then it is one layer, "workspace settings".
 */
export function resolveMarkers(inspected: Inspected<unknown> | undefined, languageId?: string, multiRoot = false): ResolvedMarkers {
  const out: ResolvedMarkers = { markers: {}, sources: {}, problems: [] };
  if (!inspected) return out;
  for (const [layer, label] of LAYERS) {
    if (!multiRoot && (layer === 'workspaceFolderValue' || layer === 'workspaceFolderLanguageValue')) continue;
    const value = inspected[layer];
    if (value === undefined) continue;
    const where = layerName(layer, label, languageId);
    const { markers, problems } = validateMarkers(value, where);
    out.problems.push(...problems);
    for (const [k, v] of Object.entries(markers)) {
      out.markers[k] = v;
      out.sources[k] = where;
    }
  }
  return out;
}

/**
 * The value of a setting that an untrusted workspace must not change (model path, device):
 * with trust, the usual effective value; without it, only default and user settings count.
 */
export function restrictedValue<T>(inspected: Inspected<T> | undefined, trusted: boolean, fallback: T, multiRoot = false): { value: T; ignored?: string } {
  if (!inspected) return { value: fallback };
  let value: T = fallback;
  let ignored: string | undefined;
  for (const [layer, label] of LAYERS) {
    if (!multiRoot && (layer === 'workspaceFolderValue' || layer === 'workspaceFolderLanguageValue')) continue;
    const v = inspected[layer];
    if (v === undefined) continue;
    if (!trusted && WORKSPACE_LAYERS.has(layer)) {
      ignored = label;
      continue;
    }
    value = v;
  }
  return ignored ? { value, ignored } : { value };
}

/** Check the scalar settings; invalid values fall back to the default and are reported. */
export function checkScalars(raw: {
  device: unknown;
  maxFixTokens: unknown;
  modelPath: unknown;
}): { device: Device; maxFixTokens: number; modelPath: string; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  let device = DEFAULTS.device;
  if (raw.device !== undefined) {
    if (DEVICES.includes(raw.device as Device)) device = raw.device as Device;
    else problems.push({ setting: 'treasure.device', where: 'settings', message: `invalid value ${JSON.stringify(raw.device)} (allowed: ${DEVICES.join(', ')})` });
  }
  let maxFixTokens = DEFAULTS.maxFixTokens;
  if (raw.maxFixTokens !== undefined) {
    const n = raw.maxFixTokens;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 16 && n <= 4096) maxFixTokens = n;
    else problems.push({ setting: 'treasure.maxFixTokens', where: 'settings', message: `invalid value ${JSON.stringify(n)} (an integer from 16 to 4096)` });
  }
  let modelPath = DEFAULTS.model.path;
  if (raw.modelPath !== undefined && raw.modelPath !== null) {
    if (typeof raw.modelPath === 'string') modelPath = raw.modelPath.trim();
    else problems.push({ setting: 'treasure.model.path', where: 'settings', message: `expected a folder path, got ${JSON.stringify(raw.modelPath)}` });
  }
  return { device, maxFixTokens, modelPath, problems };
}

/** treasure.verify.command: a string (trimmed); anything else is reported and ignored. */
export function verifyCommandOf(raw: unknown, problems: SettingProblem[]): string {
  if (raw === undefined || raw === null) return DEFAULTS.verify.command;
  if (typeof raw === 'string') return raw.trim();
  problems.push({ setting: 'treasure.verify.command', where: 'settings', message: `expected a shell command, got ${JSON.stringify(raw)}` });
  return DEFAULTS.verify.command;
}

/** Settings Restricted Mode takes from user settings only (package.json's restrictedConfigurations). */
export const RESTRICTED_SETTINGS = ['treasure.model.path', 'treasure.device', 'treasure.verify.command'] as const;

/** Settings whose change needs a new server process (the model is loaded once, at start). */
export const RESTART_SETTINGS = ['treasure.model.path', 'treasure.device'] as const;
