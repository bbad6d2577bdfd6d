/**
 * Retry timing for a route: the delay before the next attempt after n failures, from the route's
 * schedule with ±20 % jitter, or null once the schedule is spent (then: dead letter). Pure.
 */

/** Cloudflare Queues' largest `delaySeconds` for send/retry (24 h): a longer delay is refused. */
export const MAX_DELAY_SECONDS = 86_400;

/** Jitter spreads retries of a burst that failed together, so a recovering receiver is not hit at once. */
export const JITTER = 0.2;

/**
 * @param schedule seconds to wait after the 1st, 2nd, … failed attempt (DESIGN.md "Webhooks": "retried on the route's schedule")
 * @param attemptsMade failed attempts so far, ≥ 1
 * @param random a uniform sample in [0, 1): 0 → −20 %, 0.5 → exact, →1 → +20 %
 * @returns whole seconds in [1, MAX_DELAY_SECONDS], or null when no attempt is left
 */
export function retryDelaySeconds(schedule: readonly number[], attemptsMade: number, random: number): number | null {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 1) throw new RangeError(`attemptsMade must be an integer ≥ 1, got ${attemptsMade}`);
  if (!(random >= 0 && random < 1)) throw new RangeError(`random must be in [0, 1), got ${random}`);
  if (attemptsMade > schedule.length) return null;
  const base = schedule[attemptsMade - 1]!;
  if (!Number.isFinite(base) || base < 0) throw new RangeError(`retry schedule entry ${attemptsMade} must be a finite number ≥ 0, got ${base}`);
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random));
  // At least 1 s: a zero delay would retry inside the same failure; at most what Queues accepts.
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, jittered));
}
