/**
 * What happens to one route of one delivery message: attempt it or not, and after the
 * attempt: done, retry later (its own delayed message), dead letter, or drop. Pure: the
 * random draw for jitter is passed in, so every branch is testable exactly.
 */
import type { AttemptRecord, RouteAttempt } from "./message";
import { MAX_DELAY_SECONDS, retryDelaySeconds } from "./schedule";
import type { Guarantee, RouteStatus } from "../routing/route";

/** While a route is paused (or pending its handshake) deliveries wait, re-checked this often; they are not attempts. */
export const PAUSED_RECHECK_SECONDS = 60;
/** A 429 or a timeout without Retry-After pushes the next attempt back this much more. */
export const PENALTY_SECONDS = 60;
/** Deferred (backpressure) longer than this: a P3 incident for the route. */
export const BACKPRESSURE_INCIDENT_AFTER_MS = 15 * 60_000;
/** Keep carried attempt history within this many bytes so a retry message stays under 128 KB. */
export const HISTORY_BUDGET_BYTES = 24_000;

export type RouteView = { status: RouteStatus; guarantee: Guarantee; retrySchedule: readonly number[] } | null;

export type BeforeAttempt = { kind: "attempt" } | { kind: "drop"; reason: string } | { kind: "defer"; delaySeconds: number; reason: string };

export function beforeAttempt(route: RouteView): BeforeAttempt {
  if (!route) return { kind: "drop", reason: "route deleted" };
  if (route.status === "disabled") return { kind: "drop", reason: "route disabled" };
  if (route.status === "paused") return { kind: "defer", delaySeconds: PAUSED_RECHECK_SECONDS, reason: "route paused" };
  if (route.status === "pending") return { kind: "defer", delaySeconds: PAUSED_RECHECK_SECONDS, reason: "route pending its handshake" };
  return { kind: "attempt" };
}

export type AfterAttempt =
  | { kind: "delivered" }
  | { kind: "given-up"; reason: string }
  | { kind: "retry"; delaySeconds: number; next: RouteAttempt }
  | { kind: "dead-letter"; reason: string; history: AttemptRecord[] };

export function afterAttempt(route: NonNullable<RouteView>, sent: RouteAttempt, record: AttemptRecord, random: number): AfterAttempt {
  if (record.outcome === "delivered") return { kind: "delivered" };
  // 410 Gone: the receiver asks never to be called again; the route is disabled, no retry.
  if (record.httpStatus === 410) return { kind: "given-up", reason: "receiver answered 410 Gone" };
  // at-most-once: one attempt, the failure is recorded, never retried nor dead-lettered.
  if (route.guarantee === "at-most-once") return { kind: "given-up", reason: `at-most-once: ${describe(record)}` };
  const history = fitHistory([...sent.history, record]);
  const scheduled = retryDelaySeconds(route.retrySchedule, sent.attempt, random);
  if (scheduled === null) return { kind: "dead-letter", reason: `${sent.attempt} attempts failed; last: ${describe(record)}`, history };
  return { kind: "retry", delaySeconds: honourServer(scheduled, record), next: { ...sent, attempt: sent.attempt + 1, history } };
}

/**
 * Retry-After is honoured in full (never retry earlier than the server asked, capped at 24 h
 * by the parser and the Queues delay limit); a 429 or a timeout without it adds a penalty.
 */
export function honourServer(scheduled: number, record: AttemptRecord): number {
  if (record.retryAfterSeconds !== undefined) return Math.min(MAX_DELAY_SECONDS, Math.max(scheduled, record.retryAfterSeconds));
  if (record.httpStatus === 429 || record.outcome === "timeout") return Math.min(MAX_DELAY_SECONDS, scheduled + PENALTY_SECONDS);
  return scheduled;
}

export function describe(record: AttemptRecord): string {
  if (record.outcome === "failed") return `HTTP ${record.httpStatus}`;
  if (record.outcome === "timeout") return `timed out after ${record.latencyMs} ms`;
  return `network error: ${record.excerpt ?? "unknown"}`;
}

/** Shortens the oldest excerpts first until the history fits the budget; never drops an attempt. */
export function fitHistory(history: AttemptRecord[], budget = HISTORY_BUDGET_BYTES): AttemptRecord[] {
  const out = history.map((h) => ({ ...h }));
  let size = JSON.stringify(out).length;
  for (const h of out) {
    if (size <= budget) break;
    if (h.excerpt && h.excerpt.length > 128) {
      size -= h.excerpt.length - 128;
      h.excerpt = h.excerpt.slice(0, 128);
    }
  }
  return out;
}
