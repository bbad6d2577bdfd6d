/**
 * The edge side of a relay test: a tenant with one location (its key is what the relay sends
 * with) and a route to a fresh receiver path, through the Worker's admin API; then the webhooks
 * that path received, each verified (Standard Webhooks, with the route's secret) and parsed
 * (CloudEvents SDK), so tests assert on real events only.
 */
import { HTTP, type CloudEvent } from "cloudevents";
import { Webhook } from "standardwebhooks";
import { inject } from "vitest";
import type { ReceivedRequest } from "../../test/receivers.global-setup";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it answers something truthy; never a fixed sleep (CI machines are slow). */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const receiverUrl = () => inject("receiverUrl");

/** What a receiver path got so far (test/receivers.global-setup.ts), oldest first. */
export async function receivedRequests(path: string): Promise<ReceivedRequest[]> {
  const res = await fetch(`${receiverUrl()}/__requests?path=${encodeURIComponent(path)}`);
  return (await res.json()) as ReceivedRequest[];
}

export async function adminCall<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${inject("workerUrl")}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${inject("adminToken")}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

export type Edge = { tenant: string; key: string; path: string; secret: string; ingestUrl: string };

let counter = 0;
/**
 * A fresh tenant, location `store-1`, a subscriber and one route (every event of the tenant)
 * to a fresh receiver path, waited on until its handshake made it active.
 */
export async function newEdge(name: string, route: Record<string, unknown> = {}): Promise<Edge> {
  const tenant = `relay-${name}-${Date.now().toString(36)}${counter++}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  await adminCall("POST", "/tenants", { id: tenant, name: `Relay test ${name}` });
  const { key } = await adminCall<{ key: string }>("POST", `/tenants/${tenant}/locations`, { id: "store-1", name: "Store 1" });
  await adminCall("POST", `/tenants/${tenant}/subscribers`, { id: "sink", name: "Sink", purposes: ["test"], agreements: {} });
  const path = `/${tenant}/sink`;
  const created = await adminCall<{ id: string; secret: string }>("POST", `/tenants/${tenant}/routes`, { subscriberId: "sink", url: receiverUrl() + path, ...route });
  await waitFor(`route ${created.id} active`, async () => {
    const { status, statusReason } = await adminCall<{ status: string; statusReason: string | null }>("GET", `/tenants/${tenant}/routes/${created.id}`);
    if (status !== "active" && status !== "pending") throw new Error(`route ${created.id} is ${status} (${statusReason})`);
    return status === "active";
  }, 30_000);
  return { tenant, key, path, secret: created.secret, ingestUrl: inject("workerUrl") };
}

/** A webhook's event (parsed by the CloudEvents SDK, which freezes it) and its webhook-id. */
export type Delivered = { id: string; type: string; subject: string; sequence: string; data: any; source: string; webhookId: string; event: CloudEvent<any> };

/** Every webhook (POST) the edge's path received so far, verified and parsed, oldest first. */
export async function delivered(edge: Edge): Promise<Delivered[]> {
  const requests = (await receivedRequests(edge.path)).filter((r) => r.method === "POST");
  const verifier = new Webhook(edge.secret);
  return requests.map((r) => {
    // Throws on a bad or missing signature: a test reading events has checked each one.
    verifier.verify(r.body, { "webhook-id": r.headers["webhook-id"] ?? "", "webhook-timestamp": r.headers["webhook-timestamp"] ?? "", "webhook-signature": r.headers["webhook-signature"] ?? "" });
    const event = HTTP.toEvent({ headers: r.headers, body: r.body }) as CloudEvent<any>;
    return {
      id: event.id, type: event.type, subject: event.subject ?? "", sequence: String(event.sequence), data: event.data, source: event.source,
      webhookId: r.headers["webhook-id"]!, event,
    };
  });
}

/** How many webhooks (POSTs) the edge's path received so far, unverified: cheap enough to poll at volume. */
export async function deliveredCount(edge: Edge): Promise<number> {
  return (await receivedRequests(edge.path)).filter((r) => r.method === "POST").length;
}

/** Waits until the path received at least `n` webhooks; answers them all (verified, parsed). */
export async function deliveredAtLeast(edge: Edge, n: number, timeoutMs = 90_000): Promise<Delivered[]> {
  return waitFor(`${n} webhook(s) at ${edge.path}`, async () => {
    const got = await delivered(edge);
    return got.length >= n ? got : null;
  }, timeoutMs);
}

/** The events of one subject, in the order of their per-record sequence. */
export function ofSubject(events: Delivered[], subject: string): Delivered[] {
  return events.filter((e) => e.subject === subject).sort((a, b) => a.sequence.localeCompare(b.sequence));
}
