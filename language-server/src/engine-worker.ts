// The model's thread (dist/engine-worker.js): onnxruntime-node runs a model step synchronously, and a
// prompt's prefill or a fix's re-parse can take hundreds of milliseconds, so the language server keeps
// its engine here and its own event loop free (cancellation, typing, other requests answered at once).
// Messages: the host sends { id, kind: 'fix' | 'fixAt' | 'generate', req } and { abort: id }; the worker answers
// { ready } or { loadError } once, then { id, value } or { id, error } per request.
import { parentPort, workerData } from 'node:worker_threads';
import { DecodeAbortedError } from './decode';
import { Engine, InputError, ModelError, type EngineOptions } from './engine';
import { lowerThreadPriority } from './worker-limits';
import { threadMemory } from './loop-monitor';

export type WorkerRequest = { id: number; kind: WorkKind; req: object } | { abort: number } | { memory: number };
/** fix: Engine.fixDetailed (text in); fixAt: Engine.fixAt (the server's analysis and target in); generate. */
export type WorkKind = 'fix' | 'fixAt' | 'generate';
export type ErrorKind = 'aborted' | 'input' | 'model' | 'other';
export type WorkerReply =
  | { ready: { modelDir: string; device: string; deviceInfo?: unknown } }
  | { loadError: { kind: ErrorKind; message: string } }
  | { id: number; value: unknown }
  | { id: number; error: { kind: ErrorKind; message: string } };

export function errorKind(e: unknown): ErrorKind {
  return e instanceof DecodeAbortedError ? 'aborted' : e instanceof InputError ? 'input' : e instanceof ModelError ? 'model' : 'other';
}

async function serve(): Promise<void> {
  const port = parentPort!;
  const send = (m: WorkerReply) => port.postMessage(m);
  lowerThreadPriority(); // before the model's session makes its own threads: they inherit it
  let engine: Engine;
  try {
    engine = await Engine.load(workerData as EngineOptions);
  } catch (e) {
    send({ loadError: { kind: errorKind(e), message: (e as Error).message } });
    return;
  }
  send({ ready: { modelDir: engine.modelDir, device: engine.device, deviceInfo: engine.deviceInfo } });
  const running = new Map<number, AbortController>();
  port.on('message', (m: WorkerRequest) => {
    if ('memory' in m) {
      send({ id: m.memory, value: threadMemory() });
      return;
    }
    if ('abort' in m) {
      running.get(m.abort)?.abort();
      return;
    }
    const ac = new AbortController();
    running.set(m.id, ac);
    const req = { ...m.req, signal: ac.signal };
    const work =
      m.kind === 'fix' ? engine.fixDetailed(req as Parameters<Engine['fixDetailed']>[0])
        : m.kind === 'fixAt' ? engine.fixAt(req as Parameters<Engine['fixAt']>[0])
          : engine.generate(req as Parameters<Engine['generate']>[0]);
    work.then(
      (value) => send({ id: m.id, value }),
      (e: unknown) => send({ id: m.id, error: { kind: errorKind(e), message: (e as Error)?.message ?? String(e) } }),
    ).finally(() => running.delete(m.id));
  });
}

if (parentPort) void serve();
