// A long-lived child process that answers one line per request line (JSON lines over stdin/stdout).
// Requests are answered in order; a request that takes longer than its timeout kills the process (the
// next request starts a fresh one); an abandoned (cancelled) request's answer is read and dropped.
// Workers end when the parent exits (killed here, and they see EOF on stdin if the parent dies hard).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ProverToolError } from './common';

export interface WorkerSpec {
  /** For messages: "python3", "java". */
  label: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Extra milliseconds allowed for the first request of a fresh process (start-up, JIT warm-up). */
  startupMs?: number;
}

interface Pending {
  resolve: (line: string) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

const live = new Set<LineWorker>();

export class LineWorker {
  private proc: ChildProcessWithoutNullStreams | null = null;
  private pending: Pending[] = [];
  private buffer = '';
  private stderrTail = '';
  private fresh = true;
  /** How many processes were started (tests read it to see a restart). */
  starts = 0;

  constructor(private readonly spec: WorkerSpec) {}

  private start(): ChildProcessWithoutNullStreams {
    const p = spawn(this.spec.command, this.spec.args, {
      env: this.spec.env ?? process.env,
      cwd: this.spec.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.starts++;
    this.fresh = true;
    this.buffer = '';
    this.stderrTail = '';
    p.stdout.setEncoding('utf8');
    p.stderr.setEncoding('utf8');
    p.stdout.on('data', (chunk: string) => this.onData(chunk));
    p.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    p.stdin.on('error', () => { /* the exit handler reports it */ });
    const onGone = (why: string) => {
      if (this.proc !== p) return;
      this.proc = null;
      this.failAll(new ProverToolError(`${this.spec.label} worker ${why}${this.stderrTail ? `: ${this.stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
    };
    p.on('error', (e) => onGone(`could not run (${e.message})`));
    p.on('exit', (code, sig) => onGone(`exited (${sig ?? code})`));
    // an idle worker must not keep its host alive (a CLI run, a test file): while a request waits,
    // its timer does
    p.unref();
    for (const s of [p.stdin, p.stdout, p.stderr] as unknown as { unref?: () => void }[]) s.unref?.();
    this.proc = p;
    live.add(this);
    return p;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const p = this.pending.shift();
      if (!p) continue;
      if (p.timer) clearTimeout(p.timer);
      this.fresh = false;
      p.resolve(line);
    }
  }

  private failAll(e: Error): void {
    const all = this.pending;
    this.pending = [];
    for (const p of all) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(e);
    }
  }

  /** Sends one request line; resolves with the answer line. */
  request(line: string, timeoutMs: number): Promise<string> {
    const proc = this.proc ?? this.start();
    return new Promise<string>((resolve, reject) => {
      const entry: Pending = { resolve, reject };
      const limit = timeoutMs + (this.fresh ? (this.spec.startupMs ?? 0) : 0);
      entry.timer = setTimeout(() => {
        // a hung or very slow parse: kill it; every waiting request fails, the next one restarts it
        this.kill();
        this.failAll(new ProverToolError(`${this.spec.label} took longer than ${limit} ms on one batch (stopped; it restarts on the next request)`));
        reject(new ProverToolError(`${this.spec.label} took longer than ${limit} ms on one batch`));
      }, limit);
      this.pending.push(entry);
      proc.stdin.write(line.endsWith('\n') ? line : `${line}\n`);
    });
  }

  get running(): boolean {
    return this.proc !== null;
  }

  kill(): void {
    const p = this.proc;
    this.proc = null;
    live.delete(this);
    if (p) {
      p.stdin.destroy();
      p.kill('SIGKILL');
    }
  }

  dispose(): void {
    this.kill();
    this.failAll(new ProverToolError(`${this.spec.label} worker was disposed`));
  }
}

process.once('exit', () => {
  for (const w of live) w.kill();
});
