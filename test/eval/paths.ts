// Where the harness finds things. Everything is resolved from the repository root, never from the cwd.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot as findRoot } from '../../language-server/src/paths';

// The repository: found the way the product finds it (the folder with models/markers.json and
// grammars/grammars.json, walking up from this file; TREASURE_ROOT overrides), so that the same code
// works from test/eval/ under tsx and from the bundle in build/eval-kit/ (make-device-kit.sh).
export const repoRoot = findRoot();

/** HumanEvalPack: --data DIR, else $TREASURE_HUMANEVALPACK, else ../shared/data/humanevalpack from the repo root. */
export function humanEvalPackDir(flag?: string): string {
  const dir = flag ?? process.env.TREASURE_HUMANEVALPACK ?? join(repoRoot, '..', 'shared', 'data', 'humanevalpack');
  return resolve(repoRoot, dir);
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
