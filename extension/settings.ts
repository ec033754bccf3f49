// The treasure.* settings as the client resolves them: team marker defaults validated against the
// taxonomy (models/markers.json) and layered the way VS Code layers settings, with the source of
// each value kept; Workspace Trust restrictions. No dependency on VS Code (unit-tested under node).
// The types, defaults, the validation of every value and the trust rule are the shared settings module's
// (language-server/src/settings.ts); what is here reads VS Code's layers.
import { DEFAULT_SETTINGS, validateMarkers, type MarkerValues, type SettingProblem, type TreasureSettings } from '../language-server/src/settings';

export { DEVICES, NOT_SETTABLE, checkMarker, checkScalars, describeProblem, validateMarkers, verifyCommandOf, verifyBuildOf, undecidedOf, minConfidenceOf, type MarkerValues, type SettingProblem } from '../language-server/src/settings';

export const DEFAULTS: TreasureSettings = DEFAULT_SETTINGS;

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

/** Settings whose change needs a new server process (the model is loaded once, at start). */
export const RESTART_SETTINGS = ['treasure.model.path', 'treasure.device'] as const;
