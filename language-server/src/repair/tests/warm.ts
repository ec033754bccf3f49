// A warm pytest worker: one Python process that imports pytest and the installed pytest plugins once,
// then runs `pytest.main(args)` per request in a scratch copy. Between runs it forgets every module
// loaded from the scratch (the module under test, the tests, conftest), restores sys.path and the
// environment, and kills any process a test left running in its group. A new pytest process costs
// 0.5 s here before the first test (2 s with hypothesis installed); a warm run ~0.1-0.2 s in all
// (bench/tests-runner.ts).
//
// Requests go in on stdin, one JSON a line; answers come back on fd 3 (tests cannot write there by
// accident), the first being {"ready": true} once pytest is imported: a run's time limit starts
// then. A run that times out or is cancelled kills the worker's whole process group; the pool starts
// it again when the worker is released. A worker that dies under a test makes runTests retry that
// run in a new process.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { helperDir, requireTrust, testEnv } from './env';
import { killGroup } from './process';
import { pluginDir } from './pytest-plugin';

export const WORKER_SOURCE = String.raw`
import json, os, signal, sys
sys.dont_write_bytecode = True
import pytest
try:
    from importlib.metadata import entry_points
    for ep in entry_points(group='pytest11'):
        try:
            ep.load()
        except Exception:
            pass
except Exception:
    pass

# One empty session first: plugins do their heavy configure work (hypothesis: ~1 s) before any request.
# Then freeze what is loaded: pytest collects garbage several times per session (unraisable-exception
# cleanup), and a frozen heap makes that ~4x cheaper (0.5 s -> 0.13 s per run here).
import gc, io, tempfile
with tempfile.TemporaryDirectory() as empty:
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = io.StringIO()
    try:
        pytest.main(['-q', '-p', 'no:cacheprovider', '--collect-only', '--rootdir', empty, empty])
    except BaseException:
        pass
    finally:
        sys.stdout, sys.stderr = saved
gc.collect()
gc.freeze()

answers = os.fdopen(3, 'w', buffering=1)
answers.write(json.dumps({'ready': True}) + '\n')
base_env = dict(os.environ)
base_path = list(sys.path)
me = os.getpid()


def strays():
    # processes a test left behind in our group (Linux: /proc)
    out = []
    try:
        for name in os.listdir('/proc'):
            if name.isdigit() and int(name) != me:
                try:
                    with open('/proc/%s/stat' % name) as f:
                        fields = f.read().rsplit(')', 1)[1].split()
                    if int(fields[2]) == me and fields[0] != 'Z':
                        out.append(int(name))
                except Exception:
                    pass
    except Exception:
        pass
    return out


for line in sys.stdin:
    req = json.loads(line)
    root = os.path.realpath(req['cwd'])
    out = open(req['output'], 'w', encoding='utf-8', errors='replace')
    saved = sys.stdout, sys.stderr
    os.environ.clear()
    os.environ.update(base_env)
    os.environ.update(req.get('env', {}))
    sys.path[:] = [root] + [p for p in req.get('paths', []) if p != root] + base_path
    code = None
    try:
        os.chdir(root)
        sys.stdout = sys.stderr = out
        code = int(pytest.main(req['args']))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException as e:
        print('worker: %s: %s' % (type(e).__name__, e), file=out)
        code = 3
    finally:
        sys.stdout, sys.stderr = saved
        out.close()
    for name, mod in list(sys.modules.items()):
        f = getattr(mod, '__file__', None) or ''
        paths = list(getattr(mod, '__path__', None) or [])
        if name == '_treasure_pytest' or any(os.path.realpath(p).startswith(root + os.sep) for p in [f] + paths if p):
            del sys.modules[name]
    for pid in strays():
        try:
            os.kill(pid, signal.SIGKILL)
        except Exception:
            pass
    os.chdir('/')
    answers.write(json.dumps({'id': req['id'], 'exit': code}) + '\n')
`;

function workerScript(): string {
  const h = createHash('sha256').update(WORKER_SOURCE).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `treasure-pytest-worker-${h}-${process.pid}`);
  const p = join(dir, 'worker.py');
  try {
    statSync(p);
  } catch {
    helperDir(dir);
    writeFileSync(p, WORKER_SOURCE);
  }
  return p;
}

/** Most time a worker may take to import pytest and its plugins. */
const STARTUP_MS = 60000;

export interface WarmRunResult {
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
  /** The worker died during the run (a test called os._exit, or it was killed). */
  crashed: boolean;
  output: string;
  ms: number;
}

/** One worker process. Not re-entrant: one run at a time (the pool hands it out). */
export class PytestWorker {
  private child?: ChildProcess;
  private seq = 0;
  private onAnswer?: (answer: { id: number; exit: number }) => void;
  /** Resolves true once the process has imported pytest and run its empty session; false if it died. */
  private ready?: Promise<boolean>;
  /** Runs done by the current process (0 = it has not started or was restarted). */
  runs = 0;

