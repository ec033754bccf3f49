// Python: the solution and its test in one file, run isolated (-I -B) under a memory limit.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProc } from '../proc.js';
import { runOutcome, ulimit } from './outcome.js';
import type { LangRunner, Toolchain } from './types.js';

let pythonExe = 'python3';

/** Resolves the interpreter once: python3 may be a slow shim script (pyenv) in front of the real binary. */
export async function pythonToolchain(): Promise<Toolchain> {
  const r = await runProc('python3', ['-c', 'import sys; print(sys.executable)'], { cwd: tmpdir(), timeoutMs: 30_000 });
  if (r.code !== 0 || !r.stdout.trim()) return { ok: false, why: 'python3 not found' };
  pythonExe = r.stdout.trim();
  return { ok: true };
}
export const runPython: LangRunner = async (prog, dir, limits) => {
  writeFileSync(join(dir, 'prog.py'), prog.code + '\n' + prog.test + '\n');
  const r = await runProc('sh', ['-c', ulimit(`exec '${pythonExe.replace(/'/g, `'\\''`)}' -I -B prog.py`)], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  return runOutcome(r,
    (o) => /\bAssertionError\b/.test(o),
    (o) => /^(SyntaxError|IndentationError|TabError)\b/m.test(o) && !/\n\s+File "prog\.py", line \d+, in /.test(o));
};
