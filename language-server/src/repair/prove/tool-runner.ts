// The file provers' tools (gofmt, gcc, rustfmt, bash) started from a small long-lived node child instead
// of this process. Starting a process copies the starter's memory map: from the language server, with the
// model and the grammars loaded, that took 7 ms a tool idle and 40-50 ms under load (measured in the
// syntax search: most of gofmt's time, and on the main thread); from the small runner, a few ms.
// Each answer names its request (a slow tool, a precompiled header, holds up no other); the runner kills
// a tool past its time limit itself, and one whose caller cancelled it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ProverToolError } from './common';

const RUNNER = String.raw`
const { spawn } = require('child_process');
const running = new Map();
const answer = (id, a) => process.stdout.write(JSON.stringify({ id, ...a }) + '\n');
function run(req) {
  let p;
  try { p = spawn(req.cmd, req.args, { cwd: req.cwd, env: req.env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true }); }
  catch (e) { return answer(req.id, { error: String(e && e.message || e) }); }
  const out = [], err = [];
  let outLen = 0, settled = false;
  p.stdout.setEncoding('utf8');
  p.stderr.setEncoding('utf8');
  p.stdout.on('data', (c) => { if (outLen < 1 << 20) { out.push(c); outLen += c.length; } });
  p.stderr.on('data', (c) => err.push(c));
  const finish = (a) => { if (settled) return; settled = true; clearTimeout(timer); running.delete(req.id); answer(req.id, a); };
  // stopped: answered at once (a tool's own children may hold its output open for a while)
  const stop = (a) => { p.kill('SIGKILL'); finish(a); };
  const timer = setTimeout(() => stop({ timeout: true }), req.timeoutMs);
  running.set(req.id, stop);
  p.on('error', (e) => finish({ error: String(e && e.message || e) }));
  p.on('close', (code) => finish({ code, stdout: out.join(''), stderr: err.join('') }));
}
const rl = require('readline').createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  const req = JSON.parse(line);
  if (req.kill !== undefined) running.get(req.kill)?.({ error: 'cancelled' });
  else run(req);
});
rl.on('close', () => process.exit(0));
`;

export type RunnerAnswer = { code: number | null; stdout: string; stderr: string } | { error: string } | { timeout: true };

interface Waiting { resolve: (a: RunnerAnswer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }

/** Extra time the runner gets beyond a tool's limit before it is taken for hung (it stops the tool itself). */
const RUNNER_GRACE_MS = 5_000;

let runner: { proc: ChildProcessWithoutNullStreams; waiting: Map<number, Waiting> } | undefined;
/** Set when the runner cannot start here (no usable node binary): tools are started by the caller. */
let broken = false;
let nextId = 0;

function start(): NonNullable<typeof runner> {
  // process.execPath is node itself, or an Electron binary that acts as node with ELECTRON_RUN_AS_NODE
  const proc = spawn(process.execPath, ['--no-warnings', '-e', RUNNER], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: '' }, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  const r = { proc, waiting: new Map<number, Waiting>() };
  let buffer = '';
  let answered = false;
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let parsed: { id: number } & RunnerAnswer;
      try { parsed = JSON.parse(line) as typeof parsed; } catch { continue; } // (not an answer)
      const { id, ...a } = parsed;
      const w = r.waiting.get(id);
      if (!w) continue; // a cancelled request's answer
      answered = true;
      r.waiting.delete(id);
      clearTimeout(w.timer);
      w.resolve(a as RunnerAnswer);
    }
  });
  proc.stderr.resume();
  proc.stdin.on('error', () => { /* the exit handler reports it */ });
  const gone = (why: string, cannotRun: boolean) => {
    if (runner === r) runner = undefined;
    if (cannotRun && !answered) broken = true;
    for (const w of r.waiting.values()) { clearTimeout(w.timer); w.reject(cannotRun && !answered ? new RunnerUnavailable() : new ProverToolError(`the tool runner ${why}`)); }
    r.waiting.clear();
  };
  proc.on('error', (e) => gone(`could not run (${e.message})`, true));
  proc.on('exit', (code, sig) => gone(`exited (${sig ?? code})`, false));
  // an idle runner must not keep its host alive (a CLI run, a test file): a waiting request's timer does
  proc.unref();
  for (const s of [proc.stdin, proc.stdout, proc.stderr] as unknown as { unref?: () => void }[]) s.unref?.();
  return r;
}

class RunnerUnavailable extends Error {}

/**
 * Runs a tool through the runner; undefined when there is no runner (it cannot start here), so that the
 * caller starts the tool itself. `onStart` receives a function that stops the tool (cancellation).
 */
export async function runInRunner(req: { cmd: string; args: string[]; cwd?: string; env: NodeJS.ProcessEnv; timeoutMs: number }, onStart?: (kill: () => void) => void): Promise<RunnerAnswer | undefined> {
  if (broken) return undefined;
  const r = (runner ??= start());
  const id = ++nextId;
  onStart?.(() => {
    const w = r.waiting.get(id);
    if (!w) return;
    r.waiting.delete(id);
    clearTimeout(w.timer);
    w.resolve({ error: 'cancelled' }); // (the caller has stopped waiting already)
    r.proc.stdin.write(JSON.stringify({ kill: id }) + '\n');
  });
  try {
    return await new Promise<RunnerAnswer>((resolve, reject) => {
      // the runner stops the tool at timeoutMs: no answer by then and a grace is a hung runner
      const timer = setTimeout(() => { r.waiting.delete(id); r.proc.kill('SIGKILL'); reject(new ProverToolError(`the tool runner gave no answer in ${req.timeoutMs + RUNNER_GRACE_MS} ms (stopped; it restarts on the next request)`)); }, req.timeoutMs + RUNNER_GRACE_MS);
      r.waiting.set(id, { resolve, reject, timer });
      r.proc.stdin.write(JSON.stringify({ id, ...req }) + '\n');
    });
  } catch (e) {
    if (e instanceof RunnerUnavailable) return undefined;
    throw e;
  }
}

/** Ends the runner (tests; it also ends with this process). */
export function disposeToolRunner(): void {
  runner?.proc.kill('SIGKILL');
  runner = undefined;
}

process.once('exit', () => disposeToolRunner());
