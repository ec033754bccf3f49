// What the server's worker threads (the model's, the analysis's) may take.
// CPU: they run at a lower priority than the server's own thread (nice +10 on Linux, per thread): on a
// busy machine the thread that reads the client's messages, answers cancellations and lists code
// actions gets a CPU first, and a model step or a parse waits instead. Child processes (the parsers
// that prove a fix) inherit it from the thread that starts them. TREASURE_WORKER_NICE=0 keeps the
// normal priority.
// Memory: each thread is a V8 heap of its own, whose young generation grows with the allocation rate
// (the model's thread to 32 MB, where the live heap is ~10 MB) and stays there: the soak saw RSS climb
// ~40 MB over its first 10,000 requests with flat live heaps. A worker's young generation is capped.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';

/** For new Worker(..., { resourceLimits }): a young generation of at most this many MB. */
export const WORKER_RESOURCE_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 8 };

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
export function lowerThreadPriority(nice = Number(process.env.TREASURE_WORKER_NICE ?? WORKER_NICE)): number | undefined {
  const tid = threadId();
  if (tid === undefined || !Number.isFinite(nice)) return undefined;
  try {
    if (getPriority(tid) < nice) setPriority(tid, Math.min(19, nice));
    return getPriority(tid);
  } catch {
    return undefined;
  }
}
