// The model's queue in the language server. One model job runs at a time (the CPU is shared), and no
// request waits for its turn without bound:
// - what the user asked for (a resolve, a generation, Fix All) is 'interactive' and goes before the
//   speculative fixes that code-action lists start ('background'); an interactive job that arrives
//   while a background one runs stops it (the speculative fix is computed again when it is chosen);
// - every job has a latest start: one that cannot start by then is answered with BusyError, and one
//   that finds the queue already full is answered with it at once (the client may ask again);
// - identical jobs (the same key: the same fix of the same document revision) run once, and the
//   shared run stops only when every caller has let go of it.
import { DecodeAbortedError } from './decode';

export type Priority = 'interactive' | 'background';

/** A request that could not start within its budget: the server is busy, the client may ask again. */
export class BusyError extends Error {}

export interface JobOptions {
  /** The caller's cancellation: it stops waiting at once; the work stops when no caller wants it. */
  signal?: AbortSignal;
  priority?: Priority;
  /** The longest the job may wait for its turn (default: the queue's, by priority). */
  maxWaitMs?: number;
  /** Jobs with the same key share one run. */
  key?: string;
}

export interface QueueLimits {
  /** An interactive job that has not started after this long is answered with BusyError. */
  interactiveWaitMs: number;
  /** A background job that has not started after this long is dropped (BusyError). */
  backgroundWaitMs: number;
  /** A job that finds this many jobs of its priority or higher already waiting is refused at once. */
  maxPending: number;
}

export const DEFAULT_LIMITS: QueueLimits = { interactiveWaitMs: 1500, backgroundWaitMs: 1200, maxPending: 4 };

interface Job {
  label: string;
  key?: string;
  priority: Priority;
  fn: (signal: AbortSignal) => Promise<unknown>;
  ac: AbortController;
  /** Callers still waiting for the result. */
  waiters: number;
  queuedAt: number;
  latestStart: number;
  timer?: NodeJS.Timeout;
  started: boolean;
  done: Promise<unknown>;
  settle: { resolve: (v: unknown) => void; reject: (e: unknown) => void };
}

export interface QueueCounts {
  /** Jobs run (started). */
  run: number;
  /** Calls that joined an identical job instead of running their own. */
  coalesced: number;
  /** Calls answered BusyError (not started within their budget, or refused at once). */
  busy: number;
  /** Background jobs stopped because an interactive job arrived. */
  preempted: number;
  /** Jobs nobody wanted any more before they started (every caller cancelled). */
  cancelled: number;
}

export class ModelQueue {
  private readonly pending: Job[] = [];
  private running: Job | undefined;
  private readonly byKey = new Map<string, Job>();
  readonly counts: QueueCounts = { run: 0, coalesced: 0, busy: 0, preempted: 0, cancelled: 0 };
  /** Per label: the longest wait for a turn and the longest run (the benchmark prints them). */
  readonly longest = new Map<string, { waitMs: number; runMs: number }>();

  constructor(private readonly limits: QueueLimits = DEFAULT_LIMITS) {}

  /** Jobs waiting for their turn (not the running one). */
  get waiting(): number {
    return this.pending.length;
  }

  /** Runs `fn` when its turn comes; `label` names the kind of job in the counts. */
  run<T>(label: string, fn: (signal: AbortSignal) => Promise<T>, opts: JobOptions = {}): Promise<T> {
    if (opts.signal?.aborted) return Promise.reject(new DecodeAbortedError());
    const priority = opts.priority ?? 'interactive';
    const maxWait = opts.maxWaitMs ?? (priority === 'interactive' ? this.limits.interactiveWaitMs : this.limits.backgroundWaitMs);
    const now = performance.now();
    const same = opts.key === undefined ? undefined : this.byKey.get(opts.key);
    if (same) {
      this.counts.coalesced++;
      same.waiters++;
      if (!same.started) {
        if (priority === 'interactive' && same.priority === 'background') {
          same.priority = 'interactive';
          this.sort();
        }
        if (now + maxWait > same.latestStart) this.arm(same, now + maxWait);
      } else if (priority === 'interactive' && same.priority === 'background') {
        same.priority = 'interactive'; // someone waits for it now: never preempted
      }
      return this.wait(same, opts.signal) as Promise<T>;
    }
    const ahead = this.pending.filter((j) => priority === 'background' || j.priority === 'interactive').length;
    if (ahead >= this.limits.maxPending) {
      this.counts.busy++;
      return Promise.reject(this.busy(label, ahead));
    }
    let settle!: Job['settle'];
    const done = new Promise<unknown>((resolve, reject) => { settle = { resolve, reject }; });
    done.catch(() => undefined); // a job whose callers all left may still fail: nobody is told
    const job: Job = { label, key: opts.key, priority, fn: fn as Job['fn'], ac: new AbortController(), waiters: 1, queuedAt: now, latestStart: 0, started: false, done, settle };
    if (job.key !== undefined) this.byKey.set(job.key, job);
    this.pending.push(job);
    this.sort();
    this.arm(job, now + maxWait);
    if (priority === 'interactive' && this.running?.priority === 'background') {
      this.counts.preempted++;
      this.running.ac.abort();
    }
    const waited = this.wait(job, opts.signal) as Promise<T>;
    this.next();
    return waited;
  }

