import { env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_SCHEDULE } from "../shared/routing/route";
import { ADMIN_TOKEN, admin, call, newTenant } from "./helpers";
import { receiverUrl as receiverUrlOf } from "./receiver";

const receiverUrl = receiverUrlOf();

async function routingVersion(tenant: string): Promise<number> {
  const row = await env.DB.prepare("SELECT routing_version FROM tenants WHERE id = ?").bind(tenant).first<{ routing_version: number }>();
  return row!.routing_version;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await call("POST", `/admin/v1${path}`, { token: ADMIN_TOKEN, body, headers });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

async function problem(res: { status: number; json: any; headers?: Headers }, status: number, field: string) {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.json).toMatchObject({ status, field });
}

/** A tenant with one subscriber; answers both ids. */
async function setup(region: "us" | "eu" | "ap" = "us") {
  const { tenant, keys } = await newTenant(region);
  const sub = await admin("POST", `/tenants/${tenant}/subscribers`, { name: "CRM", purposes: ["marketing"], agreements: { dpa: true } });
  expect(sub.status).toBe(201);
  return { tenant, subscriberId: sub.json.id as string, key: keys["store-1"]! };
}

const hook = (tenant: string, name = "hook") => `${receiverUrl}/${tenant}/${name}`;

describe("subscribers", () => {
  it("create, read, update, list in pages, delete", async () => {
    const { tenant } = await newTenant();
    const a = await admin("POST", `/tenants/${tenant}/subscribers`, { id: "crm", name: "CRM", purposes: ["marketing"], agreements: { hipaaBaa: true } });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ tenant, id: "crm", name: "CRM", purposes: ["marketing"], agreements: { hipaaBaa: true } });
    const b = await admin("POST", `/tenants/${tenant}/subscribers`, { name: "Warehouse" });
    expect(b.json).toMatchObject({ id: expect.stringMatching(/^sub_[0-9a-f]{20}$/), purposes: [], agreements: {} });
    await admin("POST", `/tenants/${tenant}/subscribers`, { id: "zeta", name: "Zeta", purposes: [], agreements: {} });
    expect((await admin("POST", `/tenants/${tenant}/subscribers`, { id: "crm", name: "again" })).status).toBe(409);

    expect((await admin("GET", `/tenants/${tenant}/subscribers/crm`)).json).toEqual(a.json);
    const patched = await admin("PATCH", `/tenants/${tenant}/subscribers/crm`, { name: "CRM 2", agreements: { glba: true } });
    expect(patched.json).toMatchObject({ name: "CRM 2", purposes: ["marketing"], agreements: { glba: true } });

    const first = await admin("GET", `/tenants/${tenant}/subscribers?limit=2`);
    expect(first.json.items.map((s: any) => s.id)).toEqual(["crm", b.json.id]);
    const second = await admin("GET", `/tenants/${tenant}/subscribers?limit=2&cursor=${first.json.nextCursor}`);
    expect(second.json).toEqual({ items: [expect.objectContaining({ id: "zeta" })], nextCursor: null });

    const del = await call("DELETE", `/admin/v1/tenants/${tenant}/subscribers/zeta`, { token: ADMIN_TOKEN });
    expect(del.status).toBe(204);
    expect((await admin("GET", `/tenants/${tenant}/subscribers/zeta`)).status).toBe(404);
  });

  it.each([
    ["missing name", { purposes: [] }, "name"],
    ["unknown agreement", { name: "x", agreements: { sox: true } }, "agreements.sox"],
    ["purposes not strings", { name: "x", purposes: [1] }, "purposes[0]"],
    ["bad id", { id: "Has Spaces", name: "x" }, "id"],
  ])("%s → 400 naming %s", async (_name, body, field) => {
    const { tenant } = await newTenant();
    await problem(await post(`/tenants/${tenant}/subscribers`, body), 400, field);
  });

  it("unknown tenant → 404; a subscriber with routes cannot be deleted", async () => {
    expect((await admin("GET", "/tenants/no-such-tenant/subscribers")).status).toBe(404);
    expect((await admin("POST", "/tenants/no-such-tenant/routes", {})).status).toBe(404);
    const { tenant, subscriberId } = await setup();
    const route = await admin("POST", `/tenants/${tenant}/routes`, { subscriberId, url: hook(tenant) });
    const refused = await call("DELETE", `/admin/v1/tenants/${tenant}/subscribers/${subscriberId}`, { token: ADMIN_TOKEN });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect((await call("DELETE", `/admin/v1/tenants/${tenant}/routes/${route.json.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    expect((await call("DELETE", `/admin/v1/tenants/${tenant}/subscribers/${subscriberId}`, { token: ADMIN_TOKEN })).status).toBe(204);
  });
});

describe("routes", () => {
  it("create with defaults; the secret is shown once and never again", async () => {
    const { tenant, subscriberId } = await setup("eu");
    const created = await admin("POST", `/tenants/${tenant}/routes`, { subscriberId, url: hook(tenant) });
    expect(created.status).toBe(201);
    const secret = created.json.secret as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(created.json).toMatchObject({
      id: expect.stringMatching(/^rt_[0-9a-f]{20}$/), tenant, subscriberId, url: hook(tenant), region: "eu", filter: [], contentMode: "structured",
      guarantee: "at-least-once", ordering: "none", retrySchedule: [...DEFAULT_RETRY_SCHEDULE], timeoutMs: 15000, status: "active",
      secrets: [{ id: expect.stringMatching(/^sec_/), createdAt: expect.any(String), expiresAt: null }],
    });
    const id = created.json.id;
    const twin = await post(`/tenants/${tenant}/routes`, { id, subscriberId, url: hook(tenant) });
    expect(twin.status).toBe(409);
    const one = await admin("GET", `/tenants/${tenant}/routes/${id}`);
    const list = await admin("GET", `/tenants/${tenant}/routes`);
    for (const body of [one.json, list.json]) {
      expect(JSON.stringify(body)).not.toContain(secret.slice("whsec_".length));
      expect(JSON.stringify(body)).not.toContain('"secret"');
    }
    expect(one.json.secrets).toEqual(created.json.secrets);
    const stored = await env.DB.prepare("SELECT ciphertext FROM route_secrets WHERE tenant_id = ?").bind(tenant).all<{ ciphertext: string }>();
    expect(stored.results).toHaveLength(1);
    expect(stored.results[0]!.ciphertext).not.toContain(secret.slice("whsec_".length));
  });

  it("list filters by subscriberId and status, in pages; patch; delete", async () => {
    const { tenant, subscriberId } = await setup();
    const other = (await admin("POST", `/tenants/${tenant}/subscribers`, { id: "other", name: "Other" })).json.id;
    for (const [id, sub, status] of [["r1", subscriberId, "active"], ["r2", subscriberId, "paused"], ["r3", other, "active"], ["r4", subscriberId, "active"]]) {
      expect((await admin("POST", `/tenants/${tenant}/routes`, { id, subscriberId: sub, url: hook(tenant, id!), status })).status).toBe(201);
    }
    const ids = async (query: string) => (await admin("GET", `/tenants/${tenant}/routes${query}`)).json;
    expect((await ids(`?subscriberId=${subscriberId}`)).items.map((r: any) => r.id)).toEqual(["r1", "r2", "r4"]);
    expect((await ids("?status=paused")).items.map((r: any) => r.id)).toEqual(["r2"]);
    expect((await ids(`?status=active&subscriberId=${subscriberId}`)).items.map((r: any) => r.id)).toEqual(["r1", "r4"]);
    const page1 = await ids("?limit=3");
    expect(page1.items.map((r: any) => r.id)).toEqual(["r1", "r2", "r3"]);
    expect((await ids(`?limit=3&cursor=${page1.nextCursor}`))).toMatchObject({ items: [{ id: "r4" }], nextCursor: null });
    await problem(await admin("GET", `/tenants/${tenant}/routes?status=sleepy`), 400, "status");

    const filter = [{ prefix: { type: "io.changecast.customer." } }, { not: { exact: { subject: "customer/42" } } }];
    const patched = await admin("PATCH", `/tenants/${tenant}/routes/r1`, { filter, timeoutMs: 5000, ordering: "per-record", subscriberId: other });
    expect(patched.json).toMatchObject({ id: "r1", filter, timeoutMs: 5000, ordering: "per-record", subscriberId: other, url: hook(tenant, "r1") });
    await problem(await admin("PATCH", `/tenants/${tenant}/routes/r1`, { subscriberId: "ghost" }), 400, "subscriberId");
    await problem(await admin("PATCH", `/tenants/${tenant}/routes/r1`, { url: "https://10.0.0.5/x" }), 400, "url");
    expect((await admin("PATCH", `/tenants/${tenant}/routes/nope`, { timeoutMs: 5000 })).status).toBe(404);

    expect((await call("DELETE", `/admin/v1/tenants/${tenant}/routes/r1`, { token: ADMIN_TOKEN })).status).toBe(204);
    expect((await admin("GET", `/tenants/${tenant}/routes/r1`)).status).toBe(404);
    expect((await call("DELETE", `/admin/v1/tenants/${tenant}/routes/r1`, { token: ADMIN_TOKEN })).status).toBe(404);
    const secrets = await env.DB.prepare("SELECT count(*) AS n FROM route_secrets WHERE tenant_id = ? AND route_id = 'r1'").bind(tenant).first<{ n: number }>();
    expect(secrets!.n).toBe(0);
  });

  describe("bad input → problem+json naming the field, nothing stored", () => {
    it.each([
      ["http URL to a public host", { url: "http://example.com/hook" }, "url"],
      ["private 10.0.0.5", { url: "https://10.0.0.5/hook" }, "url"],
      ["private 192.168.1.1", { url: "https://192.168.1.1/hook" }, "url"],
      ["metadata 169.254.169.254", { url: "https://169.254.169.254/latest/meta-data" }, "url"],
      ["unique-local [fd00::1]", { url: "https://[fd00::1]/hook" }, "url"],
      ["not a URL", { url: "hook" }, "url"],
      ["unknown filter dialect", { filter: [{ sql: "type = 'x'" }] }, "filter[0].sql"],
      ["nested unknown dialect", { filter: [{ all: [{ exact: { type: "a" } }, { regex: { type: ".*" } }] }] }, "filter[0].all[1].regex"],
      ["unknown subscriberId", { subscriberId: "ghost" }, "subscriberId"],
      ["empty retry schedule", { retrySchedule: [] }, "retrySchedule"],
      ["retry delay too long", { retrySchedule: [5, 90_000] }, "retrySchedule[1]"],
      ["timeout too short", { timeoutMs: 500 }, "timeoutMs"],
      ["unknown region", { region: "mars" }, "region"],
      ["status disabled", { status: "disabled" }, "status"],
      ["unknown field", { colour: "red" }, "colour"],
    ])("%s", async (_name, patch, field) => {
      const { tenant, subscriberId } = await setup();
      const before = await routingVersion(tenant);
      const res = await call("POST", `/admin/v1/tenants/${tenant}/routes`, { token: ADMIN_TOKEN, body: { subscriberId, url: "https://example.com/hook", ...patch } });
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const body = (await res.json()) as any;
      expect(res.status).toBe(400);
      expect(body.field).toBe(field);
      expect(body.detail).toContain(field);
      expect((await admin("GET", `/tenants/${tenant}/routes`)).json.items).toEqual([]);
      expect(await routingVersion(tenant)).toBe(before);
    });

    it("the URL problem says why", async () => {
      const { tenant, subscriberId } = await setup();
      const res = await post(`/tenants/${tenant}/routes`, { subscriberId, url: "https://169.254.169.254/" });
      expect(res.json.detail).toMatch(/^url: .+/);
    });

    it("loopback http is allowed here (ALLOW_LOOPBACK_TARGETS=1)", async () => {
      const { tenant, subscriberId } = await setup();
      expect((await post(`/tenants/${tenant}/routes`, { subscriberId, url: "http://127.0.0.1:9/x" })).status).toBe(201);
      expect((await post(`/tenants/${tenant}/routes`, { subscriberId, url: "http://localhost:9/x" })).status).toBe(201);
    });
  });
});
