// POST …/routes/{id}/test: a signed io.changecast.test CloudEvent, sent synchronously to the
// route through workers/delivery/send.ts, received by test/receivers.global-setup.ts.
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, admin, call, newTenant } from "./helpers";
import { receivedRequests, receiverUrl as receiverUrlOf, scriptAnswers } from "./receiver";

const receiverUrl = receiverUrlOf();

async function routeTo(name: string, extra: Record<string, unknown> = {}) {
  const { tenant } = await newTenant();
  const subscriberId = (await admin("POST", `/tenants/${tenant}/subscribers`, { name: "CRM" })).json.id;
  const path = `/${tenant}/${name}`;
  const route = await admin("POST", `/tenants/${tenant}/routes`, { subscriberId, url: receiverUrl + path, ...extra });
  expect(route.status, JSON.stringify(route.json)).toBe(201);
  return { tenant, id: route.json.id as string, secret: route.json.secret as string, path };
}

async function testSend(tenant: string, id: string): Promise<{ status: number; json: any }> {
  const res = await call("POST", `/admin/v1/tenants/${tenant}/routes/${id}/test`, { token: ADMIN_TOKEN });
  return { status: res.status, json: await res.json() };
}

describe("test send", () => {
  it("delivers a structured CloudEvent the receiver verifies with standardwebhooks", async () => {
    const { tenant, id, secret, path } = await routeTo("structured");
    const before = Date.now();
    const { status, json } = await testSend(tenant, id);
    expect(status).toBe(200);
    expect(json).toEqual({ delivered: true, attempt: { at: expect.any(Number), attempt: 1, outcome: "delivered", httpStatus: 200, latencyMs: expect.any(Number), excerpt: '{"ok":true}' } });
    expect(json.attempt.at).toBeGreaterThanOrEqual(before);

    const requests = await receivedRequests(path);
    expect(requests).toHaveLength(1);
    const { method, headers, body } = requests[0]!;
    expect(method).toBe("POST");
    expect(headers["content-type"]).toMatch(/^application\/cloudevents\+json/);
    expect(headers["user-agent"]).toMatch(/^changecast\//);
    // Standard Webhooks: verify() checks the signature and that the timestamp is recent.
    const event = new Webhook(secret).verify(body, headers) as Record<string, any>;
    expect(event).toEqual({
      specversion: "1.0", id: headers["webhook-id"], source: `/tenants/${tenant}/routes/${id}`, type: "io.changecast.test",
      time: expect.any(String), datacontenttype: "application/json", data: { message: "changecast test event", route: id },
    });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number(headers["webhook-timestamp"])).toBe(Math.floor(json.attempt.at / 1000));
    expect(() => new Webhook(`whsec_${btoa("another secret, 24+ bytes long")}`).verify(body, headers)).toThrow();
  });

  it("binary mode: ce-* headers, the body is data, signed the same way", async () => {
    const { tenant, id, secret, path } = await routeTo("binary", { contentMode: "binary" });
    expect((await testSend(tenant, id)).json.delivered).toBe(true);
    const { headers, body } = (await receivedRequests(path))[0]!;
    expect(headers).toMatchObject({ "ce-specversion": "1.0", "ce-type": "io.changecast.test", "ce-id": headers["webhook-id"] });
    expect(headers["content-type"]).toMatch(/^application\/json/);
    expect(new Webhook(secret).verify(body, headers)).toEqual({ message: "changecast test event", route: id });
  });

  it("a 503 is a failed attempt, with its status and the body's first bytes", async () => {
    const { tenant, id, path } = await routeTo("unavailable");
    await scriptAnswers(path, [{ status: 503, body: "x".repeat(5000), headers: { "content-type": "text/plain" } }]);
    const { json } = await testSend(tenant, id);
    expect(json.delivered).toBe(false);
    expect(json.attempt).toMatchObject({ outcome: "failed", httpStatus: 503 });
    expect(json.attempt.excerpt).toBe("x".repeat(2048));
  });

  it("a redirect is a failure and is not followed", async () => {
    const { tenant, id, path } = await routeTo("moved");
    const elsewhere = `/${tenant}/elsewhere`;
    await scriptAnswers(path, [{ status: 302, headers: { location: receiverUrl + elsewhere } }]);
    const { json } = await testSend(tenant, id);
    expect(json).toMatchObject({ delivered: false, attempt: { outcome: "failed", httpStatus: 302 } });
    expect(await receivedRequests(elsewhere)).toEqual([]);
  });

  it("no answer within the route's timeout → timeout", async () => {
    const { tenant, id, path } = await routeTo("slow", { timeoutMs: 1000 });
    await scriptAnswers(path, [{ status: 200, delayMs: 3000 }]);
    const { json } = await testSend(tenant, id);
    expect(json).toMatchObject({ delivered: false, attempt: { outcome: "timeout" } });
    expect(json.attempt.httpStatus).toBeUndefined();
  });

  // workerd logs "Network connection lost" as uncaught even though deliverOnce catches it: noise.
  it("a refused connection → error", async () => {
    const { tenant } = await newTenant();
    const subscriberId = (await admin("POST", `/tenants/${tenant}/subscribers`, { name: "CRM" })).json.id;
    const route = await admin("POST", `/tenants/${tenant}/routes`, { subscriberId, url: "http://127.0.0.1:1/closed" });
    const { json } = await testSend(tenant, route.json.id);
    expect(json).toMatchObject({ delivered: false, attempt: { outcome: "error", excerpt: expect.any(String) } });
  });

  it("sends to a paused route too (checking before resuming); 404 for an unknown one", async () => {
    const { tenant, id, path } = await routeTo("paused", { status: "paused" });
    expect((await testSend(tenant, id)).json.delivered).toBe(true);
    expect(await receivedRequests(path)).toHaveLength(1);
    expect((await testSend(tenant, "rt_unknown")).status).toBe(404);
  });
});
