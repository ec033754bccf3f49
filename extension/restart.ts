// When to restart the language server after it dies: a bounded number of times within a window,
// then stop and say so. Pure (the clock is passed in), so it is unit-tested under node.

export interface RestartDecision {
  restart: boolean;
  /** Crashes counted in the current window, this one included. */
  crashes: number;
  /** Shown to the user when the server is not restarted. */
  message?: string;
}

export class RestartPolicy {
  private crashes: number[] = [];

  constructor(
    readonly maxRestarts = 4,
    readonly windowMs = 3 * 60_000,
  ) {}

  /** Record a crash at time `now` (ms) and decide. */
  onCrash(now: number): RestartDecision {
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    const n = this.crashes.length;
    if (n <= this.maxRestarts) return { restart: true, crashes: n };
    const minutes = Math.round(this.windowMs / 60_000);
    return {
      restart: false,
      crashes: n,
      message:
        `The Treasure language server crashed ${n} times in the last ${minutes} minutes and will not be restarted. ` +
        `See "Treasure: Show Output" for its log, then run "Treasure: Restart Server".`,
    };
  }

  /** A deliberate (re)start: the count starts over. */
  reset(): void {
    this.crashes = [];
  }
}
