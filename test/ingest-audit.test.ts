import { describe, expect, it } from "vitest";
import { admin, change, newTenant, push } from "./helpers";

describe("a change accepted at the edge", () => {
  it("is readable in the record's audit trail and the chain verifies", async () => {
    const { tenant, keys } = await newTenant();
    const c = change("cust-1", "insert", { name: "Ada", email: "ada@example.com" });
    const { status, results } = await push(keys["store-1"]!, [c]);
    expect(status).toBe(200);
    expect(results).toEqual([{ id: c.id, status: "accepted", eventId: expect.stringMatching(/^[0-9a-f-]{36}$/), sequence: 1 }]);

    const trail = await admin("GET", `/tenants/${tenant}/records/customer/cust-1/audit`);
    expect(trail.status).toBe(200);
    expect(trail.json.items).toHaveLength(1);
    const entry = trail.json.items[0];
    expect(entry.event).toMatchObject({ specversion: "1.0", id: results[0]!.eventId, type: "io.changecast.customer.created", subject: "customer/cust-1", sequence: "00000000000000000001" });
    expect(entry.snapshot).toEqual({ name: "Ada", email: "ada@example.com" });

    const verdict = await admin("GET", `/tenants/${tenant}/records/customer/cust-1/audit/verify`);
    expect(verdict.json).toEqual({ valid: true, entries: 1 });
  });
});
