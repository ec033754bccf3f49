// The model's and the analysis's threads run at a lower CPU priority than the server's own thread
// (nice +10 on Linux, per thread): on a busy machine the thread that reads the client's messages,
// answers cancellations and lists code actions gets a CPU first, and a model step or a parse waits
// instead. Child processes (the parsers that prove a fix) inherit it from the thread that starts them.
// TREASURE_WORKER_NICE=0 keeps the normal priority.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

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
