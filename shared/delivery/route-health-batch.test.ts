/**
 * shared/delivery/route-health-batch.ts: a batch's permits and results in one call each, with the
 * guarantees of the single-delivery forms (breaker and its one probe, max-in-flight, token bucket,
 * Retry-After, lease expiry, idempotent grants) and each effect reported once. Injected clock.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BREAKER } from "../routing/route";
import {
  acquire, GONE_REASON, IN_FLIGHT_WAIT_SECONDS, initialHealth, PROBE_WAIT_SECONDS, release,
  type AttemptResult, type HealthConfig, type HealthState, type Permit,
} from "./route-health";
import { acquireMany, releaseMany, type LeaseResult } from "./route-health-batch";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const S = 1000;
const FAIL: AttemptResult = { outcome: "failed", httpStatus: 500 };
const OK: AttemptResult = { outcome: "delivered", httpStatus: 204 };

function config(over: Partial<HealthConfig> = {}): HealthConfig {
  return { breaker: DEFAULT_BREAKER, rateLimitPerSecond: null, maxInFlight: null, timeoutMs: 15_000, ...over };
}
const ids = (n: number, prefix = "l") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
/** A permit as a short string: "ok", "probe", or "<reason> <delay>s". */
const show = (p: Permit) => (p.ok ? (p.probe ? "probe" : "ok") : `${p.reason} ${p.delaySeconds}s`);

/** The state after ten failed attempts in the ten seconds before T0: breaker open at T0. */
function openAtT0(cfg = config()): HealthState {
  let state = initialHealth();
  for (let i = 9; i >= 0; i--) {
    state = acquire(state, cfg, T0 - i * S, `old${i}`).state;
    state = release(state, cfg, `old${i}`, FAIL, T0 - i * S).state;
  }
  expect(state.breaker).toBe("open");
  return state;
}

describe("acquireMany", () => {
  it.each([
    { why: "no limits: all granted", cfg: config(), state: () => initialHealth(), at: T0, n: 4, expected: ["ok", "ok", "ok", "ok"] },
    { why: "maxInFlight 3: a prefix of 3, the rest wait for a slot", cfg: config({ maxInFlight: 3 }), state: () => initialHealth(), at: T0, n: 5, expected: ["ok", "ok", "ok", `max-in-flight ${IN_FLIGHT_WAIT_SECONDS}s`, `max-in-flight ${IN_FLIGHT_WAIT_SECONDS}s`] },
    { why: "rate 2/s, full bucket: 2 granted, the others spread over the next tokens", cfg: config({ rateLimitPerSecond: 2 }), state: () => initialHealth(), at: T0, n: 6, expected: ["ok", "ok", "rate-limited 1s", "rate-limited 1s", "rate-limited 2s", "rate-limited 2s"] },
    { why: "rate 0.5/s: one token every 2 s", cfg: config({ rateLimitPerSecond: 0.5 }), state: () => initialHealth(), at: T0, n: 3, expected: ["ok", "rate-limited 2s", "rate-limited 4s"] },
    { why: "breaker open: all wait out the cooldown", cfg: config(), state: () => openAtT0(), at: T0 + 10 * S, n: 3, expected: ["breaker-open 20s", "breaker-open 20s", "breaker-open 20s"] },
    { why: "half-open: exactly one probe", cfg: config(), state: () => openAtT0(), at: T0 + 30 * S, n: 3, expected: ["probe", `half-open-probe-busy ${PROBE_WAIT_SECONDS}s`, `half-open-probe-busy ${PROBE_WAIT_SECONDS}s`] },
    { why: "a Retry-After block holds all of them", cfg: config(), state: () => release(initialHealth(), config(), "x", { outcome: "failed", httpStatus: 429, retryAfterSeconds: 90 }, T0).state, at: T0, n: 2, expected: ["retry-after 90s", "retry-after 90s"] },
  ])("$why", ({ cfg, state, at, n, expected }) => {
    expect(acquireMany(state(), cfg, at, ids(n)).permits.map(show)).toEqual(expected);
  });

  it("is acquire folded over the leases (apart from spread rate delays)", () => {
    const cfg = config({ maxInFlight: 4, rateLimitPerSecond: 3 });
    let one = initialHealth();
    const single = ids(6).map((id) => {
      const out = acquire(one, cfg, T0, id);
      one = out.state;
      return out.permit.ok;
    });
    const batch = acquireMany(initialHealth(), cfg, T0, ids(6));
    expect(batch.permits.map((p) => p.ok)).toEqual(single);
    expect(batch.state).toEqual(one);
  });

  it("asked again with the same lease ids (a retried RPC), grants the same leases and spends nothing twice", () => {
    const cfg = config({ maxInFlight: 2, rateLimitPerSecond: 5 });
    const first = acquireMany(initialHealth(), cfg, T0, ["a", "b", "c"]);
    expect(first.permits.map(show)).toEqual(["ok", "ok", `max-in-flight ${IN_FLIGHT_WAIT_SECONDS}s`]);
    const again = acquireMany(first.state, cfg, T0 + 10, ["a", "b", "c"]);
    expect(again.permits).toEqual([{ ok: true, leaseId: "a", probe: false }, { ok: true, leaseId: "b", probe: false }, expect.objectContaining({ ok: false, reason: "max-in-flight" })]);
    expect(Object.keys(again.state.leases)).toEqual(["a", "b"]);
    expect(again.state.bucket).toEqual(first.state.bucket);
  });

  it("a retried RPC whose probe was granted keeps it as the probe, and no second probe is let through", () => {
    const first = acquireMany(openAtT0(), config(), T0 + 30 * S, ["p", "q"]);
    const again = acquireMany(first.state, config(), T0 + 31 * S, ["p", "q"]);
    expect(again.permits.map(show)).toEqual(["probe", `half-open-probe-busy ${PROBE_WAIT_SECONDS}s`]);
  });

  it("leases of a consumer that crashed mid-batch expire after timeout + 5 s, freeing max-in-flight", () => {
    const cfg = config({ maxInFlight: 2, timeoutMs: 10_000 });
    const crashed = acquireMany(initialHealth(), cfg, T0, ["a", "b"]).state;
    expect(acquireMany(crashed, cfg, T0 + 14_999, ["c"]).permits.map(show)).toEqual([`max-in-flight ${IN_FLIGHT_WAIT_SECONDS}s`]);
    expect(acquireMany(crashed, cfg, T0 + 15_000, ["c", "d", "e"]).permits.map(show)).toEqual(["ok", "ok", `max-in-flight ${IN_FLIGHT_WAIT_SECONDS}s`]);
  });

  it("an empty batch changes nothing; an empty lease id is a bug", () => {
    expect(acquireMany(initialHealth(), config(), T0, [])).toEqual({ state: initialHealth(), permits: [] });
    expect(() => acquireMany(initialHealth(), config(), T0, ["ok", ""])).toThrow(RangeError);
  });
});

