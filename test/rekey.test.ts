import { describe, expect, it } from "vitest";
import { admin, change, newTenant, push } from "./helpers";

describe("rekey", () => {
  it("emits rekeyed on the old key's stream; the new id continues the sequence; the old id is an alias", async () => {
    const { tenant, keys } = await newTenant();
    const key = keys["store-1"]!;
    await push(key, [change("old-id", "insert", { name: "Ada" }), change("old-id", "update", { tier: "gold" })]);
    const rekey = await push(key, [change("old-id", "rekey", {}, { newRecordId: "new-id" })]);
    expect(rekey.results[0]).toMatchObject({ status: "accepted", sequence: 3 });

    const next = await push(key, [change("new-id", "update", { tier: "platinum" })]);
    expect(next.results[0]).toMatchObject({ status: "accepted", sequence: 4 });

    // The alias: a change still addressed to the old id lands on the new id's stream.
    const viaAlias = await push(key, [change("old-id", "update", { phone: "555" })]);
    expect(viaAlias.results[0]).toMatchObject({ status: "accepted", sequence: 5 });

    const oldTrail = (await admin("GET", `/tenants/${tenant}/records/customer/old-id/audit`)).json.items;
    expect(oldTrail.map((e: any) => e.event.type)).toEqual(["io.changecast.customer.created", "io.changecast.customer.updated", "io.changecast.customer.rekeyed"]);
    expect(oldTrail[2].event.data.newRecordId).toBe("new-id");

    const newTrail = (await admin("GET", `/tenants/${tenant}/records/customer/new-id/audit`)).json.items;
    expect(newTrail.map((e: any) => [e.sequence, e.event.subject])).toEqual([
      [4, "customer/new-id"],
      [5, "customer/new-id"],
    ]);
    expect(newTrail[1].snapshot).toEqual({ name: "Ada", tier: "platinum", phone: "555" });
    // The new key's chain is anchored on the old key's head: one chain across the rekey.
    expect(newTrail[0].prevHash).toBe(oldTrail[2].hash);
    expect((await admin("GET", `/tenants/${tenant}/records/customer/new-id/audit/verify`)).json).toEqual({ valid: true, entries: 2 });
    expect((await admin("GET", `/tenants/${tenant}/records/customer/old-id/audit/verify`)).json).toEqual({ valid: true, entries: 3 });
  });

  it("forwards the rest of a request after a rekey inside it, in order", async () => {
    const { tenant, keys } = await newTenant();
    const { results } = await push(keys["store-1"]!, [
      change("a1", "insert", { v: 1 }),
      change("a1", "rekey", {}, { newRecordId: "b1" }),
      change("a1", "update", { v: 2 }),
    ]);
    expect(results.map((r) => [r.status, r.sequence])).toEqual([
      ["accepted", 1],
      ["accepted", 2],
      ["accepted", 3],
    ]);
    const moved = (await admin("GET", `/tenants/${tenant}/records/customer/b1/audit`)).json.items;
    expect(moved.map((e: any) => e.snapshot.v)).toEqual([2]);
  });

  it("still answers a resend of a pre-rekey change as a duplicate", async () => {
    const { keys } = await newTenant();
    const original = change("c1", "insert", { v: 1 });
    await push(keys["store-1"]!, [original, change("c1", "rekey", {}, { newRecordId: "d1" })]);
    const { results } = await push(keys["store-1"]!, [original]);
    expect(results[0]).toMatchObject({ status: "duplicate", sequence: 1 });
  });
});
