// The marker taxonomy (models/markers.json, the single source of truth): types, validation,
// serialization identical to models/train/markers.py, parsing, and merging with precedence.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MarkerValueTypes } from './marker-values';
import { repoRoot } from './paths';

/** The shape of models/markers.json (category names are literal keys). */
export type Taxonomy = typeof import('../../models/markers.json');
export type MarkerKey = keyof Taxonomy['categories'];
/** A marker's values, typed from models/markers.json (marker-values.ts is generated from it). */
export type MarkerValue<K extends MarkerKey> = MarkerValueTypes[K];
/** Marker values are strings as they appear in the marker list (integers in decimal). */
export type Markers = Partial<Record<MarkerKey, string>>;
/** Markers whose values are known to be the taxonomy's own: what the protocol's results carry. */
export type TypedMarkers = { [K in MarkerKey]?: MarkerValue<K> };

/**
 * The engine's markers as the protocol types them. Every value the engine gives or reports is the
 * taxonomy's: explicit ones are validated, settings ones sanitized, context ones come from its tables
 * (grammars/), the model's are decoded under its constraints (decode-markers.ts).
 */
export function typedMarkers(m: Markers): TypedMarkers {
  return m as TypedMarkers;
}
/** Where a marker's value came from, strongest first. */
export type MarkerSource = 'explicit' | 'settings' | 'context' | 'model';
export const SOURCE_PRECEDENCE: readonly MarkerSource[] = ['explicit', 'settings', 'context', 'model'];

export interface Category {
  kind: 'enum' | 'integer';
  description: string;
  values?: string[];
  min?: number;
  max?: number;
  bounds?: Record<string, [number, number]>;
  languageIds?: Record<string, string>;
}

let cached: Taxonomy | undefined;

export function taxonomy(): Taxonomy {
  if (!cached) cached = JSON.parse(readFileSync(join(repoRoot(), 'models', 'markers.json'), 'utf8')) as Taxonomy;
  return cached;
}

export function markerOrder(): MarkerKey[] {
  return taxonomy().order as MarkerKey[];
}

export function category(key: MarkerKey): Category {
  return (taxonomy().categories as unknown as Record<string, Category>)[key]!;
}

export function isMarkerKey(key: string): key is MarkerKey {
  return Object.prototype.hasOwnProperty.call(taxonomy().categories, key);
}

export class MarkerError extends Error {}

/** Checks one marker; returns the canonical value (enum spelling, decimal integer) or throws MarkerError. */
export function validateMarker(key: string, value: unknown): string {
  if (!isMarkerKey(key)) {
    throw new MarkerError(`unknown marker "${key}" (known: ${markerOrder().join(', ')})`);
  }
  const cat = category(key);
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || text === '') throw new MarkerError(`marker ${key}: a value is required`);
  if (cat.kind === 'integer') {
    if (!/^\d+$/.test(text)) throw new MarkerError(`marker ${key}: "${text}" is not a whole number`);
    const n = Number(text);
    if (n < (cat.min ?? 0) || n > (cat.max ?? Number.MAX_SAFE_INTEGER)) {
      throw new MarkerError(`marker ${key}: ${n} is out of range ${cat.min}..${cat.max}`);
    }
    return String(n);
  }
  const values = cat.values ?? [];
  if (values.includes(text)) return text;
  const folded = values.find((v) => v.toLowerCase() === text.toLowerCase());
  if (folded) return folded;
  throw new MarkerError(`marker ${key}: unknown value "${text}" (allowed: ${values.join(', ')})`);
}

/** A request's whole object of markers, validated (settings.ts validateMarkers is the settings' rule). Throws MarkerError on the first bad one. */
export function strictMarkers(obj: Record<string, unknown> | undefined | null): Markers {
  const out: Markers = {};
  if (!obj) return out;
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === '') continue;
    out[k as MarkerKey] = validateMarker(k, v);
  }
  return out;
}