describe("releaseMany", () => {
  const results = (pattern: string, prefix = "r"): LeaseResult[] =>
    [...pattern].map((c, i) => ({ leaseId: `${prefix}${i}`, result: c === "S" ? OK : c === "G" ? { outcome: "failed", httpStatus: 410 } : FAIL }));

  it.each([
    { why: "10 failures open the breaker: 'failing' once", from: () => initialHealth(), pattern: "F".repeat(10), breaker: "open", effects: { transition: "failing" } },
    { why: "15 failures: still one 'failing'", from: () => initialHealth(), pattern: "F".repeat(15), breaker: "open", effects: { transition: "failing" } },
    { why: "9 failures: closed, nothing to report", from: () => initialHealth(), pattern: "F".repeat(9), breaker: "closed", effects: {} },
    { why: "opened and closed again within the batch: nothing to report", from: () => initialHealth(), pattern: "F".repeat(10) + "S", breaker: "closed", effects: {} },
    { why: "a success while open: 'recovered'", from: () => openAtT0(), pattern: "S", breaker: "closed", effects: { transition: "recovered" } },
    { why: "a success, then failures that do not trip: 'recovered'", from: () => openAtT0(), pattern: "SFF", breaker: "closed", effects: { transition: "recovered" } },
    { why: "recovered, then tripped again: still open, nothing new", from: () => openAtT0(), pattern: "S" + "F".repeat(10), breaker: "open", effects: {} },
    { why: "410 Gone twice: disabled once", from: () => initialHealth(), pattern: "SGG", breaker: "closed", effects: { disable: GONE_REASON } },
    { why: "an empty batch", from: () => initialHealth(), pattern: "", breaker: "closed", effects: {} },
  ])("$why", ({ from, pattern, breaker, effects }) => {
    const out = releaseMany(from(), config(), results(pattern), T0 + 40 * S);
    expect(out.state.breaker).toBe(breaker);
    expect(out.effects).toEqual(effects);
  });

  it.each([
    { result: OK },
    { result: FAIL },
    { result: { outcome: "failed", httpStatus: 410 } as AttemptResult },
    { result: { outcome: "failed", httpStatus: 429, retryAfterSeconds: 30 } as AttemptResult },
    { result: { outcome: "timeout" } as AttemptResult },
  ])("one result: the same state and effects as release ($result.outcome $result.httpStatus)", ({ result }) => {
    for (const from of [initialHealth(), openAtT0()]) {
      const held = acquire(from, config(), T0 + 30 * S, "x").state;
      expect(releaseMany(held, config(), [{ leaseId: "x", result }], T0 + 31 * S)).toEqual(release(held, config(), "x", result, T0 + 31 * S));
    }
  });

  it("the half-open probe's failure re-opens the breaker; other leases' failures do not count as the probe", () => {
    const cfg = config();
    const granted = acquireMany(openAtT0(), cfg, T0 + 30 * S, ["probe", "late"]).state;
    const oldOnly = releaseMany(granted, cfg, [{ leaseId: "started-before-opening", result: FAIL }], T0 + 31 * S);
    expect(oldOnly.state).toMatchObject({ breaker: "half-open", probe: "probe" });
    const withProbe = releaseMany(granted, cfg, [{ leaseId: "started-before-opening", result: FAIL }, { leaseId: "probe", result: FAIL }], T0 + 31 * S);
    expect(withProbe.state).toMatchObject({ breaker: "open", openedAt: T0 + 31 * S, probe: null });
    expect(withProbe.effects).toEqual({});
  });

  it("frees every lease it names, so max-in-flight opens up again", () => {
    const cfg = config({ maxInFlight: 3 });
    const held = acquireMany(initialHealth(), cfg, T0, ["a", "b", "c"]).state;
    const freed = releaseMany(held, cfg, results("SSF", "").map((r, i) => ({ ...r, leaseId: ["a", "b", "c"][i]! })), T0 + S).state;
    expect(freed.leases).toEqual({});
    expect(acquireMany(freed, cfg, T0 + S, ids(4)).permits.filter((p) => p.ok)).toHaveLength(3);
  });

  it("keeps the longest Retry-After of the batch, whatever the order", () => {
    const block = (s: number): LeaseResult => ({ leaseId: `b${s}`, result: { outcome: "failed", httpStatus: 429, retryAfterSeconds: s } });
    for (const order of [[block(300), block(5)], [block(5), block(300)]]) {
      const out = releaseMany(initialHealth(), config(), order, T0);
      expect(out.state.blockedUntil).toBe(T0 + 300 * S);
      expect(acquireMany(out.state, config(), T0 + 299 * S, ["n"]).permits.map(show)).toEqual(["retry-after 1s"]);
    }
  });
});

