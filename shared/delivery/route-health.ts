/**
 * Route health: what every delivery-consumer invocation shares about one route (README "Delivery
 * guarantees"): circuit breaker, token bucket, in-flight leases, Retry-After blocks, and the
 * failing-since clock behind auto-disable. A pure state machine: time and lease ids are parameters.
 */
import { AUTO_DISABLE_AFTER_SECONDS, type BreakerSettings } from "../routing/route";
import type { AttemptOutcome } from "./message";
import { MAX_RETRY_AFTER_SECONDS } from "./retry-after";
import { MAX_DELAY_SECONDS } from "./schedule";

export const HEALTH_STATE_VERSION = 1;
/** A lease outlives the attempt's timeout by this much, so a crashed consumer cannot hold capacity for ever. */
export const LEASE_GRACE_MS = 5_000;
/** A 429 without Retry-After, or a timeout, blocks the route this long: the receiver is saturated. */
export const PENALTY_SECONDS = 60;
/** Wait when max-in-flight is reached: an attempt in flight usually ends within it. */
export const IN_FLIGHT_WAIT_SECONDS = 2;
/** Wait while the half-open probe is out: it answers within the route's timeout. */
export const PROBE_WAIT_SECONDS = 5;
/** The failure-rate window keeps at most this many buckets, whatever windowSeconds is. */
export const MAX_WINDOW_BUCKETS = 60;
export const GONE_REASON = "receiver answered 410 Gone";
export const FAILING_TOO_LONG_REASON = `failing for ${AUTO_DISABLE_AFTER_SECONDS / 86_400} days without a success`;

/** What route health needs from a route: pick these fields so its secrets never reach the object. */
export type HealthConfig = { breaker: BreakerSettings; rateLimitPerSecond: number | null; maxInFlight: number | null; timeoutMs: number };
export type BreakerState = "closed" | "open" | "half-open";
/** Attempts and failures that ended in [at, at + bucket width). */
export type WindowBucket = { at: number; attempts: number; failures: number };

/** Stored as one JSON row. Times are Unix ms. A change of shape bumps `v`. */
export type HealthState = {
  v: typeof HEALTH_STATE_VERSION;
  breaker: BreakerState;
  openedAt: number | null;
  /** Failures since the last success. */
  consecutiveFailures: number;
  window: WindowBucket[];
  /** null: full (or no rate limit). `rate` is the rate it last refilled at. */
  bucket: { tokens: number; updatedAt: number; rate: number } | null;
  /** Lease id → expiry. */
  leases: Record<string, number>;
  /** The lease of the one attempt allowed while half-open. */
  probe: string | null;
  /** No attempt before this (Retry-After, or the penalty). */
  blockedUntil: number | null;
  /** First failure after the last success: the auto-disable clock. */
  failingSince: number | null;
  lastSuccessAt: number | null;
};

export type DeferReason = "breaker-open" | "half-open-probe-busy" | "rate-limited" | "max-in-flight" | "retry-after";
export type Permit = { ok: true; leaseId: string; probe: boolean } | { ok: false; delaySeconds: number; reason: DeferReason };
export type AttemptResult = { outcome: AttemptOutcome; httpStatus?: number; retryAfterSeconds?: number | null };
export type HealthEffects = { transition?: "failing" | "recovered"; disable?: string };

export function initialHealth(): HealthState {
  return { v: HEALTH_STATE_VERSION, breaker: "closed", openedAt: null, consecutiveFailures: 0, window: [], bucket: null, leases: {}, probe: null, blockedUntil: null, failingSince: null, lastSuccessAt: null };
}

/** The four fields of a route (e.g. a DeliveryTarget) that route health reads, and nothing else. */
export function healthConfigOf(route: HealthConfig): HealthConfig {
  return { breaker: route.breaker, rateLimitPerSecond: route.rateLimitPerSecond, maxInFlight: route.maxInFlight, timeoutMs: route.timeoutMs };
}

