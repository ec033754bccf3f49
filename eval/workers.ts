// Parallel generation (--gen-workers N --threads K): N worker processes (gen-worker.ts; eval-worker.js in
// the bundle), each loading the product's engine (loadEngine: its own onnxruntime session with K intra-op
// threads, TREASURE_ORT_THREADS) and answering one request at a time. The pool is an EvalEngine: a suite
// that keeps N requests in flight (SuiteContext.engineJobs) gets them answered side by side; each request is
// independent and decoding is greedy, so the answers are the ones a single engine gives, in the suite's order.
// Workers can also run the stand-ins (oracle, null) over the same problems: a check of the pool itself.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { EvalEngine, EvalFixRequest, EvalFixResult, EvalGenerateRequest, EvalGenerateResult, MarkerMap } from './engine-adapter.js';
import type { HepLanguage } from './humanevalpack.js';
import { repoRoot } from './paths.js';

/** What a worker loads: the engine on a model folder, or a stand-in over the HumanEvalPack problems. */
export type WorkerInit =
  | { engine: 'engine'; modelDir: string; device: 'cpu' | 'gpu' | 'auto'; baseline?: boolean; branchTries?: number }
  | { engine: 'oracle' | 'null'; dataDir: string; languages: HepLanguage[]; limit?: number };

export type WorkerRequest =
  | { type: 'init'; init: WorkerInit }
  | { type: 'call'; id: number; op: 'fix' | 'generate' | 'markersAt'; req: unknown }
  | { type: 'exit' };

export type WorkerReply =
  | { type: 'ready'; kind: string; modelDir: string; device?: string }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: { name: string; message: string } };

/** The worker's entry file: the TypeScript one under tsx, the bundled one beside the bundle. */
function workerEntry(): { file: string; execArgv: string[] } {
  if (__filename.endsWith('.ts')) return { file: join(__dirname, 'gen-worker.ts'), execArgv: ['--import', 'tsx'] };
  return { file: join(__dirname, 'eval-worker.js'), execArgv: [] };
}

interface Slot { child: ChildProcess; busy: boolean; dead: boolean; id: number }
interface Job { id: number; op: 'fix' | 'generate' | 'markersAt'; req: unknown; resolve: (v: unknown) => void; reject: (e: Error) => void; slot?: Slot }

export interface PoolEngine extends EvalEngine {
  readonly workers: number;
  readonly threads: number;
  /** requests each worker answered */
  readonly answered: number[];
  close(): Promise<void>;
}

/** Starts N workers and waits until each has loaded its engine (rejects with the first worker's error). */
export async function startPool(init: WorkerInit, opts: { workers: number; threads: number; log?: (m: string) => void }): Promise<PoolEngine> {
  const { file, execArgv } = workerEntry();
  const n = Math.max(1, opts.workers);
  const slots: Slot[] = [];
  const queue: Job[] = [];
  const inflight = new Map<number, Job>();
  const answered = new Array<number>(n).fill(0);
  let nextId = 1;
  let closing = false;
  let ready: { kind: string; modelDir: string; device?: string } | undefined;

  const pump = () => {
    for (const s of slots) {
      if (s.busy || s.dead) continue;
      const job = queue.shift();
      if (!job) return;
      s.busy = true;
      job.slot = s;
      inflight.set(job.id, job);
      s.child.send({ type: 'call', id: job.id, op: job.op, req: job.req } satisfies WorkerRequest);
    }
    if (queue.length && slots.every((s) => s.dead)) for (const j of queue.splice(0)) j.reject(new Error('every generation worker has exited'));
  };

  const started = await Promise.allSettled(Array.from({ length: n }, (_, i) => new Promise<Slot>((resolveSlot, rejectSlot) => {
    const child = fork(file, [], {
      cwd: repoRoot, execArgv,
      env: { ...process.env, TREASURE_ORT_THREADS: String(Math.max(1, opts.threads)) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const slot: Slot = { child, busy: false, dead: false, id: i };
    let up = false;
    child.on('message', (m: WorkerReply) => {
      if (m.type === 'ready') { up = true; ready ??= m; resolveSlot(slot); return; }
      if (m.type === 'fatal') { rejectSlot(new Error(m.message)); return; }
      const job = inflight.get(m.id);
      if (!job) return;
      inflight.delete(m.id);
      slot.busy = false;
      answered[i]!++;
      if (m.ok) job.resolve(m.value);
      else job.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
      pump();
    });
    child.on('exit', (code, signal) => {
      slot.dead = true;
      if (!up) rejectSlot(new Error(`generation worker ${i} exited before it was ready (${signal ?? `exit ${code}`})`));
      for (const [id, job] of inflight) if (job.slot === slot) { inflight.delete(id); job.reject(new Error(`generation worker ${i} exited (${signal ?? `exit ${code}`})`)); }
      if (!closing) { opts.log?.(`generation worker ${i} exited (${signal ?? `exit ${code}`})`); pump(); }
    });
    child.send({ type: 'init', init } satisfies WorkerRequest);
  })));
  for (const r of started) if (r.status === 'fulfilled') slots.push(r.value);
  const close = async () => {
    closing = true;
    await Promise.all(slots.filter((s) => !s.dead).map((s) => new Promise<void>((res) => {
      s.child.once('exit', () => res());
      try { s.child.send({ type: 'exit' } satisfies WorkerRequest); } catch { s.child.kill(); }
      setTimeout(() => { if (!s.dead) s.child.kill('SIGKILL'); }, 5000).unref();
    })));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed || !ready) {
    await close();
    throw failed ? (failed.reason as Error) : new Error('no generation worker started');
  }
  const call = <R>(op: Job['op'], req: unknown) => new Promise<R>((resolve, reject) => {
    if (closing) { reject(new Error('the generation workers were closed')); return; }
    queue.push({ id: nextId++, op, req, resolve: resolve as (v: unknown) => void, reject });
    pump();
  });
  const r = ready;
  return {
    kind: r.kind, modelDir: r.modelDir, device: r.device, workers: n, threads: opts.threads, answered,
    fix: (req: EvalFixRequest) => call<EvalFixResult>('fix', req),
    generate: (req: EvalGenerateRequest) => call<EvalGenerateResult>('generate', req),
    markersAt: (req) => call<MarkerMap>('markersAt', req),
    close,
  };
}
