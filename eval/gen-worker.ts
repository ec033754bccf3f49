// One generation worker (workers.ts starts N of them): loads the product's engine (or a stand-in), then
// answers the parent's requests one at a time over the IPC channel. Bundled as build/eval-kit/eval-worker.js.
import type { EvalEngine } from './engine-adapter.js';
import { loadEngine } from './engine-adapter.js';
import { loadProblems, type Problem } from './humanevalpack.js';
import { nullEngine, oracleEngine } from './stand-ins.js';
import type { WorkerReply, WorkerRequest } from './workers.js';

const send = (m: WorkerReply) => process.send!(m);
let engine: EvalEngine | undefined;

function errorOf(e: unknown): { name: string; message: string } {
  const x = e as Error;
  // InputError (engine.ts) does not set .name: its class name says what it is
  const name = x?.constructor?.name && x.constructor.name !== 'Error' ? x.constructor.name : (x?.name ?? 'Error');
  return { name, message: x?.message ?? String(e) };
}

process.on('message', (m: WorkerRequest) => {
  void (async () => {
    if (m.type === 'exit') { process.disconnect?.(); process.exit(0); }
    if (m.type === 'init') {
      try {
        const i = m.init;
        if (i.engine === 'engine') engine = await loadEngine({ modelDir: i.modelDir, device: i.device, baseline: i.baseline, branchTries: i.branchTries });
        else if (i.engine === 'oracle') {
          const problems: Problem[] = [];
          for (const l of i.languages) problems.push(...loadProblems(i.dataDir, l, i.limit));
          engine = oracleEngine(problems);
        } else engine = nullEngine();
        send({ type: 'ready', kind: engine.kind, modelDir: engine.modelDir, device: engine.device });
      } catch (e) {
        send({ type: 'fatal', message: (e as Error).message });
        process.exit(1);
      }
      return;
    }
    if (m.type === 'call') {
      try {
        if (!engine) throw new Error('worker not initialized');
        const value = m.op === 'fix' ? await engine.fix(m.req as never) : m.op === 'generate' ? await engine.generate(m.req as never) : await engine.markersAt(m.req as never);
        send({ type: 'result', id: m.id, ok: true, value });
      } catch (e) {
        send({ type: 'result', id: m.id, ok: false, error: errorOf(e) });
      }
    }
  })();
});
process.on('disconnect', () => process.exit(0));
