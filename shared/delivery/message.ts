/**
 * The versioned queue message that is the only link between a master-record object and the
 * delivery consumer (STYLE.md): one per event per region queue shard, listing that shard's
 * routes. A retry is the same message carrying just the failed route, with its attempt history.
 * One delivery message of an event may also carry the event's sealed audit entry, which the
 * delivery consumer writes to R2 before it delivers (that saves the event its audit message).
 */
import type { AuditEntry } from "../audit/entry";
import type { ChangeEvent } from "../envelope/cloudevent";
import type { Region } from "../record/region";

/**
 * Still 1 with `audit` added: the field is optional, so a message from before it parses and
 * delivers as it always did (its entry went to the audit queue), and a consumer from before it
 * would ignore the field (deploy the consumer first: such a consumer would drop the entry).
 */
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
  /** Admitted by the record's FIFO cursor for this route: the outcome must go back to release the next event. */
  fifo?: true;
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
  /**
   * The audit entry of `event`'s sequence, on exactly one of the event's first delivery messages
   * (durable-objects/outbox.ts). Never on a retry, deferral, replay or FIFO release: it is
   * written once, by the consumer that takes the carrying message.
   */
  audit?: AuditEntry;
};

export function isDeliverMessage(body: unknown): body is DeliverMessage {
  const m = body as DeliverMessage;
  return typeof m === "object" && m !== null && m.v === DELIVER_MESSAGE_VERSION && m.kind === "deliver" && typeof m.tenant === "string" && Array.isArray(m.routes) && typeof m.event === "object";
}

/**
 * The entry a message carries, when it has a well-formed one (the guard above stays tolerant of
 * messages without it). Structural only: the entry was sealed by the record's own object.
 */
export function carriedAudit(m: DeliverMessage): AuditEntry | null {
  const a = m.audit as Partial<AuditEntry> | undefined | null;
  if (typeof a !== "object" || a === null) return null;
  const wellFormed = typeof a.sequence === "number" && typeof a.hash === "string" && typeof a.recordType === "string" && typeof a.recordId === "string";
  return wellFormed ? (a as AuditEntry) : null;
}

/** The message for some of its routes only (a retry, a deferral): never with the audit entry, which is written once. */
export function forRoutes(m: DeliverMessage, routes: RouteAttempt[]): DeliverMessage {
  const { audit: _written, ...rest } = m;
  return { ...rest, routes };
}
