/**
 * shared/delivery/route-health.ts: breaker (consecutive and rate-based opening, cooldown, one
 * half-open probe), token bucket, max-in-flight leases, Retry-After and penalties, disabling.
 * Every case runs on an injected clock.
 */
import { describe, expect, it } from "vitest";
import { AUTO_DISABLE_AFTER_SECONDS, DEFAULT_BREAKER } from "../routing/route";
import { parseRetryAfter } from "./retry-after";
import {
  acquire, describeHealth, durableKey, FAILING_TOO_LONG_REASON, GONE_REASON, initialHealth, IN_FLIGHT_WAIT_SECONDS, PENALTY_SECONDS, PROBE_WAIT_SECONDS, release,
  type AttemptResult, type HealthConfig, type HealthEffects, type Permit,
} from "./route-health";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const S = 1000;
const FAIL: AttemptResult = { outcome: "failed", httpStatus: 500 };
const OK: AttemptResult = { outcome: "delivered", httpStatus: 200 };

function config(over: Partial<HealthConfig> = {}): HealthConfig {
  return { breaker: DEFAULT_BREAKER, rateLimitPerSecond: null, maxInFlight: null, timeoutMs: 15_000, ...over };
}

/** One route's health driven through acquire/release, as the object would, on a given clock. */
function route(cfg = config()) {
  let state = initialHealth();
  let n = 0;
  const r = {
    get state() { return state; },
    acquire(at: number, leaseId = `lease-${n++}`): Permit {
      const out = acquire(state, cfg, at, leaseId);
      state = out.state;
      return out.permit;
    },
    release(leaseId: string, result: AttemptResult, at: number): HealthEffects {
      const out = release(state, cfg, leaseId, result, at);
      // Every stored state must survive its JSON row.
      state = JSON.parse(JSON.stringify(out.state));
      return out.effects;
    },
    /** Acquires (which must succeed) and releases with `result` at the same instant. */
    attempt(at: number, result: AttemptResult): HealthEffects {
      const permit = r.acquire(at);
      if (!permit.ok) throw new Error(`refused at +${at - T0} ms: ${permit.reason}`);
      return r.release(permit.leaseId, result, at);
    },
  };
  return r;
}

/** The lease of a permit that must have been granted. */
function leaseOf(permit: Permit): string {
  if (!permit.ok) throw new Error(`expected a grant, got ${permit.reason}`);
  return permit.leaseId;
}

/** A route whose breaker opened at T0 after ten failed attempts in the ten seconds before. */
function openedAtT0() {
  const r = route();
  for (let i = 9; i >= 0; i--) r.attempt(T0 - i * S, FAIL);
  expect(r.state.breaker).toBe("open");
  return r;
}

describe("breaker: consecutive failures (default 10)", () => {
  it.each([
    { why: "HTTP 500s", result: FAIL },
    { why: "network errors", result: { outcome: "error" } as AttemptResult },
    { why: "HTTP 404s (any non-2xx)", result: { outcome: "failed", httpStatus: 404 } as AttemptResult },
  ])("opens on the 10th of 10 $why, reporting 'failing' once", ({ result }) => {
    const r = route();
    const transitions = Array.from({ length: 10 }, (_, i) => r.attempt(T0 + i * S, result).transition);
    expect(transitions).toEqual([...Array(9).fill(undefined), "failing"]);
    expect(r.state).toMatchObject({ breaker: "open", openedAt: T0 + 9 * S, consecutiveFailures: 10, failingSince: T0 });
  });

  it("a success in between starts the count again", () => {
    const r = route();
    for (let i = 0; i < 9; i++) r.attempt(T0 + i, FAIL);
    r.attempt(T0 + 9, OK);
    for (let i = 10; i < 19; i++) r.attempt(T0 + i, FAIL);
    expect(r.state).toMatchObject({ breaker: "closed", consecutiveFailures: 9 });
  });

  it.each([
    { at: 0, delay: 30 },
    { at: 12_500, delay: 18 },
    { at: 29_001, delay: 1 },
  ])("defers while open: +$at ms → $delay s (until the 30 s cooldown ends)", ({ at, delay }) => {
    const r = openedAtT0();
    expect(r.acquire(T0 + at)).toEqual({ ok: false, reason: "breaker-open", delaySeconds: delay });
    expect(r.state.breaker).toBe("open");
  });
});

