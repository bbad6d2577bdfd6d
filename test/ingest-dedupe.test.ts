import { describe, expect, it } from "vitest";
import { admin, change, newTenant, push } from "./helpers";

describe("dedupe by (location, change id)", () => {
  it("answers a resent change as duplicate with the original event, and records nothing twice", async () => {
    const { tenant, keys } = await newTenant();
    const c = change("cust-d", "insert", { name: "Grace" });
    const first = await push(keys["store-1"]!, [c]);
    const again = await push(keys["store-1"]!, [c]);
    expect(again.status).toBe(200);
    expect(again.results).toEqual([{ id: c.id, status: "duplicate", eventId: first.results[0]!.eventId, sequence: 1 }]);

    const trail = await admin("GET", `/tenants/${tenant}/records/customer/cust-d/audit`);
    expect(trail.json.items).toHaveLength(1);
  });

  it("treats the same id twice in one request as one change", async () => {
    const { tenant, keys } = await newTenant();
    const c = change("cust-e", "insert", { name: "Linus" });
    const { results } = await push(keys["store-1"]!, [c, c]);
    expect(results.map((r) => r.status)).toEqual(["accepted", "duplicate"]);
    expect(results[1]!.eventId).toBe(results[0]!.eventId);
    const trail = await admin("GET", `/tenants/${tenant}/records/customer/cust-e/audit`);
    expect(trail.json.items).toHaveLength(1);
  });

  it("dedupes a 250-change request to one record, more than one lookup or insert statement holds", async () => {
    // The object looks ids up 99 at a time and writes 20 dedupe / 25 audit rows per statement.
    const { tenant, keys } = await newTenant();
    const changes = Array.from({ length: 249 }, (_, i) => change("cust-big", i === 0 ? "insert" : "update", { n: i }));
    const body = [...changes.slice(0, 120), changes[7]!, ...changes.slice(120)];
    const first = await push(keys["store-1"]!, body);
    expect(first.results.filter((r) => r.status === "accepted").map((r) => r.sequence)).toEqual(Array.from({ length: 249 }, (_, i) => i + 1));
    expect(first.results[120]).toEqual({ id: changes[7]!.id, status: "duplicate", eventId: first.results[7]!.eventId, sequence: 8 });
    const again = await push(keys["store-1"]!, body);
    expect(again.results.map((r) => [r.status, r.sequence, r.eventId])).toEqual(first.results.map((r) => ["duplicate", r.sequence, r.eventId]));
    const verify = await admin("GET", `/tenants/${tenant}/records/customer/cust-big/audit/verify`);
    expect(verify.json).toEqual({ valid: true, entries: 249 });
  });

  it("keeps the same change id from two locations apart (the key is per location)", async () => {
    const { keys } = await newTenant("us", ["a", "b"]);
    const c = change("cust-f", "update", { n: 1 });
    const a = await push(keys.a!, [c]);
    const b = await push(keys.b!, [c]);
    expect(a.results[0]!.status).toBe("accepted");
    expect(b.results[0]).toMatchObject({ status: "accepted", sequence: 2 });
  });
});
