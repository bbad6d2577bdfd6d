import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { admin, call, newTenant } from "./helpers";
import { freshPath, newRoute, newSubscriber } from "./fanout-helpers";

async function report(secret: string, body: Record<string, unknown>, id = `rep_${Date.now()}`): Promise<Response> {
  const text = JSON.stringify(body);
  const timestamp = new Date();
  const signature = new Webhook(secret).sign(id, timestamp, text);
  return call("POST", "/v1/receiver-reports", { rawBody: text, headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)), "webhook-signature": signature } });
}

describe("exactly-once breach reports from the receiver kit", () => {
  it("a report signed with the route's secret opens a P2 incident; another secret is refused", async () => {
    const { tenant } = await newTenant();
    const sub = await newSubscriber(tenant);
    const route = await newRoute(tenant, sub, freshPath("kit"));
    const other = await newRoute(tenant, sub, freshPath("kit-other"));

    const gap = { tenant, route: route.id, kind: "gap", partitionkey: "customer/c-1", expected: "00000000000000000004", got: "00000000000000000006" };
    expect((await report(route.secret, gap)).status).toBe(202);
    expect((await report(other.secret, gap)).status).toBe(401);
    expect((await report(route.secret, { ...gap, route: "rt_nope" })).status).toBe(401);
    expect((await report(route.secret, { ...gap, kind: "panic" })).status).toBe(400);

    const items = (await admin("GET", `/tenants/${tenant}/incidents?severity=P2`)).json.items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ routeId: route.id, severity: "P2", kind: "exactly_once_gap", detail: expect.stringContaining("expected 00000000000000000004, got 00000000000000000006") });
  });
});
