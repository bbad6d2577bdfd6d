import { describe, expect, it } from "vitest";
import { afterAttempt, beforeAttempt, fitHistory, honourServer, PAUSED_RECHECK_SECONDS, PENALTY_SECONDS, type RouteView } from "./decide";
import type { AttemptRecord, RouteAttempt } from "./message";

const route = (over: Partial<NonNullable<RouteView>> = {}): NonNullable<RouteView> => ({ status: "active", guarantee: "at-least-once", retrySchedule: [5, 300], ...over });
const sent = (attempt: number, history: AttemptRecord[] = []): RouteAttempt => ({ id: "rt_1", attempt, generation: 0, history });
const rec = (over: Partial<AttemptRecord>): AttemptRecord => ({ at: 1_000, attempt: 1, outcome: "failed", httpStatus: 500, latencyMs: 12, ...over });

describe("beforeAttempt", () => {
  it.each([
    ["a deleted route is dropped", null, { kind: "drop", reason: "route deleted" }],
    ["a disabled route is dropped", route({ status: "disabled" }), { kind: "drop", reason: "route disabled" }],
    ["a paused route waits", route({ status: "paused" }), { kind: "defer", delaySeconds: PAUSED_RECHECK_SECONDS, reason: "route paused" }],
    ["a route pending its handshake waits", route({ status: "pending" }), { kind: "defer", delaySeconds: PAUSED_RECHECK_SECONDS, reason: "route pending its handshake" }],
    ["an active route is attempted", route(), { kind: "attempt" }],
  ] as const)("%s", (_name, view, expected) => {
    expect(beforeAttempt(view)).toEqual(expected);
  });
});

describe("afterAttempt", () => {
  it("a 2xx is delivered", () => {
    expect(afterAttempt(route(), sent(1), rec({ outcome: "delivered", httpStatus: 204 }), 0.5)).toEqual({ kind: "delivered" });
  });

  it("410 Gone gives up at once, whatever the schedule (the route gets disabled)", () => {
    expect(afterAttempt(route(), sent(1), rec({ httpStatus: 410 }), 0.5)).toEqual({ kind: "given-up", reason: "receiver answered 410 Gone" });
  });

  it("at-most-once never retries nor dead-letters", () => {
    expect(afterAttempt(route({ guarantee: "at-most-once" }), sent(1), rec({}), 0.5)).toEqual({ kind: "given-up", reason: "at-most-once: HTTP 500" });
  });

  it.each([
    ["first failure → schedule[0] (random 0.5 = no jitter)", 1, 0.5, 5],
    ["second failure → schedule[1]", 2, 0.5, 300],
    ["jitter low end −20 %", 2, 0, 240],
    ["jitter high end ≈ +20 %", 2, 0.999999, 360],
  ])("retries: %s", (_name, attempt, random, delay) => {
    const r = rec({ attempt });
    const out = afterAttempt(route(), sent(attempt), r, random);
    expect(out).toEqual({ kind: "retry", delaySeconds: delay, next: { id: "rt_1", attempt: attempt + 1, generation: 0, history: [r] } });
  });

  it("dead-letters after the last scheduled retry, keeping every attempt", () => {
    const earlier = [rec({ attempt: 1 }), rec({ attempt: 2, outcome: "timeout", httpStatus: undefined })];
    const last = rec({ attempt: 3, httpStatus: 502 });
    expect(afterAttempt(route(), sent(3, earlier), last, 0.5)).toEqual({ kind: "dead-letter", reason: "3 attempts failed; last: HTTP 502", history: [...earlier, last] });
  });
});

describe("honourServer (Retry-After and penalties)", () => {
  it.each([
    ["Retry-After longer than the schedule wins", 5, rec({ httpStatus: 429, retryAfterSeconds: 120 }), 120],
    ["the schedule wins when longer than Retry-After", 300, rec({ httpStatus: 503, retryAfterSeconds: 3 }), 300],
    ["a 429 without Retry-After adds the penalty", 5, rec({ httpStatus: 429 }), 5 + PENALTY_SECONDS],
    ["a timeout adds the penalty", 5, rec({ outcome: "timeout", httpStatus: undefined }), 5 + PENALTY_SECONDS],
    ["a plain 500 keeps the schedule", 5, rec({}), 5],
    ["never beyond 24 h", 86_380, rec({ httpStatus: 429 }), 86_400],
  ])("%s", (_name, scheduled, record, expected) => {
    expect(honourServer(scheduled, record)).toBe(expected);
  });
});

describe("fitHistory", () => {
  it("shortens the oldest excerpts first and never drops an attempt", () => {
    const history = Array.from({ length: 20 }, (_, i) => rec({ attempt: i + 1, excerpt: "x".repeat(2048) }));
    const fitted = fitHistory(history, 24_000);
    expect(fitted).toHaveLength(20);
    expect(JSON.stringify(fitted).length).toBeLessThanOrEqual(24_000);
    expect(fitted[0]!.excerpt).toHaveLength(128);
    expect(fitted[19]!.excerpt).toHaveLength(2048);
  });

  it("leaves a history that fits untouched", () => {
    const history = [rec({ excerpt: "short" })];
    expect(fitHistory(history)).toEqual(history);
  });
});
