/**
 * What a master-record object remembers about its record between changes. Stored as one
 * JSON row (versioned) so each accepted batch rewrites a single meta row.
 */
import type { Hlc } from "../clock/hlc";
import type { VersionVector } from "../clock/vector";
import type { JsonObject } from "../envelope/cloudevent";
import type { FifoState } from "./fifo";

export const RECORD_STATE_VERSION = 1;

export type RecordStatus = "absent" | "active" | "deleted" | "soft_deleted";

export type ParentRef = { type: string; id: string };

export type RecordState = {
  v: typeof RECORD_STATE_VERSION;
  sequence: number;
  lamport: number;
  hlc: Hlc;
  vector: VersionVector;
  /** Per location, the clock (HLC text) of its latest change: conflict test without basedOn. */
  lastClockByLocation: Record<string, string>;
  status: RecordStatus;
  snapshot: JsonObject | null;
  /** Clock of the change that last wrote the snapshot: last-writer-wins between concurrent changes. */
  snapshotClock: string;
  parent: ParentRef | null;
  /** Set once the record was rekeyed: the alias target that now answers for this key. */
  rekeyedTo: string | null;
  rekeyedFrom: string | null;
  /** Hash of the newest audit entry (or the carried anchor after a rekey): the chain head. */
  headHash: string;
  /** prevHash expected on this object's first audit entry (genesis, or the old key's head). */
  chainAnchor: string;
  /** Sequence of this object's first audit entry: 1, or the carried sequence + 1 after a rekey. */
  chainStart: number;
  /** Per-route FIFO cursors for routes that want this record's events in order (absent in old rows). */
  fifo?: FifoState;
};

export const GENESIS_HASH = "0".repeat(64);

export function initialRecordState(): RecordState {
  return {
    v: RECORD_STATE_VERSION,
    sequence: 0,
    lamport: 0,
    hlc: { wall: 0, logical: 0 },
    vector: {},
    lastClockByLocation: {},
    status: "absent",
    snapshot: null,
    snapshotClock: "",
    parent: null,
    rekeyedTo: null,
    rekeyedFrom: null,
    headHash: GENESIS_HASH,
    chainAnchor: GENESIS_HASH,
    chainStart: 1,
  };
}

/** What a rekey hands to the new key's object so that it continues the record's stream. */
export type CarriedState = Omit<RecordState, "rekeyedTo" | "chainAnchor" | "chainStart"> & { fromRecordId: string };

export function carryState(state: RecordState, fromRecordId: string): CarriedState {
  const { rekeyedTo: _to, chainAnchor: _anchor, chainStart: _start, ...rest } = state;
  return { ...rest, fromRecordId };
}

/**
 * The new key adopts the carried state when it has no history of its own: sequence, clocks,
 * vector and snapshot continue, and its audit chain is anchored on the old key's head. A key
 * that already has events keeps its own stream and only merges what cannot go backwards.
 */
export function adoptCarriedState(own: RecordState, carried: CarriedState): RecordState {
  const { fromRecordId, ...rest } = carried;
  if (own.sequence === 0) {
    return { ...rest, v: RECORD_STATE_VERSION, rekeyedTo: null, rekeyedFrom: fromRecordId, chainAnchor: carried.headHash, chainStart: carried.sequence + 1, status: carried.status === "absent" ? "active" : carried.status };
  }
  return {
    ...own,
    lamport: Math.max(own.lamport, carried.lamport),
    hlc: own.hlc.wall > carried.hlc.wall || (own.hlc.wall === carried.hlc.wall && own.hlc.logical >= carried.hlc.logical) ? own.hlc : carried.hlc,
    rekeyedFrom: fromRecordId,
  };
}