/**
 * May one attempt start now? Checks, in order: a receiver's block, the breaker (open until the
 * cooldown ends, then half-open with one probe at a time), max-in-flight, the token bucket. A
 * grant holds a lease until `release` or its expiry. Asking again with a lease id that is still
 * held (an RPC retried after a lost answer) returns the same grant and spends nothing twice.
 * A refusal returns the state unchanged: everything it computed follows from the clock alone.
 */
export function acquire(state: HealthState, cfg: HealthConfig, nowMs: number, leaseId: string, startWithinMs = 0): { state: HealthState; permit: Permit } {
  checkConfig(cfg);
  const leases = liveLeases(state.leases, nowMs);
  const probe = state.probe !== null && Object.hasOwn(leases, state.probe) ? state.probe : null;
  // A consumer that may hold an attempt back (its connection slots are busy) says for how long:
  // the lease covers that wait, then the attempt's timeout, then the grace.
  const expiresAt = nowMs + startWithinMs + cfg.timeoutMs + LEASE_GRACE_MS;
  if (Object.hasOwn(leases, leaseId)) {
    return { state: { ...state, leases: { ...leases, [leaseId]: expiresAt }, probe }, permit: { ok: true, leaseId, probe: probe === leaseId } };
  }
  const refuse = (reason: DeferReason, waitMs: number) => ({ state, permit: { ok: false as const, reason, delaySeconds: wholeSeconds(waitMs) } });

  if (state.blockedUntil !== null && nowMs < state.blockedUntil) return refuse("retry-after", state.blockedUntil - nowMs);
  let breaker = state.breaker;
  if (breaker === "open") {
    const halfOpensAt = (state.openedAt ?? nowMs) + cfg.breaker.cooldownSeconds * 1000;
    if (nowMs < halfOpensAt) return refuse("breaker-open", halfOpensAt - nowMs);
    breaker = "half-open";
  }
  if (breaker === "half-open" && probe !== null) return refuse("half-open-probe-busy", PROBE_WAIT_SECONDS * 1000);
  // Attempts still running from before the breaker opened count too: the probe respects the cap.
  if (cfg.maxInFlight !== null && Object.keys(leases).length >= cfg.maxInFlight) return refuse("max-in-flight", IN_FLIGHT_WAIT_SECONDS * 1000);
  const bucket = refill(state.bucket, cfg.rateLimitPerSecond, nowMs);
  // The epsilon absorbs float drift in the refill, so a token due "now" is not refused for 1e-15.
  if (bucket !== null && bucket.tokens < 1 - 1e-9) return refuse("rate-limited", ((1 - bucket.tokens) / bucket.rate) * 1000);

  const isProbe = breaker === "half-open";
  return {
    state: {
      ...state,
      breaker,
      leases: { ...leases, [leaseId]: expiresAt },
      probe: isProbe ? leaseId : probe,
      bucket: bucket && { ...bucket, tokens: Math.max(0, bucket.tokens - 1) },
    },
    permit: { ok: true, leaseId, probe: isProbe },
  };
}

/**
 * An attempt ended: free its lease and learn from the outcome. A lease that is unknown or
 * expired is not freed twice, but its outcome still counts: the request did happen.
 */
