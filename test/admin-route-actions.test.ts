import { env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, admin, call, newTenant } from "./helpers";
import { receivedRequests, receiverUrl as receiverUrlOf } from "./receiver";

const receiverUrl = receiverUrlOf();

async function routingVersion(tenant: string): Promise<number> {
  const row = await env.DB.prepare("SELECT routing_version FROM tenants WHERE id = ?").bind(tenant).first<{ routing_version: number }>();
  return row!.routing_version;
}

async function post(path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await call("POST", `/admin/v1${path}`, { token: ADMIN_TOKEN, body, headers });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

/** A tenant, a subscriber and one route to `${receiverUrl}/${tenant}/${name}`. */
async function routeTo(name = "hook", extra: Record<string, unknown> = {}) {
  const { tenant } = await newTenant();
  const subscriberId = (await admin("POST", `/tenants/${tenant}/subscribers`, { name: "CRM" })).json.id;
  const path = `/${tenant}/${name}`;
  const route = await post(`/tenants/${tenant}/routes`, { subscriberId, url: receiverUrl + path, ...extra });
  expect(route.status, JSON.stringify(route.json)).toBe(201);
  return { tenant, subscriberId, id: route.json.id as string, secret: route.json.secret as string, path };
}

describe("secret rotation", () => {
  it("answers a new secret once; the old one keeps signing until the overlap ends", async () => {
    const { tenant, id, secret, path } = await routeTo("rotate");
    const before = Date.now();
    const rotated = await post(`/tenants/${tenant}/routes/${id}/secret/rotate`, { overlapSeconds: 3600 });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(secret);
    const [fresh, old] = rotated.json.secrets;
    expect(rotated.json.secrets).toHaveLength(2);
    expect(fresh.expiresAt).toBeNull();
    const expires = Date.parse(old.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
    const read = await admin("GET", `/tenants/${tenant}/routes/${id}`);
    expect(read.json.secrets).toEqual(rotated.json.secrets);
    expect(read.json.secret).toBeUndefined();

    // Both secrets sign the test send: a receiver holding either one verifies it.
    expect((await post(`/tenants/${tenant}/routes/${id}/test`)).json.delivered).toBe(true);
    const [request] = await receivedRequests(path);
    expect(request!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    for (const s of [secret, rotated.json.secret]) expect(new Webhook(s).verify(request!.body, request!.headers)).toMatchObject({ type: "io.changecast.test" });
  });

  it("an empty body means the default overlap (24 h); overlap 0 retires the old secrets at once", async () => {
    const { tenant, id } = await routeTo("rotate-default");
    const res = await call("POST", `/admin/v1/tenants/${tenant}/routes/${id}/secret/rotate`, { token: ADMIN_TOKEN });
    const json = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(Date.parse(json.secrets[1].expiresAt) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    const last = await post(`/tenants/${tenant}/routes/${id}/secret/rotate`, { overlapSeconds: 0 });
    expect(last.json.secrets).toEqual([{ id: expect.any(String), createdAt: expect.any(String), expiresAt: null }]);
    expect((await post(`/tenants/${tenant}/routes/${id}/secret/rotate`, { overlapSeconds: 604_801 })).json.field).toBe("overlapSeconds");
    expect((await post(`/tenants/${tenant}/routes/rt_nope/secret/rotate`, {})).status).toBe(404);
  });
});

describe("pause, resume and the routing version", () => {
  it("each route change bumps tenants.routing_version once; subscriber changes do not", async () => {
    const { tenant, id, subscriberId } = await routeTo("versions");
    let version = await routingVersion(tenant);
    expect(version).toBe(1);
    const steps: [string, () => Promise<{ status: number; json: any }>][] = [
      ["pause", () => post(`/tenants/${tenant}/routes/${id}/pause`)],
      ["resume", () => post(`/tenants/${tenant}/routes/${id}/resume`)],
      ["patch", () => admin("PATCH", `/tenants/${tenant}/routes/${id}`, { timeoutMs: 2000 })],
      ["rotate", () => post(`/tenants/${tenant}/routes/${id}/secret/rotate`, {})],
      ["second route", () => post(`/tenants/${tenant}/routes`, { subscriberId, url: `${receiverUrl}/${tenant}/two` })],
    ];
    for (const [name, step] of steps) {
      const res = await step();
      expect(res.status, name).toBeLessThan(300);
      expect(await routingVersion(tenant), name).toBe(++version);
    }
    expect((await post(`/tenants/${tenant}/routes/${id}/pause`)).json).toMatchObject({ id, status: "paused" });
    expect((await post(`/tenants/${tenant}/routes/${id}/resume`)).json).toMatchObject({ id, status: "active", statusReason: null });
    version += 2;
    await admin("PATCH", `/tenants/${tenant}/subscribers/${subscriberId}`, { name: "CRM 2" });
    expect(await routingVersion(tenant)).toBe(version);
    expect((await call("DELETE", `/admin/v1/tenants/${tenant}/routes/${id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    expect(await routingVersion(tenant)).toBe(version + 1);
    expect((await post(`/tenants/${tenant}/routes/${id}/pause`)).status).toBe(404);
    expect(await routingVersion(tenant)).toBe(version + 1);
  });
});

describe("Idempotency-Key", () => {
  it("replays the first answer for the same body, refuses another body, forgets failures", async () => {
    const { tenant } = await newTenant();
    const path = `/tenants/${tenant}/subscribers`;
    const first = await post(path, { name: "CRM" }, { "idempotency-key": "k-1" });
    const again = await post(path, { name: "CRM" }, { "idempotency-key": "k-1" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect((await admin("GET", path)).json.items).toHaveLength(1);

    const other = await post(path, { name: "ERP" }, { "idempotency-key": "k-1" });
    expect(other.status).toBe(422);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
    expect(other.json.field).toBe("Idempotency-Key");

    expect((await post(path, { name: "" }, { "idempotency-key": "k-2" })).status).toBe(400);
    expect((await post(path, { name: "Fixed" }, { "idempotency-key": "k-2" })).status).toBe(201);
    expect((await post(path, { name: "x" }, { "idempotency-key": "" })).json.field).toBe("Idempotency-Key");
  });

  it("covers tenants and routes; a replayed route answer carries its secret, stored only sealed", async () => {
    const tenantBody = { id: `idem-${Date.now().toString(36)}`, name: "Idem" };
    expect((await post("/tenants", tenantBody, { "idempotency-key": "t-1" })).status).toBe(201);
    const replay = await post("/tenants", tenantBody, { "idempotency-key": "t-1" });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await post("/tenants", tenantBody)).status).toBe(409);

    const tenant = tenantBody.id;
    const subscriberId = (await admin("POST", `/tenants/${tenant}/subscribers`, { name: "CRM" })).json.id;
    const body = { subscriberId, url: `${receiverUrl}/${tenant}/idem` };
    const route = await post(`/tenants/${tenant}/routes`, body, { "idempotency-key": "r-1" });
    const routeAgain = await post(`/tenants/${tenant}/routes`, body, { "idempotency-key": "r-1" });
    expect(routeAgain.json).toEqual(route.json);
    expect((await admin("GET", `/tenants/${tenant}/routes`)).json.items).toHaveLength(1);
    const rows = await env.DB.prepare("SELECT response FROM idempotency_keys WHERE key IN ('t-1', 'r-1')").all<{ response: string }>();
    expect(rows.results).toHaveLength(2);
    for (const row of rows.results) expect(row.response).not.toContain(route.json.secret.slice("whsec_".length));
  });
});

describe("only the admin token reaches these endpoints", () => {
  it.each([
    ["GET", "subscribers"],
    ["POST", "subscribers"],
    ["GET", "routes"],
    ["POST", "routes"],
    ["POST", "routes/rt_x/test"],
    ["POST", "routes/rt_x/secret/rotate"],
  ])("%s …/%s with a location key → 401", async (method, suffix) => {
    const { tenant, keys } = await newTenant();
    const res = await call(method, `/admin/v1/tenants/${tenant}/${suffix}`, { token: keys["store-1"], body: method === "POST" ? {} : undefined });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect((await call(method, `/admin/v1/tenants/${tenant}/${suffix}`)).status).toBe(401);
  });
});
