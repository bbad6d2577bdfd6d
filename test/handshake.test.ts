/**
 * The CloudEvents webhook handshake ("HTTP 1.1 Web Hooks for Event Delivery" §4) through the
 * admin API, against the real receiver: it consents by echoing the origin unless a path's
 * script answers its OPTIONS otherwise.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { secretsKey } from "../workers/fanout/config";
import { loadDeliveryTargets } from "../workers/fanout/repository";
import { admin, newTenant } from "./helpers";
import { freshPath, newSubscriber, received, receiverUrl, script, type Step } from "./fanout-helpers";
import { receivedHandshakes } from "./receiver";

const consent = (headers: Record<string, string>): Step => ({ method: "OPTIONS", status: 200, headers });

async function setup() {
  const { tenant } = await newTenant();
  return { tenant, sub: await newSubscriber(tenant) };
}

async function create(tenant: string, sub: string, path: string, extra: Record<string, unknown> = {}) {
  const res = await admin("POST", `/tenants/${tenant}/routes`, { subscriberId: sub, url: receiverUrl() + path, ...extra });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

async function effectiveRate(tenant: string, id: string): Promise<number | null> {
  const targets = await loadDeliveryTargets(env.DB, await secretsKey(env), tenant, [id], Date.now());
  return targets.get(id)!.rateLimitPerSecond;
}

async function routingVersion(tenant: string): Promise<number> {
  return (await env.DB.prepare("SELECT routing_version FROM tenants WHERE id = ?").bind(tenant).first<{ routing_version: number }>())!.routing_version;
}

describe("§4.1 the validation request on create", () => {
  it("is an OPTIONS with WebHook-Request-Origin (and the rate asked, per minute); an echo of the origin activates the route", async () => {
    const { tenant, sub } = await setup();
    const path = freshPath("echo");
    const route = await create(tenant, sub, path, { rateLimitPerSecond: 2 });
    expect(route).toMatchObject({ status: "active", statusReason: null, handshake: true, allowedRate: null, secret: expect.stringMatching(/^whsec_/) });
    const [options, ...more] = await receivedHandshakes(path);
    expect(more).toEqual([]);
    expect(options).toMatchObject({ method: "OPTIONS", headers: { "webhook-request-origin": env.WEBHOOK_ORIGIN, "webhook-request-rate": "120" } });
    expect(env.WEBHOOK_ORIGIN).toBe("changecast.dev");
    // The handshake is not a delivery, and the create is one route change.
    expect(await received(path)).toEqual([]);
    expect(await routingVersion(tenant)).toBe(1);

    const unlimited = freshPath("echo-unlimited");
    await create(tenant, sub, unlimited);
    expect((await receivedHandshakes(unlimited))[0]!.headers["webhook-request-rate"]).toBeUndefined();
  });

  it("§4.2.1 '*' consents for every origin", async () => {
    const { tenant, sub } = await setup();
    const path = freshPath("star");
    await script(path, [consent({ "webhook-allowed-origin": "*" })]);
    expect(await create(tenant, sub, path)).toMatchObject({ status: "active", statusReason: null });
  });
});

describe("§4.2 no consent → pending, with the reason; the create still answers 201 and the secret", () => {
  it.each<[string, Step, RegExp]>([
    ["a 200 without WebHook-Allowed-Origin", { method: "OPTIONS", status: 200 }, /no WebHook-Allowed-Origin/],
    ["another origin", consent({ "webhook-allowed-origin": "someone-else.example" }), /"someone-else.example" is neither "changecast.dev" nor "\*"/],
    ["405 (OPTIONS not supported)", { method: "OPTIONS", status: 405 }, /HTTP 405/],
    ["403 even with the header", { method: "OPTIONS", status: 403, headers: { "webhook-allowed-origin": "*" } }, /HTTP 403/],
    ["a bad WebHook-Allowed-Rate", consent({ "webhook-allowed-origin": "*", "webhook-allowed-rate": "0" }), /WebHook-Allowed-Rate "0"/],
  ])("%s", async (_name, step, reason) => {
    const { tenant, sub } = await setup();
    const path = freshPath("refuse");
    await script(path, [step]);
    const route = await create(tenant, sub, path);
    expect(route).toMatchObject({ status: "pending", statusReason: expect.stringMatching(reason), allowedRate: null, secret: expect.stringMatching(/^whsec_/) });
    expect((await admin("GET", `/tenants/${tenant}/routes/${route.id}`)).json).toMatchObject({ status: "pending", statusReason: route.statusReason });
    expect((await admin("GET", `/tenants/${tenant}/routes?status=pending`)).json.items.map((r: any) => r.id)).toEqual([route.id]);
  });

  it("a redirect is not followed: its target is never asked", async () => {
    const { tenant, sub } = await setup();
    const [path, elsewhere] = [freshPath("redirect"), freshPath("elsewhere")];
    await script(path, [{ method: "OPTIONS", status: 307, headers: { location: receiverUrl() + elsewhere } }]);
    expect(await create(tenant, sub, path)).toMatchObject({ status: "pending", statusReason: expect.stringMatching(/HTTP 307 \(redirects are not followed/) });
    expect(await receivedHandshakes(elsewhere)).toEqual([]);
  });

  it("an endpoint that does not listen → pending", async () => {
    const { tenant, sub } = await setup();
    const res = await admin("POST", `/tenants/${tenant}/routes`, { subscriberId: sub, url: "http://127.0.0.1:1/closed" });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: "pending", statusReason: expect.stringMatching(/^handshake failed: /) });
  });
});

describe("§4.2.2 WebHook-Allowed-Rate", () => {
  it("is recorded as allowedRate (per second) and caps the effective rate", async () => {
    const { tenant, sub } = await setup();
    const capped = freshPath("capped");
    await script(capped, [consent({ "webhook-allowed-origin": "changecast.dev", "webhook-allowed-rate": "60" })]);
    const route = await create(tenant, sub, capped, { rateLimitPerSecond: 5 });
    expect(route).toMatchObject({ status: "active", rateLimitPerSecond: 5, allowedRate: 1 });
    expect(await effectiveRate(tenant, route.id)).toBe(1);

    const lower = freshPath("lower");
    await script(lower, [consent({ "webhook-allowed-origin": "*", "webhook-allowed-rate": "600" })]);
    const own = await create(tenant, sub, lower, { rateLimitPerSecond: 0.5 });
    expect(own).toMatchObject({ allowedRate: 10 });
    expect(await effectiveRate(tenant, own.id)).toBe(0.5);

    const unlimited = freshPath("unlimited");
    await script(unlimited, [consent({ "webhook-allowed-origin": "*", "webhook-allowed-rate": "120" })]);
    const onlyAllowed = await create(tenant, sub, unlimited);
    expect(await effectiveRate(tenant, onlyAllowed.id)).toBe(2);

    const star = freshPath("star-rate");
    await script(star, [consent({ "webhook-allowed-origin": "*", "webhook-allowed-rate": "*" })]);
    const none = await create(tenant, sub, star);
    expect(none.allowedRate).toBeNull();
    expect(await effectiveRate(tenant, none.id)).toBeNull();
  });
});

describe("handshake: false", () => {
  it("activates at once, without asking the endpoint", async () => {
    const { tenant, sub } = await setup();
    const path = freshPath("no-handshake");
    await script(path, [{ method: "OPTIONS", status: 403 }]);
    const route = await create(tenant, sub, path, { handshake: false });
    expect(route).toMatchObject({ status: "active", handshake: false, allowedRate: null });
    expect(await receivedHandshakes(path)).toEqual([]);
    // Nothing to retry while it is off.
    expect((await admin("POST", `/tenants/${tenant}/routes/${route.id}/handshake`)).status).toBe(409);
  });

  it("created paused, it stays paused after consent", async () => {
    const { tenant, sub } = await setup();
    expect(await create(tenant, sub, freshPath("paused"), { status: "paused" })).toMatchObject({ status: "paused", statusReason: null });
  });
});

describe("a URL change re-runs the handshake", () => {
  it("refused at the new URL → pending; consent at the next one → active; other changes do not ask again", async () => {
    const { tenant, sub } = await setup();
    const [first, refusing, consenting] = [freshPath("first"), freshPath("refusing"), freshPath("consenting")];
    await script(first, [consent({ "webhook-allowed-origin": "*", "webhook-allowed-rate": "60" })]);
    const route = await create(tenant, sub, first);
    expect(route).toMatchObject({ status: "active", allowedRate: 1 });

    await script(refusing, [{ method: "OPTIONS", status: 404 }]);
    const refused = await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { url: receiverUrl() + refusing });
    expect(refused.status).toBe(200);
    expect(refused.json).toMatchObject({ url: receiverUrl() + refusing, status: "pending", statusReason: expect.stringMatching(/HTTP 404/), allowedRate: null });
    expect(await receivedHandshakes(refusing)).toHaveLength(1);

    const moved = await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { url: receiverUrl() + consenting });
    expect(moved.json).toMatchObject({ url: receiverUrl() + consenting, status: "active", statusReason: null, allowedRate: null });
    await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { timeoutMs: 2000, url: receiverUrl() + consenting });
    expect(await receivedHandshakes(consenting)).toHaveLength(1);
    expect(await receivedHandshakes(first)).toHaveLength(1);
  });

  it("a paused route stays paused on consent; with handshake: false a new URL keeps the status but drops the old allowed rate", async () => {
    const { tenant, sub } = await setup();
    const [a, b, c] = [freshPath("pa"), freshPath("pb"), freshPath("pc")];
    const route = await create(tenant, sub, a, { status: "paused" });
    expect((await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { url: receiverUrl() + b })).json).toMatchObject({ status: "paused" });
    expect(await receivedHandshakes(b)).toHaveLength(1);

    await script(c, [consent({ "webhook-allowed-origin": "*", "webhook-allowed-rate": "60" })]);
    await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { url: receiverUrl() + c, status: "active" });
    const off = await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { url: receiverUrl() + a, handshake: false });
    expect(off.json).toMatchObject({ status: "active", handshake: false, allowedRate: null });
    expect(await receivedHandshakes(a)).toHaveLength(1);
  });
});

describe("POST …/routes/{id}/handshake", () => {
  it("retries: a pending route cannot be resumed, paused or set active, and becomes active once the endpoint consents", async () => {
    const { tenant, sub } = await setup();
    const path = freshPath("retry");
    await script(path, [{ method: "OPTIONS", status: 503 }]);
    const route = await create(tenant, sub, path);
    expect(route.status).toBe("pending");
    const base = `/tenants/${tenant}/routes/${route.id}`;

    for (const [method, suffix, body] of [["POST", "/resume", undefined], ["POST", "/pause", undefined], ["PATCH", "", { status: "active" }]] as const) {
      const res = await admin(method, base + suffix, body);
      expect(res.status, `${method} ${suffix}`).toBe(409);
      expect(res.json.detail).toContain(`/routes/${route.id}/handshake`);
    }
    expect((await admin("GET", base)).json).toMatchObject({ status: "pending" });

    const version = await routingVersion(tenant);
    // The script is spent: the receiver now consents.
    const retried = await admin("POST", `${base}/handshake`);
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ id: route.id, status: "active", statusReason: null });
    expect(retried.json.secret).toBeUndefined();
    expect(await receivedHandshakes(path)).toHaveLength(2);
    expect(await routingVersion(tenant)).toBe(version + 1);

    // Consent can be withdrawn: a retry refused makes an active route pending.
    await script(path, [{ method: "OPTIONS", status: 200 }]);
    expect((await admin("POST", `${base}/handshake`)).json).toMatchObject({ status: "pending", statusReason: expect.stringMatching(/no WebHook-Allowed-Origin/) });
    expect((await admin("POST", `/tenants/${tenant}/routes/rt_unknown/handshake`)).status).toBe(404);
  });

  it("PATCH handshake: false ends pending at once", async () => {
    const { tenant, sub } = await setup();
    const path = freshPath("opt-out");
    await script(path, [{ method: "OPTIONS", status: 403 }]);
    const route = await create(tenant, sub, path);
    expect(route.status).toBe("pending");
    expect((await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { handshake: false })).json).toMatchObject({ status: "active", statusReason: null, handshake: false });
    // Turning it back on asks again.
    await script(path, [{ method: "OPTIONS", status: 403 }]);
    expect((await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { handshake: true })).json).toMatchObject({ status: "pending", handshake: true });
    expect(await receivedHandshakes(path)).toHaveLength(2);
  });
});
