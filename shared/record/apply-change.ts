/**
 * The heart of the master record: one accepted change → the record's next state and its
 * CloudEvent. Pure and total: every refusal is a value naming the field, never a throw.
 */
import type { Change, ItemError } from "../change/schema";
import canonicalize from "canonicalize";
import { checkSkew, formatHlc, parseHlc, tickLocal, tickReceive, type Hlc } from "../clock/hlc";
import { dominates, incrementVector } from "../clock/vector";
import { buildChangeEvent, type ChangeEvent, type ChangeEventData, type JsonObject } from "../envelope/cloudevent";
import type { RecordState, RecordStatus } from "./state";

export type ApplyContext = {
  tenant: string;
  location: string;
  typePrefix: string;
  recordType: string;
  recordId: string;
  /** Physical time (ms) of this object when the change arrives. */
  now: number;
  eventId: string;
  maxSkewMs: number;
  dataschema?: string;
};

/**
 * occurredAt is the location's wall clock and, without an `hlc`, the change's clock for
 * last-writer-wins: a time far in the future would win every conflict, so it is refused.
 */
export const MAX_FUTURE_OCCURRED_AT_MS = 5 * 60_000;

export type Applied = { ok: true; state: RecordState; event: ChangeEvent };
export type Refused = { ok: false; error: ItemError };

export function applyChange(state: RecordState, change: Change, ctx: ApplyContext): Applied | Refused {
  if (state.rekeyedTo) return refuse("recordId", `record was rekeyed to "${state.rekeyedTo}"; send changes to the new id`);

  const aheadMs = Date.parse(change.occurredAt) - ctx.now;
  if (aheadMs > MAX_FUTURE_OCCURRED_AT_MS) return refuse("occurredAt", `${Math.round(aheadMs / 1000)} s in the future (limit ${MAX_FUTURE_OCCURRED_AT_MS / 1000} s); fix the sender's clock`);

  const stamped = stampClock(state.hlc, change.hlc, ctx);
  if (!stamped.ok) return stamped;

  const changeClock = change.hlc ?? formatHlc({ wall: Date.parse(change.occurredAt), logical: 0 });
  const conflict = isConcurrent(state, change, ctx.location, changeClock);
  // Last writer (by the change's own clock) wins the snapshot; a concurrent older change is
  // still recorded as an event, flagged, so subscribers can resolve it themselves.
  const superseded = conflict && changeClock < state.snapshotClock;

  const previous = state.snapshot;
  const next = superseded ? { snapshot: previous, status: state.status } : nextImage(state, change);
  const vector = incrementVector(state.vector, ctx.location);
  const sequence = state.sequence + 1;
  const lamport = state.lamport + 1;

  const data: ChangeEventData = {
    op: change.op,
    before: change.before !== undefined ? change.before : previous,
    after: next.snapshot,
    changed: changedFields(previous, next.snapshot),
    vector,
    ...(conflict ? { conflict: true as const } : {}),
    ...(superseded ? { superseded: true as const, proposed: change.data ?? {} } : {}),
    ...(change.op === "reparent" ? { parent: change.parent ?? null, previousParent: state.parent } : {}),
    ...(change.op === "rekey" ? { newRecordId: change.newRecordId! } : {}),
  };

  const event = buildChangeEvent({
    id: ctx.eventId,
    tenant: ctx.tenant,
    location: ctx.location,
    typePrefix: ctx.typePrefix,
    recordType: ctx.recordType,
    recordId: ctx.recordId,
    op: change.op,
    occurredAt: change.occurredAt,
    sequence,
    hlc: formatHlc(stamped.hlc),
    lamport,
    data,
    ...(ctx.dataschema ? { dataschema: ctx.dataschema } : {}),
    ...(change.traceparent ? { traceparent: change.traceparent } : {}),
  });

  return {
    ok: true,
    event,
    state: {
      ...state,
      sequence,
      lamport,
      hlc: stamped.hlc,
      vector,
      lastClockByLocation: { ...state.lastClockByLocation, [ctx.location]: maxText(state.lastClockByLocation[ctx.location], changeClock) },
      status: next.status,
      snapshot: next.snapshot,
      snapshotClock: superseded ? state.snapshotClock : maxText(state.snapshotClock, changeClock),
      parent: change.op === "reparent" && !superseded ? (change.parent ?? null) : state.parent,
      rekeyedTo: change.op === "rekey" ? change.newRecordId! : null,
    },
  };
}

function refuse(field: string, reason: string): Refused {
  return { ok: false, error: { field, reason } };
}

function stampClock(local: Hlc, remoteText: string | undefined, ctx: ApplyContext): { ok: true; hlc: Hlc } | Refused {
  if (remoteText === undefined) return { ok: true, hlc: tickLocal(local, ctx.now) };
  const remote = parseHlc(remoteText);
  if (!remote) return refuse("hlc", "not an HLC (<15-digit ms>-<6-digit logical>)");
  const skew = checkSkew(remote, ctx.now, ctx.maxSkewMs);
  if (!skew.ok) return refuse("hlc", `clock is ${skew.aheadMs} ms ahead of the edge (limit ${ctx.maxSkewMs} ms); fix the sender's clock`);
  return { ok: true, hlc: tickReceive(local, remote, ctx.now) };
}

/**
 * DESIGN.md "Concurrent writers": with `basedOn`, concurrent unless it dominates the record's
 * vector; without it, concurrent when the change is older than another location's latest.
 */
function isConcurrent(state: RecordState, change: Change, location: string, changeClock: string): boolean {
  if (change.basedOn) return !dominates(change.basedOn, state.vector);
  return Object.entries(state.lastClockByLocation).some(([other, clock]) => other !== location && clock > changeClock);
}

function nextImage(state: RecordState, change: Change): { snapshot: JsonObject | null; status: RecordStatus } {
  const data = change.data ?? {};
  const merged = { ...(state.snapshot ?? {}), ...data };
  switch (change.op) {
    case "insert":
    case "snapshot":
      return { snapshot: { ...data }, status: "active" };
    case "update":
    case "reparent":
      return { snapshot: merged, status: state.status === "absent" ? "active" : state.status };
    case "restore":
      return { snapshot: merged, status: "active" };
    case "soft_delete":
      return { snapshot: merged, status: "soft_deleted" };
    case "delete":
      return { snapshot: null, status: "deleted" };
    case "rekey":
      return { snapshot: merged, status: state.status };
  }
}

/** Top-level fields whose value differs between the two images (canonical JSON equality), sorted. */
export function changedFields(before: JsonObject | null, after: JsonObject | null): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys].filter((k) => canonicalize(before?.[k]) !== canonicalize(after?.[k])).sort();
}

function maxText(a: string | undefined, b: string): string {
  return a !== undefined && a > b ? a : b;
}

