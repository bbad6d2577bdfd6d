import { describe, expect, it } from "vitest";
import { admin, change, newTenant, push } from "./helpers";

describe("a request of 500 changes over 50 records", () => {
  it("answers in request order and gives every record a gap-free sequence in request order", async () => {
    const { tenant, keys } = await newTenant();
    const changes = Array.from({ length: 500 }, (_, i) => change(`rec-${i % 50}`, "update", { step: Math.floor(i / 50) }));
    const { status, results } = await push(keys["store-1"]!, changes);
    expect(status).toBe(200);
    expect(results.map((r) => r.id)).toEqual(changes.map((c) => c.id));
    expect(results.every((r) => r.status === "accepted")).toBe(true);

    // Within a record, the i-th change of the request got sequence i (1-based).
    const perRecord = new Map<string, number[]>();
    results.forEach((r, i) => perRecord.set(changes[i]!.recordId, [...(perRecord.get(changes[i]!.recordId) ?? []), r.sequence!]));
    for (const sequences of perRecord.values()) expect(sequences).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    const trail = await admin("GET", `/tenants/${tenant}/records/customer/rec-7/audit`);
    expect(trail.json.items.map((e: any) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(trail.json.items.map((e: any) => e.snapshot.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const verdict = await admin("GET", `/tenants/${tenant}/records/customer/rec-7/audit/verify`);
    expect(verdict.json).toEqual({ valid: true, entries: 10 });
  });

  it("pages a long trail with a cursor", async () => {
    const { tenant, keys } = await newTenant();
    await push(keys["store-1"]!, Array.from({ length: 7 }, (_, i) => change("paged", "update", { i })));
    const first = await admin("GET", `/tenants/${tenant}/records/customer/paged/audit?limit=5`);
    expect(first.json.items.map((e: any) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    const second = await admin("GET", `/tenants/${tenant}/records/customer/paged/audit?limit=5&cursor=${first.json.nextCursor}`);
    expect(second.json.items.map((e: any) => e.sequence)).toEqual([6, 7]);
    expect(second.json.nextCursor).toBeNull();
  });
});