describe("breaker: half-open", () => {
  it("allows exactly one probe after the cooldown; a probe success closes it ('recovered')", () => {
    const r = openedAtT0();
    const probe = r.acquire(T0 + 30 * S);
    expect(probe).toMatchObject({ ok: true, probe: true });
    expect(r.state.breaker).toBe("half-open");
    expect(r.acquire(T0 + 30 * S)).toEqual({ ok: false, reason: "half-open-probe-busy", delaySeconds: PROBE_WAIT_SECONDS });
    expect(r.acquire(T0 + 31 * S)).toMatchObject({ ok: false, reason: "half-open-probe-busy" });
    expect(r.release(leaseOf(probe), OK, T0 + 31 * S)).toEqual({ transition: "recovered" });
    expect(r.state).toMatchObject({ breaker: "closed", openedAt: null, consecutiveFailures: 0, failingSince: null, lastSuccessAt: T0 + 31 * S, window: [] });
    expect(r.acquire(T0 + 31 * S)).toMatchObject({ ok: true, probe: false });
  });

  it("a failed probe re-opens for another cooldown from now, without a second 'failing'", () => {
    const r = openedAtT0();
    const probe = leaseOf(r.acquire(T0 + 40 * S));
    expect(r.release(probe, FAIL, T0 + 41 * S)).toEqual({});
    expect(r.state).toMatchObject({ breaker: "open", openedAt: T0 + 41 * S, probe: null, consecutiveFailures: 11 });
    expect(r.acquire(T0 + 41 * S)).toEqual({ ok: false, reason: "breaker-open", delaySeconds: 30 });
    expect(r.acquire(T0 + 71 * S)).toMatchObject({ ok: true, probe: true });
  });

  it("a probe whose consumer vanished frees the slot when its lease expires (timeout + 5 s)", () => {
    const r = openedAtT0();
    expect(r.acquire(T0 + 30 * S)).toMatchObject({ ok: true, probe: true });
    expect(r.acquire(T0 + 49_999)).toMatchObject({ ok: false, reason: "half-open-probe-busy" });
    expect(r.acquire(T0 + 50 * S)).toMatchObject({ ok: true, probe: true });
  });

  it("a failure from an attempt older than the probe does not re-open the breaker", () => {
    const r = openedAtT0();
    r.acquire(T0 + 30 * S);
    r.release("started-before-opening", FAIL, T0 + 31 * S);
    expect(r.state).toMatchObject({ breaker: "half-open", consecutiveFailures: 11 });
  });
});

describe("breaker: failure rate (≥ 50 % of ≥ 20 attempts in 60 s)", () => {
  it.each([
    { why: "10 of 20 failed, last one a failure", pattern: "SF".repeat(10), gapMs: S, opensAfter: 20 },
    { why: "10 of 20 failed, last one a success: opens at the next failure", pattern: "FS".repeat(10) + "F", gapMs: S, opensAfter: 21 },
    { why: "10 of 19: too few attempts", pattern: "F" + "SF".repeat(9), gapMs: S, opensAfter: null },
    { why: "9 of 20: 45 %", pattern: "SS" + "FS".repeat(9), gapMs: S, opensAfter: null },
    { why: "10 of 20 spread over 80 s: never 20 in one window", pattern: "SF".repeat(10), gapMs: 4 * S, opensAfter: null },
    { why: "9 failures in a row, a success, then alternating: 14 of 20", pattern: "F".repeat(9) + "S" + "FS".repeat(4) + "SF", gapMs: 100, opensAfter: 20 },
  ])("$why", ({ pattern, gapMs, opensAfter }) => {
    const r = route();
    let openedAt: number | null = null;
    [...pattern].forEach((c, i) => {
      if (openedAt !== null) return;
      const effects = r.attempt(T0 + i * gapMs, c === "F" ? FAIL : OK);
      if (effects.transition === "failing") openedAt = i + 1;
    });
    expect(openedAt).toBe(opensAfter);
  });

  it("keeps at most 60 buckets however long the window", () => {
    const r = route(config({ breaker: { ...DEFAULT_BREAKER, windowSeconds: 3600, minimumAttempts: 1_000_000 } }));
    for (let i = 0; i < 500; i++) r.attempt(T0 + i * 7 * S, i % 2 ? OK : FAIL);
    expect(r.state.window.length).toBeLessThanOrEqual(60);
  });
});

describe("token bucket (capacity max(1, rate))", () => {
  it.each([
    { rate: 2, steps: [[0, "ok"], [0, "ok"], [0, 1], [499, 1], [500, "ok"], [500, 1], [1500, "ok"], [1500, "ok"], [1500, 1]] },
    { rate: 0.5, steps: [[0, "ok"], [100, 2], [1999, 1], [2000, "ok"], [2000, 2]] },
    { rate: 10, steps: [...Array.from({ length: 10 }, () => [0, "ok"]), [0, 1], [100, "ok"], [100, 1], [60_000, "ok"]] },
  ] as { rate: number; steps: [number, "ok" | number][] }[])("rate $rate/s", ({ rate, steps }) => {
    const r = route(config({ rateLimitPerSecond: rate }));
    for (const [at, expected] of steps) {
      const permit = r.acquire(T0 + at);
      expect({ at, permit }).toEqual({ at, permit: expected === "ok" ? expect.objectContaining({ ok: true }) : { ok: false, reason: "rate-limited", delaySeconds: expected } });
    }
  });
});