  constructor(readonly python: string) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): ChildProcess {
    const env = testEnv({ PYTHONPATH: [pluginDir(), process.env.PYTHONPATH].filter(Boolean).join(delimiter) });
    const child = spawn(this.python, ['-u', workerScript()], { cwd: tmpdir(), env, detached: true, stdio: ['pipe', 'ignore', 'ignore', 'pipe'] });
    const gone = () => {
      if (this.child === child) this.child = undefined;
      killGroup(child.pid);
    };
    child.on('error', gone);
    child.on('exit', gone);
    child.stdin!.on('error', () => {});
    let setReady: (ok: boolean) => void = () => {};
    this.ready = new Promise((r) => (setReady = r));
    child.once('exit', () => setReady(false));
    child.once('error', () => setReady(false));
    const answers = child.stdio[3] as NodeJS.ReadableStream;
    answers.setEncoding('utf8');
    let buf = '';
    answers.on('data', (s: string) => {
      buf += s;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const a = JSON.parse(line);
          if (a.ready) setReady(true);
          else if (this.child === child) this.onAnswer?.(a);
        } catch {
          /* a torn line from a killed worker */
        }
      }
    });
    this.child = child;
    this.runs = 0;
    return child;
  }

  /** Starts the process now (import pytest and its plugins) instead of on the first run. */
  warmUp(): void {
    if (!this.child) this.start();
  }

  /**
   * Runs `pytest <args>` with cwd `cwd` and extra env; the output goes to a file and its tail comes
   * back. The time limit starts when the worker is ready (pytest imported), not before.
   */
  async run(cwd: string, args: string[], env: Record<string, string>, paths: string[], opts: { timeoutMs: number; signal?: AbortSignal; outputFile: string; outputCap: number }): Promise<WarmRunResult> {
    const t0 = performance.now();
    const child = this.child && isAlive(this.child) ? this.child : this.start();
    if (!(await this.waitReady(child, opts.signal))) {
      const cancelled = opts.signal?.aborted ?? false;
      return { exitCode: null, timedOut: false, cancelled, crashed: !cancelled, output: '', ms: performance.now() - t0 };
    }
    const id = ++this.seq;
    return new Promise((resolve) => {
      let timedOut = false;
      let cancelled = false;
      let settled = false;
      // a killed worker is forgotten at once: the next run must not be sent to it while it dies
      const kill = () => {
        if (this.child === child) this.child = undefined;
        killGroup(child.pid);
      };
      const settle = (answer?: { exit: number }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        child.off('exit', onExit);
        child.off('error', onExit);
        this.onAnswer = undefined;
        if (answer) this.runs++;
        resolve({ exitCode: answer ? answer.exit : null, timedOut, cancelled, crashed: !answer && !timedOut && !cancelled, output: readTail(opts.outputFile, opts.outputCap), ms: performance.now() - t0 });
      };
      const onExit = () => settle(undefined);
      const onAbort = () => {
        cancelled = true;
        kill();
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, opts.timeoutMs);
      child.once('exit', onExit);
      child.once('error', onExit);
      this.onAnswer = (a) => {
        if (a.id === id) settle(a);
      };
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdin!.write(JSON.stringify({ id, cwd, args, env, paths, output: opts.outputFile }) + '\n');
    });
  }

  /** Waits for the worker to be ready; a cancellation or a start-up over STARTUP_MS kills it (false). */
  private waitReady(child: ChildProcess, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const stop = () => {
        if (this.child === child) this.child = undefined;
        killGroup(child.pid);
        resolve(false);
      };
      const timer = setTimeout(stop, STARTUP_MS);
      if (signal?.aborted) stop();
      signal?.addEventListener('abort', stop, { once: true });
      void this.ready!.then((ok) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', stop);
        resolve(ok);
      });
    });
  }

  dispose(): void {
    const c = this.child;
    this.child = undefined;
    if (c) killGroup(c.pid);
  }
}

function isAlive(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}

function readTail(file: string, cap: number): string {
  try {
    const size = statSync(file).size;
    if (size <= cap) return readFileSync(file, 'utf8');
    const fd = openSync(file, 'r');
    try {
      const b = Buffer.alloc(cap);
      readSync(fd, b, 0, cap, size - cap);
      return b.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/**
 * Warm workers for one interpreter (one pool per workspace is the intended use): `acquire` hands out
 * an idle worker or starts one (up to `size`), `release` gives it back. Dispose on shutdown.
 */
export class WarmPool {
  private idle: PytestWorker[] = [];
  private all = new Set<PytestWorker>();
  private waiters: ((w: PytestWorker) => void)[] = [];
  readonly python: string;
  readonly size: number;
  /** `python`: the plan's interpreter (a workspace virtualenv's runs workspace code: trust needed). */
  constructor(opts: { python: string; size?: number; trusted: boolean }) {
    requireTrust(opts.trusted, 'starting a pytest worker');
    this.python = opts.python;
    this.size = opts.size ?? 2;
  }

  /** Starts `n` workers now so that the first runs find pytest imported. */
  warmUp(n = this.size): void {
    while (this.all.size < Math.min(n, this.size)) {
      const w = new PytestWorker(this.python);
      w.warmUp();
      this.all.add(w);
      this.idle.push(w);
    }
  }

  async acquire(): Promise<PytestWorker> {
    const w = this.idle.pop();
    if (w) return w;
    if (this.all.size < this.size) {
      const n = new PytestWorker(this.python);
      this.all.add(n);
      return n;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(w: PytestWorker): void {
    // a worker killed by a time-out or cancellation starts again now, while nobody waits for it
    if (this.all.has(w)) w.warmUp();
    const next = this.waiters.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  /** The pids of the running workers (for tests and the status). */
  pids(): number[] {
    return [...this.all].map((w) => w.pid).filter((p): p is number => p !== undefined);
  }

  dispose(): void {
    for (const w of this.all) w.dispose();
    this.all.clear();
    this.idle = [];
  }
}
