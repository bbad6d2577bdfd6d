/**
 * Route health for a whole delivery-consumer batch: one `acquireMany` for all of a batch's
 * deliveries to a route and one `releaseMany` for their results, instead of two object calls per
 * delivery (README "Cost per change, by design"). Each is a fold of the single-delivery
 * `acquire`/`release`, so every guarantee of those holds delivery by delivery: the breaker and its
 * single half-open probe, max-in-flight, the token bucket, Retry-After blocks, lease expiry, and
 * idempotent grants for lease ids asked for again.
 */
import {
  acquire, refill, release, wholeSeconds,
  type AttemptResult, type HealthConfig, type HealthEffects, type HealthState, type Permit,
} from "./route-health";

/** The longest a consumer may hold a granted attempt back before starting it (its start budget). */
export const MAX_START_WITHIN_MS = 5 * 60_000;

/** One ended attempt: the lease it held and what happened. */
export type LeaseResult = { leaseId: string; result: AttemptResult };

/**
 * Permits for `leaseIds`, in order. New leases are granted while the route allows (so the grants
 * are a prefix of the new ones), the rest are deferred; lease ids still held (an RPC retried
 * after a lost answer) get their grant again and spend nothing twice. Deferrals for the token
 * bucket are spread, the k-th refused lease waiting for the k-th next token, so a large batch
 * does not come back all at once to be refused again. `startWithinMs` is how long the consumer
 * may hold a granted attempt back before it starts (its connection slots): leases cover it, so
 * max-in-flight stays exact while attempts wait their turn.
 */
export function acquireMany(state: HealthState, cfg: HealthConfig, nowMs: number, leaseIds: readonly string[], startWithinMs = 0): { state: HealthState; permits: Permit[] } {
  if (!Number.isFinite(startWithinMs) || startWithinMs < 0 || startWithinMs > MAX_START_WITHIN_MS) throw new RangeError(`route health: startWithinMs must be 0 to ${MAX_START_WITHIN_MS}`);
  checkLeaseIds(leaseIds);
  let current = state;
  let rateRefusals = 0;
  const permits = leaseIds.map((leaseId): Permit => {
    const out = acquire(current, cfg, nowMs, leaseId, startWithinMs);
    current = out.state;
    const permit = out.permit;
    if (permit.ok || permit.reason !== "rate-limited" || cfg.rateLimitPerSecond === null) return permit;
    const tokens = refill(current.bucket, cfg.rateLimitPerSecond, nowMs)!.tokens;
    const waitMs = ((++rateRefusals - tokens) / cfg.rateLimitPerSecond) * 1000;
    return { ...permit, delaySeconds: wholeSeconds(waitMs) };
  });
  return { state: current, permits };
}

/**
 * The attempts under these leases ended, in this order (the consumer lists them as they finished),
 * and the `unused` leases were granted but never started (they count for nothing);
 * all count at `nowMs`, the time the object hears of them. The effects are those of the batch as
 * a whole, each reported once: `failing` when the breaker was closed before and is not after,
 * `recovered` the other way round, and the first reason to disable the route. A breaker that
 * opened and closed again within one batch was never open to any other caller (the fold runs
 * without interruption), so it reports nothing.
 */
export function releaseMany(state: HealthState, cfg: HealthConfig, results: readonly LeaseResult[], nowMs: number, unused: readonly string[] = []): { state: HealthState; effects: HealthEffects } {
  checkLeaseIds(results.map((r) => r.leaseId));
  checkLeaseIds(unused);
  // Granted but never started (the consumer ran out of start budget): freed, and nothing learnt.
  let current = returnUnused(state, unused);
  let disable: string | undefined;
  for (const { leaseId, result } of results) {
    const out = release(current, cfg, leaseId, result, nowMs);
    current = out.state;
    disable ??= out.effects.disable;
  }
  const effects: HealthEffects = {};
  const closedBefore = state.breaker === "closed";
  const closedAfter = current.breaker === "closed";
  if (closedBefore && !closedAfter) effects.transition = "failing";
  if (!closedBefore && closedAfter) effects.transition = "recovered";
  if (disable !== undefined) effects.disable = disable;
  return { state: current, effects };
}

/** Leases given back unused: capacity is freed; no attempt counts; an unused probe frees the probe slot. */
function returnUnused(state: HealthState, unused: readonly string[]): HealthState {
  if (unused.length === 0) return state;
  const leases = Object.fromEntries(Object.entries(state.leases).filter(([id]) => !unused.includes(id)));
  return { ...state, leases, probe: state.probe !== null && unused.includes(state.probe) ? null : state.probe };
}

function checkLeaseIds(ids: readonly string[]): void {
  // Callers are our own consumer; a bad id reaching here is a bug, not input to explain.
  if (!ids.every((id) => typeof id === "string" && id.length > 0 && id.length <= 128)) throw new RangeError("route health: lease ids must be strings of 1 to 128 characters");
}
