/**
 * The webhook attempts of one consumer invocation share a few connection slots. A Worker
 * invocation holds at most six outgoing connections open at once; further fetches wait in the
 * runtime's own queue while their timeout (AbortSignal.timeout, started at the call) already
 * runs, so a slow receiver's backlog would make other routes' attempts time out without ever
 * being sent. Here an attempt is started (and its timeout with it) only once it has a slot, and
 * one that cannot get a slot before the invocation's start deadline is not started at all: the
 * caller gives its lease back unused and defers it, which is not an attempt.
 * Pure: no I/O; the clock is a parameter.
 */

/** Workers' "simultaneous open connections" per invocation. */
export const MAX_CONCURRENT_ATTEMPTS = 6;
/** How long after an invocation starts its last attempt may still start. */
export const START_BUDGET_MS = 60_000;

export type PoolLimits = { concurrency: number; startBudgetMs: number };
export const DEFAULT_POOL_LIMITS: PoolLimits = { concurrency: MAX_CONCURRENT_ATTEMPTS, startBudgetMs: START_BUDGET_MS };

export type PoolOutcome<T> = { started: true; value: T } | { started: false };

export class AttemptPool {
  readonly #limit: number;
  readonly #deadlineMs: number;
  readonly #now: () => number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limits: PoolLimits, now: () => number) {
    if (!Number.isInteger(limits.concurrency) || limits.concurrency < 1) throw new RangeError("attempt pool: concurrency must be a whole number ≥ 1");
    if (!(limits.startBudgetMs >= 0)) throw new RangeError("attempt pool: startBudgetMs must be ≥ 0");
    this.#limit = limits.concurrency;
    this.#deadlineMs = now() + limits.startBudgetMs;
    this.#now = now;
  }

  /** How much longer an attempt granted now may wait for its slot: what its lease must cover. */
  startWithinMs(): number {
    return Math.max(0, this.#deadlineMs - this.#now());
  }

  /**
   * Runs `task` once a slot is free, in the order asked (first come, first served); answers
   * `{started: false}` without running it when its turn comes after the start deadline.
   */
  async run<T>(task: () => Promise<T>): Promise<PoolOutcome<T>> {
    if (this.#running < this.#limit) this.#running++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve)); // the slot is handed over
    try {
      if (this.#now() > this.#deadlineMs) return { started: false };
      return { started: true, value: await task() };
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
