// The file provers' tools (gofmt, gcc, rustfmt) started from a small long-lived node child instead of
// this process. Starting a process copies the starter's memory map: from the language server, with the
// model and the grammars loaded, that took 7 ms a tool idle and 40-50 ms under load (measured in the
// syntax search: most of gofmt's time, and on the main thread); from the small runner, a few ms.
// Answers come back in request order (worker.ts); the runner kills a tool past its time limit itself.
import { LineWorker } from './worker';

const RUNNER = String.raw`
const { spawn } = require('child_process');
const running = new Map();
let tail = Promise.resolve();
function run(req) {
  return new Promise((resolve) => {
    let p;
    try { p = spawn(req.cmd, req.args, { cwd: req.cwd, env: req.env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true }); }
    catch (e) { return resolve({ error: String(e && e.message || e) }); }
    const out = [], err = [];
    let outLen = 0, settled = false;
    p.stdout.setEncoding('utf8');
    p.stderr.setEncoding('utf8');
    p.stdout.on('data', (c) => { if (outLen < 1 << 20) { out.push(c); outLen += c.length; } });
    p.stderr.on('data', (c) => err.push(c));
    const finish = (a) => { if (settled) return; settled = true; clearTimeout(timer); running.delete(req.id); resolve(a); };
    // stopped: answered at once (a tool's own children may hold its output open for a while)
    const stop = (a) => { p.kill('SIGKILL'); finish(a); };
    const timer = setTimeout(() => stop({ timeout: true }), req.timeoutMs);
    running.set(req.id, stop);
    p.on('error', (e) => finish({ error: String(e && e.message || e) }));
    p.on('close', (code) => finish({ code, stdout: out.join(''), stderr: err.join('') }));
  });
}
const rl = require('readline').createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  const req = JSON.parse(line);
  const stop = req.kill !== undefined && running.get(req.kill);
  if (stop) stop({ error: 'cancelled' });
  const done = req.kill !== undefined ? Promise.resolve({ killed: !!stop }) : run(req);
  tail = tail.then(() => done).then((a) => { process.stdout.write(JSON.stringify(a) + '\n'); });
});
rl.on('close', () => process.exit(0));
`;

export type RunnerAnswer = { code: number | null; stdout: string; stderr: string } | { error: string } | { timeout: true };

let runner: LineWorker | undefined;
/** Set when the runner itself could not start: tools are started from this process as before. */
let broken = false;
let nextId = 0;

/** Extra time the runner gets beyond a tool's limit before it is taken for hung (it kills the tool itself). */
const RUNNER_GRACE_MS = 5_000;

/**
 * Runs a tool through the runner; undefined when there is no runner (it could not start), so that the
 * caller starts the tool itself. `onAbort` receives a function that kills the tool.
 */
export async function runInRunner(req: { cmd: string; args: string[]; cwd?: string; env: NodeJS.ProcessEnv; timeoutMs: number }, onStart?: (kill: () => void) => void): Promise<RunnerAnswer | undefined> {
  if (broken) return undefined;
  runner ??= new LineWorker({
    label: 'tool runner',
    command: process.execPath,
    args: ['--no-warnings', '-e', RUNNER],
    // process.execPath is node itself, or an Electron binary that acts as node with ELECTRON_RUN_AS_NODE
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: '' },
    startupMs: 5_000,
  });
  const id = ++nextId;
  const w = runner;
  onStart?.(() => { w.request(JSON.stringify({ kill: id }), RUNNER_GRACE_MS).catch(() => undefined); });
  try {
    return JSON.parse(await w.request(JSON.stringify({ id, ...req }), req.timeoutMs + RUNNER_GRACE_MS)) as RunnerAnswer;
  } catch (e) {
    // a runner that cannot start here (no usable node binary): tools are started directly
    if (!/could not run/.test(String((e as Error).message))) throw e;
    broken = true;
    return undefined;
  }
}

/** Ends the runner (tests; it also ends with this process). */
export function disposeToolRunner(): void {
  runner?.dispose();
  runner = undefined;
}
