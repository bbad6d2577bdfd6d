/**
 * POST /v1/receiver-reports: a subscriber's receiver (the receiver kit) reports an
 * exactly-once breach (a duplicate webhook-id after it had processed one, or a per-record
 * sequence gap). The report is signed like our webhooks, with the route's own secret, so only
 * the route's receiver can raise it. It opens a P2 incident on the route.
 */
import { Hono } from "hono";
import { z } from "zod";
import { signWebhook } from "../../shared/delivery/signing";
import { secretsKey } from "../fanout/config";
import { loadDeliveryTargets, openIncident } from "../fanout/repository";
import { bodyLimit } from "hono/body-limit";
import { HttpProblem, fromZodError } from "../http/problem";
import { unauthorized } from "../http/bearer";

const TOLERANCE_SECONDS = 300;

export const receiverReport = z.strictObject({
  tenant: z.string().min(1).max(64),
  route: z.string().min(1).max(64),
  kind: z.enum(["duplicate", "gap"]),
  eventId: z.string().max(64).optional(),
  partitionkey: z.string().max(600).optional(),
  expected: z.string().max(32).optional(),
  got: z.string().max(32).optional(),
  detail: z.string().max(1000).optional(),
});

export const receiverReports = new Hono<{ Bindings: Env }>();

receiverReports.post("/", bodyLimit({ maxSize: 16 * 1024, onError: () => { throw new HttpProblem(413, "body-too-large", "Body too large", { field: "body" }); } }), async (c) => {
  const body = await c.req.text();
  const id = c.req.header("webhook-id");
  const timestamp = Number(c.req.header("webhook-timestamp"));
  const signatures = (c.req.header("webhook-signature") ?? "").split(" ").filter(Boolean);
  if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id) || !Number.isInteger(timestamp) || signatures.length === 0) throw unauthorized("sign the report with the route's secret (webhook-id, webhook-timestamp, webhook-signature)");
  if (Math.abs(Date.now() / 1000 - timestamp) > TOLERANCE_SECONDS) throw unauthorized("webhook-timestamp is more than 5 minutes away");

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new HttpProblem(400, "unreadable-body", "Body is not JSON", { field: "body" });
  }
  const parsed = receiverReport.safeParse(json);
  if (!parsed.success) throw fromZodError(parsed.error);
  const r = parsed.data;

  const target = (await loadDeliveryTargets(c.env.DB, await secretsKey(c.env), r.tenant, [r.route], Date.now())).get(r.route);
  // Unknown route and bad signature answer alike: a caller learns nothing about other tenants.
  if (!target) throw unauthorized("signature does not match the route's secrets");
  const expected = new Set((await signWebhook(target.secrets, id, timestamp, body)).split(" "));
  if (!signatures.some((s) => expected.has(s))) throw unauthorized("signature does not match the route's secrets");

  const detail = r.kind === "duplicate" ? `receiver saw webhook-id ${r.eventId ?? "?"} again after processing it` : `sequence gap on ${r.partitionkey ?? "?"}: expected ${r.expected ?? "?"}, got ${r.got ?? "?"}`;
  await openIncident(c.env.DB, { tenant: r.tenant, routeId: r.route, severity: "P2", kind: `exactly_once_${r.kind}`, detail: r.detail ? `${detail} (${r.detail})` : detail, openedAt: Date.now() }).run();
  return c.json({ accepted: true }, 202);
});
