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

/** One ended attempt: the lease it held and what happened. */
export type LeaseResult = { leaseId: string; result: AttemptResult };

/**
 * Permits for `leaseIds`, in order. New leases are granted while the route allows (so the grants
 * are a prefix of the new ones), the rest are deferred; lease ids still held (an RPC retried
 * after a lost answer) get their grant again and spend nothing twice. Deferrals for the token
 * bucket are spread, the k-th refused lease waiting for the k-th next token, so a large batch
 * does not come back all at once to be refused again.
 */
export function acquireMany(state: HealthState, cfg: HealthConfig, nowMs: number, leaseIds: readonly string[]): { state: HealthState; permits: Permit[] } {
  checkLeaseIds(leaseIds);
  let current = state;
  let rateRefusals = 0;
  const permits = leaseIds.map((leaseId): Permit => {
    const out = acquire(current, cfg, nowMs, leaseId);
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
 * The attempts under these leases ended, in this order (the consumer lists them as they finished);
 * all count at `nowMs`, the time the object hears of them. The effects are those of the batch as
 * a whole, each reported once: `failing` when the breaker was closed before and is not after,
 * `recovered` the other way round, and the first reason to disable the route. A breaker that
 * opened and closed again within one batch was never open to any other caller (the fold runs
 * without interruption), so it reports nothing.
 */
export function releaseMany(state: HealthState, cfg: HealthConfig, results: readonly LeaseResult[], nowMs: number): { state: HealthState; effects: HealthEffects } {
  checkLeaseIds(results.map((r) => r.leaseId));
  let current = state;
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

function checkLeaseIds(ids: readonly string[]): void {
  // Callers are our own consumer; a bad id reaching here is a bug, not input to explain.
  if (!ids.every((id) => typeof id === "string" && id.length > 0 && id.length <= 128)) throw new RangeError("route health: lease ids must be strings of 1 to 128 characters");
}
