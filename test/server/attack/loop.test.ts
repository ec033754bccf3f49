// The server's own thread first where asked (TREASURE_WORKER_NICE): the model's and the analysis's
// threads run at a lower CPU priority (worker-limits.ts), and the benchmark's loop monitor (loop-monitor.ts) tells a block of the
// server's own work from time spent waiting for a CPU. Linux only (per-thread nice, /proc).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { startLoopMonitor } from '../../../language-server/src/loop-monitor';
import { WORKER_NICE } from '../../../language-server/src/worker-limits';
import type { LspClient } from '../lsp-client';
import { TINY_MODEL, codeActions, open, startServer } from './lib';

const linux = existsSync('/proc/thread-self/schedstat');
const clients: LspClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.shutdown()));
});

/** Nice value of every thread of a process, by thread id. */
function threadNices(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      out.set(Number(t), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread ended while listed
    }
  }
  return out;
}

describe('the server thread before the model', { skip: !linux && 'Linux only (/proc)' }, () => {
  test('TREASURE_WORKER_NICE: the model and analysis threads (and what they start) run at a lower priority than the server\'s thread', { timeout: 120_000 }, async (t) => {
    const own = threadNices(process.pid).get(process.pid)!;
    if (own >= WORKER_NICE) return t.skip(`this test runs at nice ${own} already`);
    const { client } = await startServer({ trusted: true, settings: { model: { path: TINY_MODEL } }, initSettings: { model: { path: TINY_MODEL } }, env: { TREASURE_WORKER_NICE: String(WORKER_NICE) } });
    clients.push(client);
    open(client, 'file:///prio/a.py', 'def f(x)\n    return x\n');
    await codeActions(client, 'file:///prio/a.py', 0); // the analysis thread
    // the model's thread (the quick fix the code action started may still hold it on a busy machine: the
    // server says so, -32803, and the request is asked again)
    for (let tries = 0; ; tries++) {
      try {
        await client.request('treasure/generate', { languageId: 'python', prompt: 'def g():\n', maxTokens: 4 });
        break;
      } catch (e) {
        if (!/-32803/.test(String((e as Error).message)) || tries >= 60) throw e;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const pid = client.proc.pid!;
    const nices = threadNices(pid);
    assert.equal(nices.get(pid), own, 'the server\'s own thread keeps its priority');
    const lowered = [...nices.values()].filter((n) => n >= WORKER_NICE).length;
    // the engine thread, the analysis thread and the model session's own threads
    assert.ok(lowered >= 2, `threads at nice >= ${WORKER_NICE}: ${lowered} of ${nices.size} (${JSON.stringify([...nices])})`);
  });

  test('the loop monitor counts a block of this thread\'s own work as running, not waiting', async () => {
    const monitor = startLoopMonitor();
    await new Promise((r) => setTimeout(r, 50)); // the histogram's and the monitor's first ticks
    monitor.take();
    await new Promise((r) => setTimeout(r, 30)); // after a reset the histogram's next tick starts it again
    // 120 ms of CPU on this thread (however long that takes on a busy machine)
    const cpu = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
    const start = cpu();
    let x = 0;
    while (cpu() - start < 120) for (let i = 0; i < 1e5; i++) x += i;
    assert.ok(x > 0);
    return new Promise<void>((resolve) => setTimeout(() => {
      const s = monitor.take();
      assert.ok(s.maxCpuBlockMs !== null && s.maxCpuBlockMs >= 100, JSON.stringify(s));
      assert.ok(s.longest && s.longest.wallMs >= 100 && s.longest.cpuMs >= 100, JSON.stringify(s));
      assert.ok(s.maxBlockMs >= 100, JSON.stringify(s));
      resolve();
    }, 30));
  });
});
