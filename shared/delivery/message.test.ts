/**
 * The delivery message's carried audit entry (shared/delivery/message.ts): old messages without it
 * still parse, a malformed one is not taken for an entry, and retries never carry it.
 */
import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../audit/entry";
import { carriedAudit, forRoutes, isDeliverMessage, type DeliverMessage } from "./message";

const base: DeliverMessage = {
  v: 1,
  kind: "deliver",
  tenant: "t1",
  recordRegion: "us",
  recordType: "customer",
  recordId: "c1",
  routingVersion: 3,
  event: { id: "e1", sequence: "00000000000000000007" } as DeliverMessage["event"],
  routes: [
    { id: "rt_a", attempt: 1, generation: 0, history: [] },
    { id: "rt_b", attempt: 1, generation: 0, history: [] },
  ],
};
const audit = { recordType: "customer", recordId: "c1", sequence: 7, hash: "ab12" } as AuditEntry;

describe("carriedAudit", () => {
  it.each([
    { name: "no audit field (a message from before it)", audit: undefined, carried: false },
    { name: "a sealed entry", audit, carried: true },
    { name: "null", audit: null, carried: false },
    { name: "a string", audit: "entry", carried: false },
    { name: "no hash", audit: { ...audit, hash: undefined }, carried: false },
    { name: "sequence as text", audit: { ...audit, sequence: "7" }, carried: false },
    { name: "no recordId", audit: { ...audit, recordId: undefined }, carried: false },
  ])("$name", ({ audit: a, carried }) => {
    const m = { ...base, audit: a } as DeliverMessage;
    expect(isDeliverMessage(m)).toBe(true); // the guard stays tolerant either way
    expect(carriedAudit(m)).toBe(carried ? a : null);
  });
});

describe("forRoutes: the message for some routes, without the audit entry", () => {
  it.each([
    { name: "carrying message", input: { ...base, audit } },
    { name: "plain message", input: base },
  ])("$name", ({ input }) => {
    const retry = forRoutes(input, [{ id: "rt_b", attempt: 2, generation: 0, history: [] }]);
    expect("audit" in retry).toBe(false);
    expect(retry.routes.map((r) => r.id)).toEqual(["rt_b"]);
    const { audit: _a, routes: _r, ...rest } = input as DeliverMessage;
    expect(retry).toMatchObject(rest);
    expect(input.routes).toHaveLength(2); // the original is untouched
  });
});
