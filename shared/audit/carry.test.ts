/**
 * Audit entries on delivery messages (shared/audit/carry.ts): which message carries an entry, and
 * how the entries without a carrier are cut into contiguous audit-queue messages.
 */
import { describe, expect, it } from "vitest";
import type { AuditEntry } from "./entry";
import { packContiguous, pickCarrier } from "./carry";
import { AUDIT_MESSAGE_MAX_BYTES } from "./shipping";
import type { Region } from "../record/region";

const entry = (sequence: number): AuditEntry => ({ recordType: "customer", recordId: "c1", sequence, hash: `h${sequence}` }) as AuditEntry;
const regions = (...r: Region[]) => r.map((region) => ({ region }));

describe("pickCarrier: one carrier, the home region's first message when there is one", () => {
  it.each([
    { name: "no delivery message: the audit queue", messages: regions(), home: "us", bytes: [100, 100], carrier: null },
    { name: "one message", messages: regions("eu"), home: "us", bytes: [100, 100], carrier: 0 },
    { name: "home region first", messages: regions("us", "eu"), home: "us", bytes: [100, 100], carrier: 0 },
    { name: "home region later in the list", messages: regions("eu", "ap", "us"), home: "us", bytes: [100, 100], carrier: 2 },
    { name: "two shards of the home region: the first", messages: regions("eu", "us", "us"), home: "us", bytes: [100, 100], carrier: 1 },
    { name: "no home-region message: the first", messages: regions("ap", "eu"), home: "us", bytes: [100, 100], carrier: 0 },
    { name: "message and entry exactly at the limit ride", messages: regions("us"), home: "us", bytes: [AUDIT_MESSAGE_MAX_BYTES / 2, AUDIT_MESSAGE_MAX_BYTES / 2], carrier: 0 },
    { name: "one byte over the limit: the audit queue", messages: regions("us"), home: "us", bytes: [AUDIT_MESSAGE_MAX_BYTES / 2, AUDIT_MESSAGE_MAX_BYTES / 2 + 1], carrier: null },
  ] as const)("$name", ({ messages, home, bytes, carrier }) => {
    expect(pickCarrier(messages, home, bytes[0], bytes[1])).toBe(carrier);
  });
});

describe("packContiguous: every audit message covers a range without holes", () => {
  it.each([
    { name: "nothing", sequences: [], max: 100, groups: [] },
    { name: "one run", sequences: [1, 2, 3], max: 100, groups: [[1, 2, 3]] },
    { name: "a carried entry in the middle cuts the run", sequences: [1, 3], max: 100, groups: [[1], [3]] },
    { name: "several holes", sequences: [2, 3, 5, 8, 9], max: 100, groups: [[2, 3], [5], [8, 9]] },
    { name: "a run is still packed under the byte bound", sequences: [1, 2, 3, 4, 6], max: 20, groups: [[1, 2], [3, 4], [6]] },
  ])("$name", ({ sequences, max, groups }) => {
    const packed = packContiguous(sequences.map((s) => ({ entry: entry(s), bytes: 10 })), max);
    expect(packed.map((g) => g.map((e) => e.sequence))).toEqual(groups);
  });
});
