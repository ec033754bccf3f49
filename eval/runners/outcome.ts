// How a run's output becomes an ExecResult, shared by every language.
import { tmpdir } from 'node:os';
import { runProc, type ProcResult } from '../proc.js';
import type { ExecResult } from './types.js';

/** True when `cmd args` runs and exits 0. */
export async function probe(cmd: string, args: string[]): Promise<boolean> {
  const r = await runProc(cmd, args, { cwd: tmpdir(), timeoutMs: 30_000 });
  return !r.spawnError && r.code === 0;
}

/** The telling part of a failure's output: from the first error/assertion/panic line on, else the end. */
export function tail(s: string, n = 600): string {
  const t = s.trim();
  const m = /panicked at|Assertion|AssertionError|Error|error(\[E\d+\])?:|--- FAIL|Traceback/.exec(t);
  if (m && t.length - m.index > 40) return t.slice(m.index, m.index + n);
  return t.length > n ? '…' + t.slice(t.length - n) : t;
}

/** Common outcome of a compile step: undefined when it succeeded. */
export function compileFailure(r: ProcResult): ExecResult | undefined {
  if (r.spawnError) return { pass: false, kind: 'infra', ms: r.ms, detail: r.spawnError };
  if (r.timedOut) return { pass: false, kind: 'timeout', ms: r.ms, detail: 'compilation timed out' };
  if (r.code !== 0) return { pass: false, kind: 'compile_error', ms: r.ms, detail: tail(r.stderr + r.stdout) };
  return undefined;
}

export function runOutcome(r: ProcResult, isAssertion: (out: string) => boolean, isCompile?: (out: string) => boolean): ExecResult {
  const out = r.stderr + '\n' + r.stdout;
  if (r.spawnError) return { pass: false, kind: 'infra', ms: r.ms, detail: r.spawnError };
  if (r.timedOut) return { pass: false, kind: 'timeout', ms: r.ms };
  if (r.code === 0 && r.signal === null) return { pass: true, ms: r.ms };
  if (isCompile?.(out)) return { pass: false, kind: 'compile_error', ms: r.ms, detail: tail(out) };
  if (isAssertion(out)) return { pass: false, kind: 'assertion', ms: r.ms, detail: tail(out) };
  return { pass: false, kind: 'runtime_error', ms: r.ms, detail: tail(out) || `exit ${r.code ?? r.signal}` };
}

export const ulimit = (cmd: string) => `ulimit -v 8000000 2>/dev/null; ${cmd}`;