export function release(state: HealthState, cfg: HealthConfig, leaseId: string, result: AttemptResult, nowMs: number): { state: HealthState; effects: HealthEffects } {
  checkConfig(cfg);
  const { [leaseId]: _released, ...leases } = liveLeases(state.leases, nowMs);
  // The probe's answer counts as the probe's even after its lease expired, unless a new probe replaced it.
  const wasProbe = state.probe === leaseId;
  const probe = !wasProbe && state.probe !== null && Object.hasOwn(leases, state.probe) ? state.probe : null;
  const failed = result.outcome !== "delivered";
  const window = recordAttempt(state.window, cfg.breaker.windowSeconds, nowMs, failed);
  const blockedUntil = state.blockedUntil !== null && state.blockedUntil > nowMs ? state.blockedUntil : null;
  const effects: HealthEffects = {};

  if (!failed) {
    // Any 2xx is proof of life, even from an attempt that started before the breaker opened.
    if (state.breaker !== "closed") effects.transition = "recovered";
    // A fresh window after recovery: the failures that opened the breaker must not re-open it at once.
    return {
      state: { ...state, leases, probe: null, blockedUntil, breaker: "closed", openedAt: null, consecutiveFailures: 0, failingSince: null, lastSuccessAt: nowMs, window: state.breaker === "closed" ? window : [] },
      effects,
    };
  }

  let next: HealthState = { ...state, leases, probe, window, consecutiveFailures: state.consecutiveFailures + 1, failingSince: state.failingSince ?? nowMs };
  if (state.breaker === "half-open" && wasProbe) {
    next = { ...next, breaker: "open", openedAt: nowMs, window: [] };
  } else if (state.breaker === "closed" && tripped(next, cfg.breaker, nowMs)) {
    next = { ...next, breaker: "open", openedAt: nowMs, window: [], probe: null };
    effects.transition = "failing";
  }
  const block = blockSeconds(result);
  next.blockedUntil = block > 0 ? Math.max(blockedUntil ?? 0, nowMs + block * 1000) : blockedUntil;
  if (result.httpStatus === 410) effects.disable = GONE_REASON;
  else if (nowMs - next.failingSince! >= AUTO_DISABLE_AFTER_SECONDS * 1000) effects.disable = FAILING_TOO_LONG_REASON;
  return { state: next, effects };
}

export type HealthView = {
  breaker: BreakerState;
  openedAt: string | null;
  consecutiveFailures: number;
  inFlight: number;
  probeInFlight: boolean;
  /** Whole tokens available now; null without a rate limit (or a full bucket never used). */
  tokens: number | null;
  blockedUntil: string | null;
  failingSince: string | null;
  lastSuccessAt: string | null;
};

/** The admin API's view (RFC 3339 times): what an operator needs to see why deliveries wait. */
export function describeHealth(state: HealthState, nowMs: number): HealthView {
  const leases = liveLeases(state.leases, nowMs);
  const bucket = state.bucket && refill(state.bucket, state.bucket.rate, nowMs);
  return {
    breaker: state.breaker,
    openedAt: iso(state.openedAt),
    consecutiveFailures: state.consecutiveFailures,
    inFlight: Object.keys(leases).length,
    probeInFlight: state.probe !== null && Object.hasOwn(leases, state.probe),
    tokens: bucket ? Math.floor(bucket.tokens + 1e-9) : null,
    blockedUntil: state.blockedUntil !== null && state.blockedUntil > nowMs ? iso(state.blockedUntil) : null,
    failingSince: iso(state.failingSince),
    lastSuccessAt: iso(state.lastSuccessAt),
  };
}

/**
 * The part of the state whose loss on a restart would change a decision. The object writes its
 * row only when this changes, not on every lease: a healthy route then costs about one row write
 * a minute (lastSuccessAt to the minute) instead of two per delivery. Leases, tokens and the
 * failure-rate window rebuild within one timeout, one second, one window.
 */
export function durableKey(state: HealthState): string {
  const { breaker, openedAt, consecutiveFailures, probe, blockedUntil, failingSince, lastSuccessAt } = state;
  return JSON.stringify([breaker, openedAt, consecutiveFailures, probe, blockedUntil, failingSince, lastSuccessAt === null ? null : Math.floor(lastSuccessAt / 60_000)]);
}

/** Seconds to block after this result: Retry-After on 429/503 (RFC 9110 §10.2.3), else the penalty, else 0. */
function blockSeconds(result: AttemptResult): number {
  const status = result.httpStatus;
  if ((status === 429 || status === 503) && typeof result.retryAfterSeconds === "number") return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, result.retryAfterSeconds));
  if (status === 429 || result.outcome === "timeout") return PENALTY_SECONDS;
  return 0;
}