  private busy(label: string, ahead: number): BusyError {
    return new BusyError(`Treasure is busy: ${ahead} model request${ahead === 1 ? '' : 's'} ahead of this ${label}${this.running ? ` and one running (${this.running.label})` : ''}; try again in a moment`);
  }

  /** Interactive jobs first, then background ones; arrival order within each. */
  private sort(): void {
    const rank = (j: Job) => (j.priority === 'interactive' ? 0 : 1);
    const order = new Map(this.pending.map((j, i) => [j, i]));
    this.pending.sort((a, b) => rank(a) - rank(b) || order.get(a)! - order.get(b)!);
  }

  /** (Re)sets a waiting job's latest start: past it, the job is answered BusyError and dropped. */
  private arm(job: Job, latestStart: number): void {
    if (job.timer) clearTimeout(job.timer);
    job.latestStart = latestStart;
    job.timer = setTimeout(() => {
      if (job.started) return;
      const ahead = this.pending.indexOf(job);
      this.remove(job);
      this.counts.busy++;
      job.settle.reject(this.busy(job.label, Math.max(0, ahead)));
    }, Math.max(0, latestStart - performance.now()));
  }

  private remove(job: Job): void {
    const i = this.pending.indexOf(job);
    if (i >= 0) this.pending.splice(i, 1);
    if (job.key !== undefined && this.byKey.get(job.key) === job) this.byKey.delete(job.key);
    if (job.timer) clearTimeout(job.timer);
  }

  /** One caller's view of a job: it rejects at once when that caller cancels. */
  private wait(job: Job, signal?: AbortSignal): Promise<unknown> {
    if (!signal) return job.done;
    return new Promise((resolve, reject) => {
      const leave = () => {
        reject(new DecodeAbortedError());
        if (--job.waiters > 0) return;
        // nobody wants it: a waiting job is dropped, a running one stops at its next abort check
        if (!job.started) {
          this.remove(job);
          this.counts.cancelled++;
          job.settle.reject(new DecodeAbortedError());
        } else job.ac.abort();
      };
      signal.addEventListener('abort', leave, { once: true });
      job.done.then(resolve, reject).finally(() => signal.removeEventListener('abort', leave));
    });
  }

  private next(): void {
    if (this.running) return;
    const job = this.pending.shift();
    if (!job) return;
    if (job.timer) clearTimeout(job.timer);
    job.started = true;
    this.running = job;
    this.counts.run++;
    const t0 = performance.now();
    const waitMs = t0 - job.queuedAt;
    const finish = () => {
      const l = this.longest.get(job.label) ?? { waitMs: 0, runMs: 0 };
      this.longest.set(job.label, { waitMs: Math.max(l.waitMs, Math.round(waitMs)), runMs: Math.max(l.runMs, Math.round(performance.now() - t0)) });
      if (job.key !== undefined && this.byKey.get(job.key) === job) this.byKey.delete(job.key);
      this.running = undefined;
      this.next();
    };
    let work: Promise<unknown>;
    try {
      work = job.ac.signal.aborted ? Promise.reject(new DecodeAbortedError()) : job.fn(job.ac.signal);
    } catch (e) {
      work = Promise.reject(e);
    }
    work.then(job.settle.resolve, job.settle.reject).finally(finish);
  }
}
