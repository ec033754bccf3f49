// One child process, run the way untrusted test code must be run: in its own process group (so a
// test that forks cannot outlive us), with a time limit, an AbortSignal, and its output capped.
// On time-out, cancellation, and also after a normal exit (a forked child may still hold the pipes),
// the whole group gets SIGKILL: nothing the command started is left behind.
import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Killed (the whole group) after this long; the result says `timedOut`. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Most bytes of stdout + stderr kept (the tail is kept); the rest is counted, not stored. */
  outputCap?: number;
  /** Extra file descriptors for the child (e.g. 'pipe' for a report channel on fd 3). */
  extraStdio?: ('pipe' | 'ignore')[];
}

export interface ProcessResult {
  /** null when killed by a signal. */
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
  /** The child could not be started (ENOENT, EACCES ...): the message. */
  spawnError?: string;
  /** stdout and stderr interleaved in arrival order, the last `outputCap` bytes. */
  output: string;
  /** Bytes the command wrote in all (more than output.length when capped). */
  outputBytes: number;
  ms: number;
  pid?: number;
}

export const DEFAULT_OUTPUT_CAP = 1 << 20;

/** SIGKILL to a whole process group; a group already gone is fine. */
export function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* ESRCH: the group is gone */
  }
}

/** Is any process of the group still there? (signal 0 checks without sending). */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Keeps the last `cap` bytes of a stream of chunks. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  constructor(private readonly cap: number) {}
  push(b: Buffer): void {
    this.total += b.length;
    this.chunks.push(b);
    this.kept += b.length;
    while (this.chunks.length > 1 && this.kept - this.chunks[0]!.length >= this.cap) this.kept -= this.chunks.shift()!.length;
    if (this.kept > this.cap) {
      const first = this.chunks[0]!;
      this.chunks[0] = first.subarray(this.kept - this.cap);
      this.kept = this.cap;
    }
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Runs argv[0] with argv[1..] (no shell; pass ['sh', '-c', cmd] for a shell command). `onSpawn`
 * gets the child, e.g. to read an extra fd.
 */
export function runProcess(argv: string[], opts: RunOptions, onSpawn?: (child: import('node:child_process').ChildProcess) => void): Promise<ProcessResult> {
  const t0 = performance.now();
  const cap = opts.outputCap ?? DEFAULT_OUTPUT_CAP;
  const out = new TailBuffer(cap);
  return new Promise((resolve) => {
    if (opts.signal?.aborted) {
      resolve({ exitCode: null, timedOut: false, cancelled: true, output: '', outputBytes: 0, ms: 0 });
      return;
    }
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      detached: true, // its own process group: kill(-pid) reaches everything it forks
      stdio: ['ignore', 'pipe', 'pipe', ...(opts.extraStdio ?? [])],
    });
    let timedOut = false;
    let cancelled = false;
    let spawnError: string | undefined;
    let exitCode: number | null = null;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(closeWait);
      opts.signal?.removeEventListener('abort', onAbort);
      killGroup(child.pid);
      resolve({ exitCode, timedOut, cancelled, spawnError, output: out.text(), outputBytes: out.total, ms: performance.now() - t0, pid: child.pid });
    };
    const onAbort = () => {
      cancelled = true;
      killGroup(child.pid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, opts.timeoutMs);
    let closeWait: NodeJS.Timeout | undefined;
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => out.push(b));
    child.on('error', (e) => {
      spawnError = e.message;
      finish();
    });
    child.on('exit', (code) => {
      exitCode = code;
      // The leader is gone; anything it forked still holds the pipes: kill the group so 'close' comes.
      killGroup(child.pid);
      closeWait = setTimeout(finish, 500);
    });
    child.on('close', finish);
    onSpawn?.(child);
  });
}
