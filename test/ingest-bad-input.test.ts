import { describe, expect, it } from "vitest";
import { admin, call, change, newTenant, push } from "./helpers";

async function trailLength(tenant: string, recordId: string): Promise<number> {
  return (await admin("GET", `/tenants/${tenant}/records/customer/${recordId}/audit`)).json.items.length;
}

async function problem(res: Response) {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as { status: number; title: string; field?: string; detail?: string };
}

describe("bad items are rejected one by one, naming the field; the others go through", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["missing recordId", { recordId: undefined }, "changes[0].recordId"],
    ["mistyped occurredAt", { occurredAt: "yesterday" }, "changes[0].occurredAt"],
    ["unknown op", { op: "upsert" }, "changes[0].op"],
    ["data not an object", { data: [1, 2] }, "changes[0].data"],
    ["unknown field", { colour: "red" }, "changes[0].colour"],
    ["reparent without parent", { op: "reparent" }, "changes[0].parent"],
    ["rekey without newRecordId", { op: "rekey" }, "changes[0].newRecordId"],
    ["malformed hlc", { hlc: "12-3" }, "changes[0].hlc"],
  ];
  it.each(cases)("%s", async (_name, patch, field) => {
    const { tenant, keys } = await newTenant();
    const bad = { ...change("bad-rec", "update"), ...patch };
    const good = change("good-rec", "update", { ok: true });
    const { status, results } = await push(keys["store-1"]!, [bad, good]);
    expect(status).toBe(200);
    expect(results[0]).toMatchObject({ status: "rejected", error: { field } });
    expect(results[1]).toMatchObject({ status: "accepted", sequence: 1 });
    expect(await trailLength(tenant, "bad-rec")).toBe(0);
  });

  it("refuses a sender clock too far ahead for that item only", async () => {
    const { tenant, keys } = await newTenant();
    const ahead = `${String(Date.now() + 60_000).padStart(15, "0")}-000000`;
    const { results } = await push(keys["store-1"]!, [change("skewed", "update", { a: 1 }, { hlc: ahead })]);
    expect(results[0]).toMatchObject({ status: "rejected", error: { field: "changes[0].hlc", reason: expect.stringContaining("ahead") } });
    expect(await trailLength(tenant, "skewed")).toBe(0);
  });
});

describe("bad requests get problem+json and store nothing", () => {
  it("501 changes → 400 naming changes", async () => {
    const { tenant, keys } = await newTenant();
    const res = await call("POST", "/v1/changes", { token: keys["store-1"], body: { changes: Array.from({ length: 501 }, () => change("too-many")) } });
    expect(res.status).toBe(400);
    expect((await problem(res)).field).toBe("changes");
    expect(await trailLength(tenant, "too-many")).toBe(0);
  });

  it("empty list → 400", async () => {
    const { keys } = await newTenant();
    const res = await call("POST", "/v1/changes", { token: keys["store-1"], body: { changes: [] } });
    expect(res.status).toBe(400);
    expect((await problem(res)).field).toBe("changes");
  });

  it("unreadable JSON → 400 naming body", async () => {
    const { keys } = await newTenant();
    const res = await call("POST", "/v1/changes", { token: keys["store-1"], rawBody: "{not json", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect((await problem(res)).field).toBe("body");
  });

  it("a body over 1 MiB → 413", async () => {
    const { tenant, keys } = await newTenant();
    const big = change("huge", "update", { blob: "x".repeat(1024 * 1024) });
    const res = await call("POST", "/v1/changes", { token: keys["store-1"], body: { changes: [big] } });
    expect(res.status).toBe(413);
    expect((await problem(res)).field).toBe("body");
    expect(await trailLength(tenant, "huge")).toBe(0);
  });

  it("no key → 401, wrong key → 401, revoked key → 403", async () => {
    const { tenant, keys } = await newTenant();
    const body = { changes: [change("auth-rec")] };
    expect((await call("POST", "/v1/changes", { body })).status).toBe(401);
    expect((await call("POST", "/v1/changes", { token: "loc_not-a-real-key", body })).status).toBe(401);

    const revoked = await admin("DELETE", `/tenants/${tenant}/locations/store-1`);
    expect(revoked.json.revokedAt).toEqual(expect.any(String));
    const res = await call("POST", "/v1/changes", { token: keys["store-1"], body });
    expect(res.status).toBe(403);
    expect((await problem(res)).title).toBe("Location key revoked");
    expect(await trailLength(tenant, "auth-rec")).toBe(0);
  });

  it("a location key cannot reach the admin API, and a wrong admin token gets 401", async () => {
    const { tenant, keys } = await newTenant();
    expect((await call("GET", `/admin/v1/tenants/${tenant}`, { token: keys["store-1"] })).status).toBe(401);
    const wrong = await call("GET", `/admin/v1/tenants/${tenant}`, { token: "nope" });
    expect(wrong.status).toBe(401);
    await problem(wrong);
  });
});

describe("admin input", () => {
  it("rejects a bad tenant id naming the field, and a duplicate with 409", async () => {
    const bad = await admin("POST", "/tenants", { id: "Not Valid", name: "x" });
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe("id");
    const { tenant } = await newTenant();
    expect((await admin("POST", "/tenants", { id: tenant, name: "again" })).status).toBe(409);
    expect((await admin("POST", `/tenants/${tenant}/locations`, { id: "store-1", name: "again" })).status).toBe(409);
  });

  it("never returns a location's key after creation", async () => {
    const { tenant } = await newTenant();
    const loc = await admin("GET", `/tenants/${tenant}/locations/store-1`);
    expect(loc.json.key).toBeUndefined();
    expect(loc.json.keyPrefix).toMatch(/^loc_/);
  });
});