/** Like strictMarkers, but keeps the good ones and reports the bad ones. */
export function sanitizeMarkers(obj: Record<string, unknown> | undefined | null): { markers: Markers; errors: string[] } {
  const markers: Markers = {};
  const errors: string[] = [];
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (v === undefined || v === null || v === '') continue;
    try {
      markers[k as MarkerKey] = validateMarker(k, v);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return { markers, errors };
}

/** Parses CLI-style `key=value` pairs. */
export function parseMarkerArgs(pairs: readonly string[]): Markers {
  const raw: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new MarkerError(`--marker expects key=value, got "${p}"`);
    raw[p.slice(0, eq).trim()] = p.slice(eq + 1);
  }
  return strictMarkers(raw);
}

/** `<MARKER_LIST> <task> CodeFix </task> ... </MARKER_LIST>`: exactly models/train/markers.py serialize(). */
export function serialize(markers: Markers): string {
  const t = taxonomy();
  const sep = t.serialization.separator;
  const parts: string[] = [t.serialization.open];
  for (const key of markerOrder()) {
    const v = markers[key];
    if (v === undefined || v === null) continue;
    parts.push(`<${key}>`, String(v), `</${key}>`);
  }
  parts.push(t.serialization.close);
  return parts.join(sep);
}

/**
 * Reads the markers out of a (possibly partial or model-written) marker list. Unknown categories and
 * values outside the taxonomy are dropped; `errors` says which.
 */
export function parseMarkerList(text: string): { markers: Markers; errors: string[] } {
  const markers: Markers = {};
  const errors: string[] = [];
  const re = /<([a-z_]+)>([\s\S]*?)<\/\1>/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const key = m[1]!;
    try {
      markers[key as MarkerKey] = validateMarker(key, m[2]!);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return { markers, errors };
}

/** The length_bucket that holds an answer of `lines` lines. */
export function lengthBucket(lines: number): string {
  const bounds = category('length_bucket').bounds ?? {};
  for (const [name, [lo, hi]] of Object.entries(bounds)) if (lines >= lo && lines <= hi) return name;
  return lines < 1 ? 'concise' : 'long';
}

/**
 * The most lines a generation with these markers may have: length_lines itself, else the upper bound
 * of length_bucket (none for the open-ended bucket): what the engine's length guard holds a generation to.
 */
export function lineLimit(markers: Partial<Record<string, string>>): number | undefined {
  const n = Number(markers.length_lines);
  if (markers.length_lines !== undefined && Number.isInteger(n) && n > 0) return n;
  const b = markers.length_bucket ? category('length_bucket').bounds?.[markers.length_bucket] : undefined;
  return b && b[1] < 100000 ? b[1] : undefined;
}

/** The code_type for a VS Code language id (or a code_type itself), or undefined. */
export function codeTypeFor(languageId: string): string | undefined {
  const cat = category('code_type');
  // own keys only: `constructor` or `__proto__` from a client is not a language
  const ids = cat.languageIds ?? {};
  const id = Object.prototype.hasOwnProperty.call(ids, languageId) ? ids[languageId] : undefined;
  if (typeof id === 'string') return id;
  return cat.values?.includes(languageId) ? languageId : undefined;
}

export interface MergedMarkers {
  markers: Markers;
  sources: Partial<Record<MarkerKey, MarkerSource>>;
}

/** Merges layers: a marker from a stronger source (explicit > settings > context > model) wins. */
export function mergeMarkers(layers: Partial<Record<MarkerSource, Markers>>): MergedMarkers {
  const markers: Markers = {};
  const sources: Partial<Record<MarkerKey, MarkerSource>> = {};
  for (const source of SOURCE_PRECEDENCE) {
    const layer = layers[source];
    if (!layer) continue;
    for (const key of markerOrder()) {
      const v = layer[key];
      if (v === undefined || markers[key] !== undefined) continue;
      markers[key] = v;
      sources[key] = source;
    }
  }
  return { markers, sources };
}

/** Markers in taxonomy order, as `[key, value]` pairs. */
export function orderedEntries(markers: Markers): [MarkerKey, string][] {
  const out: [MarkerKey, string][] = [];
  for (const key of markerOrder()) {
    const v = markers[key];
    if (v !== undefined) out.push([key, v]);
  }
  return out;
}
