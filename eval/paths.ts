// Where the harness finds things. Everything is resolved from the repository root, never from the cwd.
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { repoRoot as findRoot } from '../language-server/src/paths';

// The repository: found the way the product finds it (the folder with models/markers.json and
// grammars/grammars.json, walking up from this file; TREASURE_ROOT overrides), so that the same code
// works from eval/ under tsx and from the bundle in build/eval-kit/ (make-device-kit.sh).
export const repoRoot = findRoot();

/** HumanEvalPack's folder, repo-relative: kept in the repository (its README.md says where it came from). */
export const HUMANEVALPACK_DIR = 'eval/data/humanevalpack';

/** HumanEvalPack: --data DIR (e.g. a device kit's copy), else the copy in the repository. Every reader goes through here. */
export function humanEvalPackDir(flag?: string): string {
  return resolve(repoRoot, flag ?? HUMANEVALPACK_DIR);
}

/** The data build's task shards (CONTRACTS.md): --tasks DIR, else $TREASURE_TASKS, else build/data/tasks. */
export function tasksDir(flag?: string): string {
  return resolve(repoRoot, flag ?? process.env.TREASURE_TASKS ?? join('build', 'data', 'tasks'));
}

/** Results of test executions (keyed by content hash) and prebuilt dependencies: build/eval-cache/ or $TREASURE_EVAL_CACHE. */
export function cacheDir(): string {
  return resolve(repoRoot, process.env.TREASURE_EVAL_CACHE ?? join('build', 'eval-cache'));
}

export const markersJsonPath = join(repoRoot, 'models', 'markers.json');
export const defaultModelDir = join(repoRoot, 'models', 'treasure');

export function mustExist(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what} not found: ${path}`);
  return path;
}

/** A path as results record it: repo-relative when inside the repository (a report names no folder of this machine). */
export function repoRelative(path: string): string {
  const rel = relative(repoRoot, resolve(path));
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
