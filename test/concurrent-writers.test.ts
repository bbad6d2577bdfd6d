import { describe, expect, it } from "vitest";
import { admin, change, newTenant, push } from "./helpers";

describe("two locations updating one record (DESIGN.md, Concurrent writers)", () => {
  it("flags the change made without knowledge of the other's as a conflict, and applies both", async () => {
    const { tenant, keys } = await newTenant("us", ["north", "south"]);
    // Both start from the same empty view of the record.
    const north = await push(keys.north!, [change("shared", "update", { phone: "111" }, { basedOn: {} })]);
    const south = await push(keys.south!, [change("shared", "update", { email: "s@x" }, { basedOn: {} })]);
    expect(north.results[0]!.status).toBe("accepted");
    expect(south.results[0]!.status).toBe("accepted");

    const { json } = await admin("GET", `/tenants/${tenant}/records/customer/shared/audit`);
    const [first, second] = json.items;
    expect(first.event.data.conflict).toBeUndefined();
    expect(second.event.data.conflict).toBe(true);
    expect(second.event.data.vector).toEqual({ north: 1, south: 1 });
    expect(second.snapshot).toEqual({ phone: "111", email: "s@x" });
  });

  it("does not flag a change whose basedOn has seen everything", async () => {
    const { tenant, keys } = await newTenant("us", ["north", "south"]);
    await push(keys.north!, [change("seen", "update", { a: 1 }, { basedOn: {} })]);
    await push(keys.south!, [change("seen", "update", { b: 2 }, { basedOn: { north: 1 } })]);
    const { json } = await admin("GET", `/tenants/${tenant}/records/customer/seen/audit`);
    expect(json.items[1].event.data.conflict).toBeUndefined();
  });

  it("without basedOn, flags a change older (by its HLC) than another location's latest", async () => {
    const { tenant, keys } = await newTenant("us", ["north", "south"]);
    const now = Date.now();
    const hlc = (ms: number) => `${String(ms).padStart(15, "0")}-000000`;
    await push(keys.north!, [change("late", "update", { v: "north" }, { hlc: hlc(now - 100) })]);
    await push(keys.south!, [change("late", "update", { v: "south-older" }, { hlc: hlc(now - 5000) })]);
    const { json } = await admin("GET", `/tenants/${tenant}/records/customer/late/audit`);
    expect(json.items[1].event.data).toMatchObject({ conflict: true, superseded: true, proposed: { v: "south-older" } });
    expect(json.items[1].snapshot).toEqual({ v: "north" }); // last writer by HLC wins
  });
});
