// The CPU priority of the server's worker threads (the model's, the analysis's).
// TREASURE_WORKER_NICE=N runs them at nice N (Linux, per thread; never higher than they run), so
// that the thread that reads the client's messages gets a CPU before a model step or a parse; child
// processes (the parsers that prove a fix) inherit it. Off by default: on the 2-core VM of the attack
// benchmark, shared with other jobs (load 10-12), nice 10 did not shorten the longest event-loop block
// (the server's thread never ran more than ~10 ms at a time; its blocks were waits for a CPU the other
// processes held) and made model requests slower (fuzz 67-131 s vs 56-78 s; more replies over 2 s).
// (Their memory is not capped: with resourceLimits { maxYoungGenerationSizeMb: 8 } the model's thread,
// searching fixes of a 300,000-character line, spent 3 minutes in garbage collection and was then
// terminated for reaching its limit. Their young generations grew to 32 MB in the soak and stayed; the
// attack benchmark's soak prints them.)
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value the test and the benchmark ask for with TREASURE_WORKER_NICE. */
export const WORKER_NICE = 10;

/** This thread's id on Linux (/proc/thread-self -> <pid>/task/<tid>), or undefined elsewhere. */
export function threadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isSafeInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** Lowers the calling thread's priority to `nice` (never raises it); returns the nice value it has. */
export function lowerThreadPriority(nice = Number(process.env.TREASURE_WORKER_NICE ?? 0)): number | undefined {
  const tid = threadId();
  if (tid === undefined || !Number.isFinite(nice)) return undefined;
  try {
    if (getPriority(tid) < nice) setPriority(tid, Math.min(19, nice));
    return getPriority(tid);
  } catch {
    return undefined;
  }
}