describe("attempts held back by the consumer's connection slots", () => {
  it("acquireMany's startWithinMs lengthens each new lease by the wait it may have", () => {
    const cfg = config({ timeoutMs: 10_000 });
    const plain = acquireMany(initialHealth(), cfg, T0, ["a"]).state.leases.a;
    const held = acquireMany(initialHealth(), cfg, T0, ["a"], 45_000).state.leases.a;
    expect(held! - plain!).toBe(45_000);
    // So max-in-flight still counts it 50 s later, while it may still be waiting or running.
    const later = acquireMany(acquireMany(initialHealth(), config({ timeoutMs: 10_000, maxInFlight: 1 }), T0, ["a"], 45_000).state, config({ timeoutMs: 10_000, maxInFlight: 1 }), T0 + 50 * S, ["b"]);
    expect(later.permits.map(show)).toEqual([`max-in-flight ${IN_FLIGHT_WAIT_SECONDS}s`]);
  });

  it.each([
    { startWithinMs: -1 },
    { startWithinMs: Number.NaN },
    { startWithinMs: 5 * 60_000 + 1 },
  ])("refuses a start allowance of $startWithinMs", ({ startWithinMs }) => {
    expect(() => acquireMany(initialHealth(), config(), T0, ["a"], startWithinMs)).toThrow(RangeError);
  });

  it("releaseMany's unused leases free their capacity and count for nothing", () => {
    const cfg = config({ maxInFlight: 2 });
    const granted = acquireMany(initialHealth(), cfg, T0, ["a", "b"], 30_000).state;
    const out = releaseMany(granted, cfg, [{ leaseId: "a", result: FAIL }], T0 + S, ["b"]);
    expect(Object.keys(out.state.leases)).toEqual([]);
    // One failure counted (a), none for b: the window and the failure streak say so.
    expect(out.state.consecutiveFailures).toBe(1);
    expect(out.state.window.reduce((n, b) => n + b.attempts, 0)).toBe(1);
    expect(acquireMany(out.state, cfg, T0 + S, ["c", "d"]).permits.map(show)).toEqual(["ok", "ok"]);
  });

  it("an unused half-open probe frees the probe slot without closing or re-opening the breaker", () => {
    const cfg = config();
    const open = openAtT0(cfg);
    const halfOpen = T0 + DEFAULT_BREAKER.cooldownSeconds * S;
    const probing = acquireMany(open, cfg, halfOpen, ["p", "q"], 30_000);
    expect(probing.permits.map(show)).toEqual(["probe", `half-open-probe-busy ${PROBE_WAIT_SECONDS}s`]);
    const returned = releaseMany(probing.state, cfg, [], halfOpen + S, ["p"]);
    expect(returned.effects).toEqual({});
    expect(returned.state.probe).toBeNull();
    expect(acquireMany(returned.state, cfg, halfOpen + S, ["r"]).permits.map(show)).toEqual(["probe"]);
  });
});
