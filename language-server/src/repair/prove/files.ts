// Provers that read files (gofmt, rustfmt, gcc): a batch of candidates is written to a fresh folder in
// the prover's private scratch folder, the tool runs once over all of them, the folder is removed.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ProverToolError, abortError, checkSizes, inBatches, makeScratch, raceAbort, removeScratch, type Prover } from './common';
import { runInRunner } from './tool-runner';
import type { ParseVerdict } from '../types';

export interface ToolRun { code: number | null; stdout: string; stderr: string }

let batchCounter = 0;

/** Writes texts as `c0<ext>`, `c1<ext>`, ... into a new folder under scratch; returns the folder and paths. */
export function writeBatch(scratch: string, texts: readonly string[], ext: string): { dir: string; files: string[] } {
  const dir = join(scratch, `b${++batchCounter}`);
  mkdirSync(dir, { recursive: true });
  const files = texts.map((t, i) => {
    const f = join(dir, `c${i}${ext}`);
    writeFileSync(f, t);
    return f;
  });
  return { dir, files };
}

export function removeBatch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

type ToolOptions = { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; signal?: AbortSignal; label: string };

/** Runs a tool to completion; kills it on timeout (an error) or when the signal fires (an AbortError).
 * It is started by the small runner process (tool-runner.ts: a start from here costs far more). */
export async function runTool(cmd: string, args: string[], o: ToolOptions): Promise<ToolRun> {
  if (o.signal?.aborted) throw abortError();
  let kill: (() => void) | undefined;
  const onAbort = () => kill?.();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let a: Awaited<ReturnType<typeof runInRunner>>;
  try {
    a = await raceAbort(runInRunner({ cmd, args, cwd: o.cwd, env: o.env ?? process.env, timeoutMs: o.timeoutMs }, (k) => { kill = k; }), o.signal);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (a === undefined) return spawnTool(cmd, args, o);
  if ('timeout' in a) throw new ProverToolError(`${o.label} took longer than ${o.timeoutMs} ms on one batch (stopped)`);
  if ('error' in a) throw new ProverToolError(`${o.label} could not run: ${a.error}`);
  return a;
}

/** runTool from this process (where the runner cannot start). */
function spawnTool(cmd: string, args: string[], o: ToolOptions): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(abortError());
    const p = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const out: string[] = [];
    const err: string[] = [];
    let outLen = 0;
    p.stdout.setEncoding('utf8');
    p.stderr.setEncoding('utf8');
    // stdout is not needed beyond a little (gofmt -l names, rustfmt notes): keep at most 1 MB
    p.stdout.on('data', (c: string) => { if (outLen < 1 << 20) { out.push(c); outLen += c.length; } });
    p.stderr.on('data', (c: string) => err.push(c));
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      finish(() => reject(new ProverToolError(`${o.label} took longer than ${o.timeoutMs} ms on one batch (stopped)`)));
    }, o.timeoutMs);
    const onAbort = () => {
      p.kill('SIGKILL');
      finish(() => reject(abortError()));
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    p.on('error', (e) => finish(() => reject(new ProverToolError(`${o.label} could not run: ${e.message}`))));
    p.on('close', (code) => finish(() => resolve({ code, stdout: out.join(''), stderr: err.join('') })));
  });
}

/** Which batch file a diagnostic's path names (`.../c12.go` -> 12), or -1. */
export function fileIndex(path: string, ext: string): number {
  const m = new RegExp(`(?:^|[\\\\/])c(\\d+)${ext.replace('.', '\\.')}$`).exec(path.trim());
  return m ? Number(m[1]) : -1;
}

/** Splits files into one share per core (at most `max`), runs the tool once per share at the same time. */
export async function runShares(files: string[], max: number, run: (share: string[]) => Promise<ToolRun>): Promise<ToolRun[]> {
  const cores = Math.max(1, Math.min(max, availableParallelism()));
  const per = Math.max(1, Math.ceil(files.length / cores));
  const shares: string[][] = [];
  for (let k = 0; k < files.length; k += per) shares.push(files.slice(k, k + per));
  return Promise.all(shares.map(run));
}

/**
 * A prover whose tool reads files: the size check, a private scratch folder made on first use and
 * removed on dispose, the batches, and each batch written to its own folder (removed afterwards).
 * `check` runs the tool over the batch's files and reads one verdict per text.
 */
export function fileProver(
  meta: Pick<Prover, 'name' | 'firstErrorOnly' | 'precision' | 'batchExact'> & { ext: string; scratchTag: string; maxChars: number },
  check: (batch: string[], at: { dir: string; files: string[] }, o: { signal?: AbortSignal }) => Promise<ParseVerdict[]>,
  prepare: (text: string) => string = (t) => t,
): Prover {
  let scratch: string | undefined;
  return {
    name: meta.name,
    kind: 'native',
    firstErrorOnly: meta.firstErrorOnly,
    precision: meta.precision,
    ...(meta.batchExact ? { batchExact: true } : {}),
    async parse(texts, o = {}) {
      checkSizes(texts, meta.maxChars, meta.name);
      scratch ??= makeScratch(meta.scratchTag);
      const dir0 = scratch;
      return inBatches(texts, o.signal, async (batch) => {
        const at = writeBatch(dir0, batch.map(prepare), meta.ext);
        try {
          return await check(batch, at, o);
        } finally {
          removeBatch(at.dir);
        }
      });
    },
    dispose() {
      if (scratch) removeScratch(scratch);
      scratch = undefined;
    },
  };
}
