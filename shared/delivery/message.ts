/**
 * The versioned queue message that is the only link between a master-record object and the
 * delivery consumer (STYLE.md): one per event per region queue shard, listing that shard's
 * routes. A retry is the same message carrying just the failed route, with its attempt history.
 */
import type { ChangeEvent } from "../envelope/cloudevent";
import type { Region } from "../record/region";

export const DELIVER_MESSAGE_VERSION = 1;

export type AttemptOutcome = "delivered" | "failed" | "timeout" | "error";

export type AttemptRecord = {
  /** Unix ms when the attempt started. */
  at: number;
  attempt: number;
  outcome: AttemptOutcome;
  httpStatus?: number;
  latencyMs: number;
  /** First 2 KiB of the response body, or the network error's message. */
  excerpt?: string;
  /** A 429/503's Retry-After, in seconds (capped at 24 h). */
  retryAfterSeconds?: number;
};

export type RouteAttempt = {
  id: string;
  /** 1-based number of the attempt this message asks for. */
  attempt: number;
  /** Incremented by each replay of a dead letter, so its id differs from the first one's. */
  generation: number;
  history: AttemptRecord[];
  /** Unix ms when this route's delivery was first deferred (breaker, rate, in-flight, Retry-After). */
  deferredSince?: number;
};

export type DeliverMessage = {
  v: typeof DELIVER_MESSAGE_VERSION;
  kind: "deliver";
  tenant: string;
  /** The tenant's region: where the master record (that wants the outcomes) lives. */
  recordRegion: Region;
  recordType: string;
  recordId: string;
  routingVersion: number;
  event: ChangeEvent;
  routes: RouteAttempt[];
};

export function isDeliverMessage(body: unknown): body is DeliverMessage {
  const m = body as DeliverMessage;
  return typeof m === "object" && m !== null && m.v === DELIVER_MESSAGE_VERSION && m.kind === "deliver" && typeof m.tenant === "string" && Array.isArray(m.routes) && typeof m.event === "object";
}
