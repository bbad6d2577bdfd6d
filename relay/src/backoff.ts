/**
 * Retry timing for the edge (pure: attempt number, a random number in [0, 1) and the clock are
 * parameters). Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter", 2015): many relays that failed together do not retry together.
 */

export type BackoffPolicy = { baseMs: number; capMs: number };
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/** Upper bound of the delay before retry `attempt` (1, 2, 3…): base·2^(attempt−1), at most cap. */
export function backoffCeilingMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30); // 2^30·base is far above any cap
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/**
 * Delay before retry `attempt`: full jitter under the ceiling, but never shorter than what the
 * server asked for with Retry-After (RFC 9110 §10.2.3), even when that is above the cap.
 */
export function retryDelayMs(attempt: number, random: number, retryAfterMs: number | null, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const jittered = Math.floor(random * backoffCeilingMs(attempt, policy));
  return retryAfterMs === null ? jittered : Math.max(jittered, retryAfterMs);
}

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Milliseconds from now, or
 * null when absent or unreadable (then plain backoff applies). A date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[A-Za-z]/.test(text)) return null; // "-1", "1.5": neither delay-seconds nor a date
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}
