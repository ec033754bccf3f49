// The language server's handle on the engine: the engine in its own thread (engine-worker.ts, built to
// dist/engine-worker.js) where that file exists, else in this thread (the TypeScript sources under
// tsx, TREASURE_ENGINE_WORKER=0). The same calls either way; errors come back as the engine's classes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DecodeAbortedError } from './decode';
import { Engine, InputError, ModelError, type FixAtRequest, type FixOutcome, type FixRequest, type GenerateRequest, type GenerateResult } from './engine';
import type { Device, DeviceStatus } from './protocol';
import type { ErrorKind, WorkKind, WorkerReply, WorkerRequest } from './engine-worker';

export interface EngineHandle {
  readonly modelDir: string;
  readonly device: string;
  readonly deviceInfo?: DeviceStatus;
  /** false once the model's thread has stopped (the server loads the model again). */
  readonly alive?: boolean;
  fixDetailed(req: FixRequest): Promise<FixOutcome>;
  /** The fix of a target in the server's analysis (plain data: structured-cloned to the model's thread). */
  fixAt(req: FixAtRequest): Promise<FixOutcome>;
  generate(req: GenerateRequest): Promise<GenerateResult>;
  /** The model thread's V8 heap after a full collection (the attack benchmark's soak); absent in this thread. */
  memory?(): Promise<{ heapMB: number; youngMB: number; collected: boolean }>;
}

function rebuild(kind: ErrorKind, message: string): Error {
  if (kind === 'aborted') return new DecodeAbortedError();
  if (kind === 'input') return new InputError(message);
  if (kind === 'model') return new ModelError(message);
  return new Error(message);
}

function workerFile(): string | undefined {
  if (process.env.TREASURE_ENGINE_WORKER === '0' || typeof __dirname !== 'string') return undefined;
  const file = join(__dirname, 'engine-worker.js');
  return existsSync(file) ? file : undefined;
}

const workers = new Set<Worker>();
const loading = new Set<Promise<unknown>>();

/**
 * Stops every model thread before the process exits. A thread still creating its onnxruntime session
 * is let finish first: torn down under it (terminate, or process.exit) the native binding aborts the
 * whole process (SIGABRT, "throwing an instance of 'Napi::Error'"), and the client sees a crash.
 */
export async function stopEngines(): Promise<void> {
  await Promise.allSettled([...loading]);
  await Promise.all([...workers].map((w) => w.terminate().catch(() => undefined)));
}

/** Loads the model (ModelError when it is missing or broken), in a worker thread where one is built. */
export async function loadEngine(opts: { modelDir: string; device: Device }): Promise<EngineHandle> {
  const file = workerFile();
  if (!file) return Engine.load(opts);
  const worker = new Worker(file, { workerData: opts });
  workers.add(worker);
  worker.on('exit', () => workers.delete(worker));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let dead: Error | undefined;
  const ready = new Promise<{ modelDir: string; device: string; deviceInfo?: DeviceStatus }>((resolve, reject) => {
    worker.on('message', (m: WorkerReply) => {
      if ('ready' in m) resolve(m.ready as { modelDir: string; device: string; deviceInfo?: DeviceStatus });
      else if ('loadError' in m) {
        reject(rebuild(m.loadError.kind, m.loadError.message));
        void worker.terminate();
      } else {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if ('error' in m) p?.reject(rebuild(m.error.kind, m.error.message));
        else p?.resolve(m.value);
      }
    });
    const stop = (why: string) => {
      dead = new ModelError(`the model's thread stopped: ${why}`);
      reject(dead);
      for (const p of pending.values()) p.reject(dead);
      pending.clear();
    };
    worker.on('error', (e) => stop(e.message));
    worker.on('exit', (code) => stop(`exit code ${code}`));
  });
  loading.add(ready);
  const info = await ready.finally(() => loading.delete(ready));
  worker.unref(); // the server exits when its connection ends, whatever the model is doing
  let next = 1;
  const call = <T>(kind: WorkKind, req: FixRequest | FixAtRequest | GenerateRequest): Promise<T> => {
    if (dead) return Promise.reject(dead);
    const { signal, ...plain } = req;
    if (signal?.aborted) return Promise.reject(new DecodeAbortedError());
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const abort = () => worker.postMessage({ abort: id } satisfies WorkerRequest);
      signal?.addEventListener('abort', abort, { once: true });
      worker.postMessage({ id, kind, req: plain } satisfies WorkerRequest);
    });
  };
  const memory = () => {
    if (dead) return Promise.reject(dead);
    const id = next++;
    return new Promise<{ heapMB: number; youngMB: number; collected: boolean }>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ memory: id } satisfies WorkerRequest);
    });
  };
  return {
    ...info,
    memory,
    get alive() { return !dead; },
    fixDetailed: (req) => call<FixOutcome>('fix', req),
    // `since` is this thread's clock, not the worker's: the worker starts its own
    fixAt: ({ since: _since, ...req }) => call<FixOutcome>('fixAt', req),
    generate: (req) => call<GenerateResult>('generate', req),
  };
}
