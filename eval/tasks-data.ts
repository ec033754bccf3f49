// The data build's task examples (docs/CONTRACTS.md): build/data/tasks/{split}-NNNNN.jsonl.xz, one
// `{"task","code","diagnostic"?,"answer","markers":{...},"package","split"}` a line. Plain .jsonl shards
// are read too (test fixtures). xz is decompressed by the xz command, streamed.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { markersJsonPath } from './paths.js';

export interface TaskExample {
  task: string;
  code: string;
  diagnostic?: string;
  answer: string;
  markers: Record<string, string>;
  package?: string;
  split?: string;
}

export function shardFiles(dir: string, split: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.startsWith(`${split}-`) && /\.jsonl(\.xz)?$/.test(f)).sort().map((f) => join(dir, f));
}

/** Streams the examples of a split, shard after shard. */
export async function* readTasks(dir: string, split = 'test'): AsyncGenerator<TaskExample> {
  for (const file of shardFiles(dir, split)) {
    let input: NodeJS.ReadableStream;
    let child: ReturnType<typeof spawn> | undefined;
    if (file.endsWith('.xz')) {
      child = spawn('xz', ['-dc', file], { stdio: ['ignore', 'pipe', 'inherit'] });
      input = child.stdout!;
    } else input = createReadStream(file);
    const rl = createInterface({ input, crlfDelay: Infinity });
    try {
      for await (const line of rl) {
        if (!line.trim()) continue;
        const ex = JSON.parse(line) as TaskExample;
        ex.markers = Object.fromEntries(Object.entries(ex.markers ?? {}).map(([k, v]) => [k, String(v)]));
        yield ex;
      }
    } finally {
      rl.close();
      child?.kill();
    }
  }
}

/**
 * Keeps the first `perBucket` examples of each bucket (e.g. task x code_type) that `keep` accepts, reading
 * the whole split once (deterministic: shard order, then line order).
 */
export async function sampleTasks(dir: string, split: string, bucket: (e: TaskExample) => string | undefined, perBucket: number): Promise<Map<string, TaskExample[]>> {
  const out = new Map<string, TaskExample[]>();
  for await (const ex of readTasks(dir, split)) {
    const b = bucket(ex);
    if (b === undefined) continue;
    const arr = out.get(b) ?? [];
    if (arr.length < perBucket) { arr.push(ex); out.set(b, arr); }
  }
  return out;
}

interface CodeTypeCategory { values: string[]; head: string[]; languageIds: Record<string, string> }
let codeTypeCat: CodeTypeCategory | undefined;
function cat(): CodeTypeCategory {
  codeTypeCat ??= (JSON.parse(readFileSync(markersJsonPath, 'utf8')) as { categories: { code_type: CodeTypeCategory } }).categories.code_type;
  return codeTypeCat;
}

/** The VS Code languageId the editor would send for a code_type (markers.json languageIds, inverted). */
export function languageIdFor(codeType: string): string {
  const ids = cat().languageIds;
  return Object.keys(ids).find((id) => ids[id] === codeType && id === codeType) ?? Object.keys(ids).find((id) => ids[id] === codeType) ?? codeType;
}

export function isHeadLanguage(codeType: string): boolean { return cat().head.includes(codeType); }
export function codeTypes(): string[] { return [...cat().values]; }

/** A line that opens or continues a comment (any of the taxonomy's languages): never where a user fixing the function stands. */
const COMMENT_LINE = /^\s*(\/\*|\*|\/\/|#|--|;;)/;

/** 0-based line inside the example's function: the first non-blank line after its signature (past a leading doc comment). */
export function exampleLine(code: string): number {
  const lines = code.split('\n');
  let sig = 0;
  while (sig < lines.length - 1 && (COMMENT_LINE.test(lines[sig]!) || !lines[sig]!.trim())) sig++;
  for (let i = sig + 1; i < lines.length; i++) if (lines[i]!.trim()) return i;
  return sig;
}

/**
 * What the editor holds for an example to fix: its code, where a PHP function gets the `<?php` opener its
 * file had (without it the grammar reads the snippet as HTML text), a cursor line inside the function, and
 * how to take the opener off the fixed text again.
 */
export function fixInput(ex: TaskExample): { text: string; line: number; unwrap(fixed: string): string } {
  const opener = ex.markers.code_type === 'php' && !/^\s*<\?php/.test(ex.code) ? '<?php\n' : '';
  return {
    text: opener + ex.code,
    line: exampleLine(ex.code) + (opener ? 1 : 0),
    unwrap: (fixed) => (opener && fixed.startsWith(opener) ? fixed.slice(opener.length) : fixed),
  };
}
