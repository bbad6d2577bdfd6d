/**
 * What happens to one route of one delivery message: attempt it or not, and after the
 * attempt: done, retry later (its own delayed message), dead letter, or drop. Pure: the
 * random draw for jitter is passed in, so every branch is testable exactly.
 */
import type { AttemptRecord, RouteAttempt } from "./message";
import { retryDelaySeconds } from "./schedule";
import type { Guarantee, RouteStatus } from "../routing/route";

/** While a route is paused its deliveries wait, re-checked this often; they are not attempts. */
export const PAUSED_RECHECK_SECONDS = 60;
/** Keep carried attempt history within this many bytes so a retry message stays under 128 KB. */
export const HISTORY_BUDGET_BYTES = 24_000;

export type RouteView = { status: RouteStatus; guarantee: Guarantee; retrySchedule: readonly number[] } | null;

export type BeforeAttempt = { kind: "attempt" } | { kind: "drop"; reason: string } | { kind: "defer"; delaySeconds: number; reason: string };

export function beforeAttempt(route: RouteView): BeforeAttempt {
  if (!route) return { kind: "drop", reason: "route deleted" };
  if (route.status === "disabled") return { kind: "drop", reason: "route disabled" };
  if (route.status === "paused") return { kind: "defer", delaySeconds: PAUSED_RECHECK_SECONDS, reason: "route paused" };
  return { kind: "attempt" };
}

export type AfterAttempt =
  | { kind: "delivered" }
  | { kind: "given-up"; reason: string }
  | { kind: "retry"; delaySeconds: number; next: RouteAttempt }
  | { kind: "dead-letter"; reason: string; history: AttemptRecord[] };

export function afterAttempt(route: NonNullable<RouteView>, sent: RouteAttempt, record: AttemptRecord, random: number): AfterAttempt {
  if (record.outcome === "delivered") return { kind: "delivered" };
  // at-most-once: one attempt, the failure is recorded, never retried nor dead-lettered.
  if (route.guarantee === "at-most-once") return { kind: "given-up", reason: `at-most-once: ${describe(record)}` };
  const history = fitHistory([...sent.history, record]);
  const delay = retryDelaySeconds(route.retrySchedule, sent.attempt, random);
  if (delay === null) return { kind: "dead-letter", reason: `${sent.attempt} attempts failed; last: ${describe(record)}`, history };
  return { kind: "retry", delaySeconds: delay, next: { ...sent, attempt: sent.attempt + 1, history } };
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