function tripped(state: HealthState, b: BreakerSettings, nowMs: number): boolean {
  if (state.consecutiveFailures >= b.consecutiveFailures) return true;
  let attempts = 0;
  let failures = 0;
  for (const bucket of state.window) {
    if (bucket.at <= nowMs - b.windowSeconds * 1000) continue;
    attempts += bucket.attempts;
    failures += bucket.failures;
  }
  return attempts >= b.minimumAttempts && failures * 100 >= b.failureRatePercent * attempts;
}

/** Counts one attempt in its bucket and drops buckets older than the window: bounded memory. */
function recordAttempt(window: WindowBucket[], windowSeconds: number, nowMs: number, failed: boolean): WindowBucket[] {
  const width = Math.ceil(windowSeconds / MAX_WINDOW_BUCKETS) * 1000;
  const at = Math.floor(nowMs / width) * width;
  const kept = window.filter((b) => b.at > nowMs - windowSeconds * 1000 && b.at !== at);
  const current = window.find((b) => b.at === at) ?? { at, attempts: 0, failures: 0 };
  const updated = { at, attempts: current.attempts + 1, failures: current.failures + (failed ? 1 : 0) };
  return [...kept, updated].sort((x, y) => x.at - y.at).slice(-MAX_WINDOW_BUCKETS);
}

/** Capacity max(1, rate): a rate below 1/s still lets one attempt through when its token is due. */
export function refill(bucket: HealthState["bucket"], rate: number | null, nowMs: number): HealthState["bucket"] {
  if (rate === null) return null;
  const capacity = Math.max(1, rate);
  if (bucket === null) return { tokens: capacity, updatedAt: nowMs, rate };
  // A clock that steps back (the object moved) refills nothing rather than draining tokens.
  const elapsedMs = Math.max(0, nowMs - bucket.updatedAt);
  return { tokens: Math.min(capacity, bucket.tokens + (elapsedMs / 1000) * rate), updatedAt: Math.max(nowMs, bucket.updatedAt), rate };
}

function liveLeases(leases: Record<string, number>, nowMs: number): Record<string, number> {
  return Object.fromEntries(Object.entries(leases).filter(([, expiresAt]) => expiresAt > nowMs));
}

/** Queue delays are whole seconds in [1, 24 h]; a zero delay would come straight back to a refusal. */
export function wholeSeconds(ms: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(Math.round(ms) / 1000)));
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function checkConfig(cfg: HealthConfig): void {
  const b = cfg.breaker;
  const rules: [ok: boolean, rule: string][] = [
    [cfg.rateLimitPerSecond === null || (Number.isFinite(cfg.rateLimitPerSecond) && cfg.rateLimitPerSecond > 0), "rateLimitPerSecond must be > 0 or null"],
    [cfg.maxInFlight === null || (Number.isInteger(cfg.maxInFlight) && cfg.maxInFlight >= 1), "maxInFlight must be an integer ≥ 1 or null"],
    [Number.isFinite(cfg.timeoutMs) && cfg.timeoutMs >= 0, "timeoutMs must be ≥ 0"],
    [Number.isInteger(b.consecutiveFailures) && b.consecutiveFailures >= 1, "breaker.consecutiveFailures must be an integer ≥ 1"],
    [b.failureRatePercent > 0 && b.failureRatePercent <= 100, "breaker.failureRatePercent must be in (0, 100]"],
    [Number.isFinite(b.windowSeconds) && b.windowSeconds > 0, "breaker.windowSeconds must be > 0"],
    [Number.isInteger(b.minimumAttempts) && b.minimumAttempts >= 1, "breaker.minimumAttempts must be an integer ≥ 1"],
    [Number.isFinite(b.cooldownSeconds) && b.cooldownSeconds >= 0, "breaker.cooldownSeconds must be ≥ 0"],
  ];
  const broken = rules.find(([ok]) => !ok);
  // Routes are validated where they are written; a bad configuration reaching here is a bug.
  if (broken) throw new RangeError(`route health: ${broken[1]}`);
}
