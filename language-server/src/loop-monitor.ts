// How long the server's event loop was held up, and why: for the attack benchmark (bench/attack.ts,
// TREASURE_LOOP_STATS=1), never on in normal use. A block seen by the event-loop delay histogram is
// either this thread running (our code: a parse, a JSON.parse, a synchronous write) or this thread
// ready but not given a CPU (the machine's other processes, or the server's own model and analysis
// threads). Linux's /proc/thread-self/schedstat tells the two apart: time on a CPU and time waiting
// in the run queue, in nanoseconds, for this thread alone.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

const TICK_MS = 10;

export interface LoopStats {
  /** The longest event-loop delay (ms) since the last take(), from the histogram (wall clock). */
  maxBlockMs: number;
  p99Ms: number;
  /** The longest gap between two 10 ms ticks: wall ms, of which this thread ran cpuMs and waited for a CPU waitMs. */
  longest: { wallMs: number; cpuMs: number; waitMs: number } | null;
  /** The most CPU time this thread spent between two ticks: the longest stretch of its own work. */
  maxCpuBlockMs: number | null;
  rssMB: number;
  heapMB: number;
}

function schedstat(): [number, number] | null {
  try {
    const [cpu, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return Number.isFinite(cpu) && Number.isFinite(wait) ? [cpu! / 1e6, wait! / 1e6] : null;
  } catch {
    return null;
  }
}

/** Starts measuring; take() returns the figures since the previous take() and starts over. */
export function startLoopMonitor(): { take: () => LoopStats } {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  let last = performance.now();
  let lastSched = schedstat();
  let longest: LoopStats['longest'] = null;
  let maxCpu = 0;
  setInterval(() => {
    const now = performance.now();
    const sched = schedstat();
    if (sched && lastSched) {
      const wallMs = now - last - TICK_MS;
      const cpuMs = sched[0] - lastSched[0];
      if (!longest || wallMs > longest.wallMs) longest = { wallMs: Math.round(wallMs), cpuMs: Math.round(cpuMs), waitMs: Math.round(sched[1] - lastSched[1]) };
      maxCpu = Math.max(maxCpu, cpuMs);
    }
    last = now;
    lastSched = sched;
  }, TICK_MS).unref();
  return {
    take: () => {
      const m = process.memoryUsage();
      const r: LoopStats = {
        maxBlockMs: Math.round(h.max / 1e6),
        p99Ms: Math.round(h.percentile(99) / 1e6),
        longest,
        maxCpuBlockMs: lastSched ? Math.round(maxCpu) : null,
        rssMB: Math.round(m.rss / 2 ** 20),
        heapMB: Math.round(m.heapUsed / 2 ** 20),
      };
      h.reset();
      longest = null;
      maxCpu = 0;
      return r;
    },
  };
}

/** This thread's V8 heap after a full collection where gc is exposed (node --expose-gc: the attack
 * benchmark's soak), and the size of its young generation (committed, collected or not). */
export function threadMemory(): { heapMB: number; youngMB: number; collected: boolean } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const young = getHeapSpaceStatistics().filter((s) => s.space_name === 'new_space' || s.space_name === 'new_large_object_space').reduce((n, s) => n + s.space_size, 0);
  const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  return { heapMB: mb(process.memoryUsage().heapUsed), youngMB: mb(young), collected: !!gc };
}
