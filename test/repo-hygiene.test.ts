// The repository stands alone: no tracked file names a folder beside it (../shared) or an absolute
// path of a machine it was worked on, so that a clone anywhere tests, evaluates and benchmarks the same
// (.ci/run also runs everything in a fresh clone in an empty temporary folder).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../language-server/src/paths';

const root = repoRoot();
const SELF = relative(root, __filename); // this file names the patterns it looks for

/**
 * Folders of this machine: this checkout, the one it was cloned from (a local folder), and /work, where
 * this project's checkouts (main, the worktrees, shared/ beside them) have lived. Not the folders around
 * a checkout: a clone in /tmp may well name /tmp/ (a scratch folder in a script is no path of this one).
 */
function machineFolders(): string[] {
  const dirs = new Set<string>([root]);
  try {
    const origin = execFileSync('git', ['remote', 'get-url', 'origin'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().replace(/^file:\/\//, '');
    if (isAbsolute(origin)) dirs.add(origin);
  } catch {
    // not cloned: no origin
  }
  dirs.add('/work');
  return [...dirs].filter((d) => d.length > 1).map((d) => d.replace(/\/+$/, '') + '/');
}

/** A pattern per folder: the folder as the start of an absolute path (not "src/work/x"); ../shared, also as join()'s '..', 'shared'. */
function patternsFor(folders: string[]): RegExp[] {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [/\.\.\/shared\b/, /['"]\.\.['"],\s*['"]shared['"]/, ...folders.map((f) => new RegExp(`(^|[\\s"'\`(\\[=:,])${escape(f)}`))];
}

function offendingLines(text: string, patterns: RegExp[]): number[] {
  return text.split('\n').flatMap((line, i) => (patterns.some((p) => p.test(line)) ? [i + 1] : []));
}

test('no tracked file names ../shared or an absolute path of this machine', () => {
  const patterns = patternsFor(machineFolders());
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }).split('\0').filter(Boolean);
  const hits: string[] = [];
  let scanned = 0;
  for (const file of files) {
    if (file === SELF) continue;
    const bytes = readFileSync(join(root, file));
    if (bytes.includes(0)) continue; // binary: the model, compressed results
    scanned++;
    const text = bytes.toString('utf8');
    for (const n of offendingLines(text, patterns)) hits.push(`${file}:${n}: ${text.split('\n')[n - 1]!.trim().slice(0, 120)}`);
  }
  assert.ok(scanned > 100, `only ${scanned} text files scanned`);
  assert.deepEqual(hits, [], `tracked files that name a folder outside the repository:\n${hits.join('\n')}`);
});

test('the check flags the lines it was written against and passes repo-relative ones', () => {
  const patterns = patternsFor(['/work/', '/tmp/tmp.abc/']);
  const text = [
    '  "dir": "/work/shared/data/humanevalpack"', // models/data/manifest.json before
    "const realSet = process.env.X ?? '/work/shared/data/humanevalpack';", // test/data/corpus-decontaminate.test.ts before
    "join(repoRoot, '..', 'shared', 'data', 'humanevalpack')", // eval/paths.ts before
    "join(root, '../shared/data/humanevalpack')", // bench/gpu.ts before
    'model `/tmp/tmp.abc/treasure/models/treasure`',
    '  "dir": "eval/data/humanevalpack"',
    'import type { ChunkDone } from "./worker.js"; // models/data/tasks/worker, src/work/x',
  ].join('\n');
  assert.deepEqual(offendingLines(text, patterns), [1, 2, 3, 4, 5]);
});