describe("max in flight", () => {
  it("with 1, a second acquire is refused until the first is released", () => {
    const r = route(config({ maxInFlight: 1 }));
    const first = leaseOf(r.acquire(T0));
    expect(r.acquire(T0 + 1)).toEqual({ ok: false, reason: "max-in-flight", delaySeconds: IN_FLIGHT_WAIT_SECONDS });
    r.release(first, OK, T0 + 2);
    expect(r.acquire(T0 + 3)).toMatchObject({ ok: true });
  });

  it("with 1, a lease nobody releases expires after timeout + 5 s, and releasing it late frees nothing else", () => {
    const r = route(config({ maxInFlight: 1, timeoutMs: 10_000 }));
    const lost = leaseOf(r.acquire(T0));
    expect(r.acquire(T0 + 14_999)).toMatchObject({ ok: false, reason: "max-in-flight" });
    const next = leaseOf(r.acquire(T0 + 15_000));
    r.release(lost, FAIL, T0 + 16_000);
    expect(r.state.consecutiveFailures).toBe(1); // the late outcome still counts
    expect(r.acquire(T0 + 16_000)).toMatchObject({ ok: false, reason: "max-in-flight" });
    r.release(next, OK, T0 + 17_000);
    expect(r.acquire(T0 + 17_000)).toMatchObject({ ok: true });
  });

  it("never exceeds 3 over a run of interleaved acquires and releases", () => {
    const r = route(config({ maxInFlight: 3 }));
    const held: string[] = [];
    for (let i = 0; i < 200; i++) {
      const p = r.acquire(T0 + i);
      if (p.ok) held.push(p.leaseId);
      expect(Object.keys(r.state.leases).length).toBeLessThanOrEqual(3);
      if (i % 3 === 0 && held.length) r.release(held.shift()!, OK, T0 + i);
    }
  });

  it("asking again with a held lease id returns the same grant, spending nothing twice", () => {
    const r = route(config({ maxInFlight: 1, rateLimitPerSecond: 1 }));
    expect(r.acquire(T0, "same")).toEqual({ ok: true, leaseId: "same", probe: false });
    expect(r.acquire(T0 + 10, "same")).toEqual({ ok: true, leaseId: "same", probe: false });
    expect(r.state.bucket!.tokens).toBe(0);
  });
});

describe("receiver back-off: Retry-After (RFC 9110 §10.2.3) and penalties", () => {
  const now = T0 + 5 * S;
  it.each([
    { why: "429 with Retry-After seconds", result: { outcome: "failed", httpStatus: 429, retryAfterSeconds: 120 }, blockedFor: 120 },
    { why: "503 with Retry-After seconds", result: { outcome: "failed", httpStatus: 503, retryAfterSeconds: 30 }, blockedFor: 30 },
    { why: "429 with an HTTP-date 10 min ahead", result: { outcome: "failed", httpStatus: 429, retryAfterSeconds: parseRetryAfter(new Date(now + 600 * S).toUTCString(), now) }, blockedFor: 600 },
    { why: "429 asking for 3 days: capped at 24 h", result: { outcome: "failed", httpStatus: 429, retryAfterSeconds: 3 * 86_400 }, blockedFor: 86_400 },
    { why: "429 without Retry-After: penalty", result: { outcome: "failed", httpStatus: 429, retryAfterSeconds: null }, blockedFor: PENALTY_SECONDS },
    { why: "a timeout: penalty", result: { outcome: "timeout" }, blockedFor: PENALTY_SECONDS },
    { why: "429 with Retry-After 0: no wait", result: { outcome: "failed", httpStatus: 429, retryAfterSeconds: 0 }, blockedFor: 0 },
    { why: "503 without Retry-After: an ordinary failure", result: { outcome: "failed", httpStatus: 503 }, blockedFor: 0 },
    { why: "500 with Retry-After: ignored outside 429/503", result: { outcome: "failed", httpStatus: 500, retryAfterSeconds: 30 }, blockedFor: 0 },
    { why: "a network error: an ordinary failure", result: { outcome: "error" }, blockedFor: 0 },
  ] as { why: string; result: AttemptResult; blockedFor: number }[])("$why → $blockedFor s", ({ result, blockedFor }) => {
    const r = route();
    r.attempt(now, result);
    expect(r.state.blockedUntil).toBe(blockedFor ? now + blockedFor * S : null);
    if (blockedFor) {
      expect(r.acquire(now)).toEqual({ ok: false, reason: "retry-after", delaySeconds: blockedFor });
      expect(r.acquire(now + blockedFor * S - 1)).toEqual({ ok: false, reason: "retry-after", delaySeconds: 1 });
    }
    expect(r.acquire(now + blockedFor * S)).toMatchObject({ ok: true });
  });

  it("a shorter Retry-After does not shorten a block already in force", () => {
    const r = route();
    r.attempt(T0, { outcome: "failed", httpStatus: 429, retryAfterSeconds: 300 });
    r.release("concurrent", { outcome: "failed", httpStatus: 429, retryAfterSeconds: 5 }, T0 + S);
    expect(r.state.blockedUntil).toBe(T0 + 300 * S);
  });
});

