// Results of test executions, cached by content hash in build/eval-cache/results/ (or $TREASURE_EVAL_CACHE).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir } from '../paths.js';
import { RUNNER_VERSION, type ExecResult, type Program, type RunLimits } from './types.js';

export function cacheKey(prog: Program, limits: RunLimits): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([RUNNER_VERSION, prog.language, prog.code, prog.test, prog.goImport ?? '', prog.goTestSetup ?? '', prog.goHelpers ?? '', limits.runTimeoutMs]));
  return h.digest('hex');
}

function cachePath(key: string): string { return join(cacheDir(), 'results', key.slice(0, 2), `${key}.json`); }

export function readCache(key: string): ExecResult | undefined {
  try { return { ...(JSON.parse(readFileSync(cachePath(key), 'utf8')) as ExecResult), cached: true }; } catch { return undefined; }
}

export function writeCache(key: string, r: ExecResult): void {
  // Timeouts and harness failures depend on machine load, not only on the program: never cached.
  if (r.kind === 'timeout' || r.kind === 'infra') return;
  const p = cachePath(key);
  mkdirSync(dirname(p), { recursive: true });
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(r));
  renameSync(tmp, p);
}
