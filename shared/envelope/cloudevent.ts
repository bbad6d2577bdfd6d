/**
 * The change event: CloudEvents 1.0 (JSON format) exactly as DESIGN.md "The event" fixes it.
 * Extension names follow CloudEvents §3.1.1 (lower-case a–z/0–9, ≤ 20 chars).
 */
import { opPastTense, type Op } from "../change/ops";
import type { VersionVector } from "../clock/vector";

export const EVENT_FORMAT_VERSION = 1;

export type JsonObject = Record<string, unknown>;

export type ChangeEventData = {
  op: Op;
  before: JsonObject | null;
  after: JsonObject | null;
  changed: string[];
  vector: VersionVector;
  /** Present (true) only when the change was concurrent with the record's state. */
  conflict?: true;
  /** With conflict: the older concurrent change lost last-writer-wins; `proposed` is what it asked for. */
  superseded?: true;
  proposed?: JsonObject;
  parent?: { type: string; id: string } | null;
  previousParent?: { type: string; id: string } | null;
  newRecordId?: string;
  previousRecordId?: string;
};

export type ChangeEvent = {
  specversion: "1.0";
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: "application/json";
  dataschema?: string;
  data: ChangeEventData;
  sequence: string;
  partitionkey: string;
  hlc: string;
  lamport: number;
  tenant: string;
  location: string;
  traceparent?: string;
};

/** 20 digits: the largest 64-bit unsigned value has 20, and zero-padding makes text order numeric. */
export function formatSequence(n: number): string {
  return String(n).padStart(20, "0");
}

export type EventInput = {
  id: string;
  tenant: string;
  location: string;
  typePrefix: string;
  recordType: string;
  recordId: string;
  op: Op;
  occurredAt: string;
  sequence: number;
  hlc: string;
  lamport: number;
  data: ChangeEventData;
  dataschema?: string;
  traceparent?: string;
};

export function buildChangeEvent(input: EventInput): ChangeEvent {
  const key = `${input.recordType}/${input.recordId}`;
  return {
    specversion: "1.0",
    id: input.id,
    source: `/tenants/${input.tenant}/locations/${input.location}`,
    type: `${input.typePrefix}.${input.recordType}.${opPastTense(input.op)}`,
    subject: key,
    // RFC 3339 in UTC with milliseconds, whatever offset the location sent.
    time: new Date(input.occurredAt).toISOString(),
    datacontenttype: "application/json",
    ...(input.dataschema ? { dataschema: input.dataschema } : {}),
    data: input.data,
    sequence: formatSequence(input.sequence),
    partitionkey: key,
    hlc: input.hlc,
    lamport: input.lamport,
    tenant: input.tenant,
    location: input.location,
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
  };
}
