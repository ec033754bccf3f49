// Minimal reader of models/markers.json for the tasks build. The language server will own the
// shared reader (language-server/src/markers.ts); until then this file is the data build's view of
// the taxonomy. Nothing else in models/data/tasks hard-codes a category name's allowed values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Category {
  kind: 'enum' | 'integer';
  values?: string[];
  head?: string[];
  bounds?: Record<string, [number, number]>;
  min?: number;
  max?: number;
}

export interface Taxonomy {
  order: string[];
  categories: Record<string, Category>;
  serialization: { open: string; close: string; separator: string };
  format: {
    prompt_open: string;
    completion_open: string;
    end: string;
    file_open: string;
    diagnostic_prefix: string;
    instructions: Record<string, string>;
  };
}

// The package is CommonJS (no "type": "module"), so tsx gives every module __dirname.
// TREASURE_ROOT: where the repo is when this runs bundled (models/train/device.sh builds tasks on a GPU machine).
export const REPO_ROOT = process.env.TREASURE_ROOT ?? join(__dirname, '..', '..', '..');
export const TASKS_DIR = join(REPO_ROOT, 'models', 'data', 'tasks');

let cached: Taxonomy | undefined;
export function taxonomy(): Taxonomy {
  if (!cached) cached = JSON.parse(readFileSync(join(REPO_ROOT, 'models', 'markers.json'), 'utf8')) as Taxonomy;
  return cached;
}

export type Markers = Record<string, string>;

/** `<MARKER_LIST> <task> CodeFix </task> ... </MARKER_LIST>`, categories in `order`. */
export function markerList(markers: Markers): string {
  const t = taxonomy();
  const sep = t.serialization.separator;
  const parts = [t.serialization.open];
  for (const key of t.order) {
    const v = markers[key];
    if (v === undefined) continue;
    parts.push(`<${key}>`, String(v), `</${key}>`);
  }
  parts.push(t.serialization.close);
  return parts.join(sep);
}

/** Parses a marker list back (inverse of markerList). */
export function parseMarkerList(s: string): Markers {
  const t = taxonomy();
  const out: Markers = {};
  const body = s.trim();
  if (!body.startsWith(t.serialization.open) || !body.endsWith(t.serialization.close)) throw new Error('not a marker list');
  const re = /<([a-z_]+)> (.*?) <\/\1>/g;
  for (const m of body.slice(t.serialization.open.length, body.length - t.serialization.close.length).matchAll(re)) {
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** The length_bucket value for a number of lines (bounds from markers.json). */
export function lengthBucket(lines: number): string {
  const b = taxonomy().categories.length_bucket!.bounds!;
  for (const [name, [lo, hi]] of Object.entries(b)) if (lines >= lo && lines <= hi) return name;
  return lines < 1 ? 'concise' : 'long';
}

export function countLines(s: string): number {
  if (s.length === 0) return 0;
  let n = 1;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  if (s.endsWith('\n')) n--;
  return n;
}

/** Problems of a marker set: unknown categories, values outside the taxonomy. Empty when valid. */
export function markerProblems(markers: Markers): string[] {
  const t = taxonomy();
  const out: string[] = [];
  for (const [k, v] of Object.entries(markers)) {
    const c = t.categories[k];
    if (!c) { out.push(`unknown category ${k}`); continue; }
    if (c.kind === 'enum' && !c.values!.includes(v)) out.push(`${k}: ${v} not in taxonomy`);
    if (c.kind === 'integer') {
      const n = Number(v);
      if (!Number.isInteger(n) || (c.min !== undefined && n < c.min) || (c.max !== undefined && n > c.max)) out.push(`${k}: ${v} out of range`);
    }
  }
  return out;
}

export function enumValues(category: string): string[] {
  return taxonomy().categories[category]?.values ?? [];
}

export function headLanguages(): string[] {
  return taxonomy().categories.code_type?.head ?? [];
}

/** Prompt and completion of an example, exactly as docs/CONTRACTS.md joins them. */
export function renderExample(ex: { task: string; code: string; diagnostic?: string; answer: string; markers: Markers }, given?: Markers): { prompt: string; completion: string } {
  const f = taxonomy().format;
  let prompt = f.prompt_open + f.instructions[ex.task] + '\n';
  if (ex.diagnostic) prompt += f.diagnostic_prefix + ex.diagnostic + '\n';
  prompt += ex.code + '\n';
  if (given && Object.keys(given).length) prompt += markerList(given) + '\n';
  prompt += f.completion_open;
  return { prompt, completion: markerList(ex.markers) + '\n' + ex.answer + f.end };
}