describe("disabling and transitions", () => {
  it("410 Gone disables at once", () => {
    expect(route().attempt(T0, { outcome: "failed", httpStatus: 410 })).toEqual({ disable: GONE_REASON });
  });

  it.each([
    { why: "just under 5 days of failing: not yet", lastAt: AUTO_DISABLE_AFTER_SECONDS * S - 1, disable: undefined },
    { why: "5 days of failing: disabled", lastAt: AUTO_DISABLE_AFTER_SECONDS * S, disable: FAILING_TOO_LONG_REASON },
  ])("$why", ({ lastAt, disable }) => {
    const r = route();
    r.attempt(T0, FAIL);
    // Outcomes of attempts the breaker let through over the days (releases need no fresh grant).
    for (let day = 1; day < 5; day++) r.release(`day-${day}`, FAIL, T0 + day * 86_400 * S);
    expect(r.release("last", FAIL, T0 + lastAt).disable).toBe(disable);
  });

  it("a success restarts the 5-day clock", () => {
    const r = route();
    r.attempt(T0, FAIL);
    r.release("ok", OK, T0 + 4 * 86_400 * S);
    r.release("f1", FAIL, T0 + 4 * 86_400 * S + 1);
    expect(r.release("f2", FAIL, T0 + 5 * 86_400 * S).disable).toBeUndefined();
    expect(r.state.failingSince).toBe(T0 + 4 * 86_400 * S + 1);
  });

  it("states the reason from AUTO_DISABLE_AFTER_SECONDS", () => {
    expect(FAILING_TOO_LONG_REASON).toBe("failing for 5 days without a success");
  });

  it("a success while closed reports no transition", () => {
    expect(route().attempt(T0, OK)).toEqual({});
  });
});

describe("describeHealth, durableKey, configuration", () => {
  it("shows what an operator needs, as RFC 3339 times", () => {
    const r = route(config({ rateLimitPerSecond: 5, maxInFlight: 4 }));
    r.attempt(T0, OK);
    r.acquire(T0 + S);
    r.attempt(T0 + S, { outcome: "failed", httpStatus: 429, retryAfterSeconds: 20 });
    expect(describeHealth(r.state, T0 + 2 * S)).toEqual({
      breaker: "closed", openedAt: null, consecutiveFailures: 1, inFlight: 1, probeInFlight: false, tokens: 5,
      blockedUntil: "2026-01-15T12:00:21.000Z", failingSince: "2026-01-15T12:00:01.000Z", lastSuccessAt: "2026-01-15T12:00:00.000Z",
    });
    expect(describeHealth(r.state, T0 + 60 * S)).toMatchObject({ inFlight: 0, blockedUntil: null });
    expect(describeHealth(initialHealth(), T0)).toMatchObject({ breaker: "closed", inFlight: 0, tokens: null });
  });

  it("durableKey ignores leases and tokens but not the breaker, failures or blocks", () => {
    const r = route(config({ rateLimitPerSecond: 5, maxInFlight: 4 }));
    const before = durableKey(r.state);
    r.acquire(T0);
    expect(durableKey(r.state)).toBe(before);
    r.release("x", FAIL, T0);
    expect(durableKey(r.state)).not.toBe(before);
    const healthy = route();
    healthy.attempt(T0, OK);
    const afterFirst = durableKey(healthy.state);
    healthy.attempt(T0 + 59 * S, OK);
    expect(durableKey(healthy.state)).toBe(afterFirst); // same minute: no write
  });

  it.each([
    { why: "rate 0", over: { rateLimitPerSecond: 0 } },
    { why: "maxInFlight 0", over: { maxInFlight: 0 } },
    { why: "maxInFlight 1.5", over: { maxInFlight: 1.5 } },
    { why: "negative timeout", over: { timeoutMs: -1 } },
    { why: "failure rate 0 %", over: { breaker: { ...DEFAULT_BREAKER, failureRatePercent: 0 } } },
    { why: "window 0 s", over: { breaker: { ...DEFAULT_BREAKER, windowSeconds: 0 } } },
  ] as { why: string; over: Partial<HealthConfig> }[])("rejects a bad configuration: $why", ({ over }) => {
    expect(() => acquire(initialHealth(), config(over), T0, "l")).toThrow(RangeError);
  });
});
