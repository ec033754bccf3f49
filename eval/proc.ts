// Child processes for the harness: every command runs in its own process group with a wall-clock
// limit; on timeout the whole group is killed (SIGKILL), so an infinite loop, a fork or a hung compiler
// can never hang the harness. Output is capped so a program printing forever cannot eat memory.
import { spawn } from 'node:child_process';

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
  /** spawn itself failed (command not found, …). */
  spawnError?: string;
}

export interface ProcOptions {
  cwd: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
  maxOutput?: number;
}

export function runProc(cmd: string, args: string[], opts: ProcOptions): Promise<ProcResult> {
  const max = opts.maxOutput ?? 64 * 1024;
  const started = Date.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true, // own process group: kill(-pid) reaches grandchildren too
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const killGroup = () => {
      if (child.pid === undefined) return;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    };
    const timer = setTimeout(() => { timedOut = true; killGroup(); }, opts.timeoutMs);
    const finish = (r: Omit<ProcResult, 'ms' | 'stdout' | 'stderr' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killGroup(); // leftovers (background children) of a finished program
      resolve({ ...r, timedOut, stdout, stderr, ms: Date.now() - started });
    };
    child.stdout!.on('data', (d: Buffer) => { if (stdout.length < max) stdout += d.toString('utf8').slice(0, max - stdout.length); });
    child.stderr!.on('data', (d: Buffer) => { if (stderr.length < max) stderr += d.toString('utf8').slice(0, max - stderr.length); });
    child.on('error', (e) => finish({ code: null, signal: null, spawnError: String(e.message ?? e) }));
    child.on('close', (code, signal) => finish({ code, signal }));
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => { /* program closed stdin early */ });
      child.stdin!.end(opts.input);
    }
  });
}

/** Runs async jobs with at most `n` at a time; results in input order. */
export async function pool<T, R>(items: readonly T[], n: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}

/** At most n of the wrapped async jobs at a time. */
export function semaphore(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    // A finishing job hands its slot straight to the next waiter, so at most n run at any time.
    if (active >= n) await new Promise<void>((res) => queue.push(res));
    else active++;
    try { return await job(); } finally { const next = queue.shift(); if (next) next(); else active--; }
  };
}
