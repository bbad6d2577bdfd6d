/**
 * Admin: dead letters (list, inspect, replay one or in bulk, skip), the per-route attempt log,
 * and a record's delivery trail (outcomes reported to its master-record object).
 */
import { Hono } from "hono";
import { z } from "zod";
import { masterRecordStub, residencyMode } from "../../durable-objects/record-address";
import { parseBody } from "../http/json-body";
import { encodeCursor, pageParams } from "../http/pagination";
import { HttpProblem, invalidField, notFound } from "../http/problem";
import { getTenant, type Tenant } from "../tenancy/repository";
import { recentAttempts, type AttemptCursor } from "../delivery/attempt-log";
import { closeDeadLetter, getDeadLetter, listDeadLetters, type DeadLetterStatus } from "../delivery/dead-letters";
import { getReplayJob, replayDeadLetter, routeRegions, startReplayJob } from "../delivery/replay";

export const deadLetters = new Hono<{ Bindings: Env }>();

async function tenantOr404(env: Env, id: string): Promise<Tenant> {
  const tenant = await getTenant(env.DB, id);
  if (!tenant) throw notFound(`tenant "${id}"`);
  return tenant;
}

function timeParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidField(name, "an RFC 3339 date-time");
  return ms;
}

const statusParam = z.enum(["open", "replayed", "skipped"]).optional();

deadLetters.get("/:tenant/dead-letters", async (c) => {
  const tenant = await tenantOr404(c.env, c.req.param("tenant"));
  const page = pageParams(c);
  const status = statusParam.safeParse(c.req.query("status"));
  if (!status.success) throw invalidField("status", "open, replayed or skipped");
  const [createdAt, id] = page.after ? page.after.split("|") : [];
  const rows = await listDeadLetters(
    c.env.DB,
    tenant.id,
    { routeId: c.req.query("routeId"), status: status.data as DeadLetterStatus | undefined, severity: c.req.query("severity"), fromMs: timeParam("from", c.req.query("from")), toMs: timeParam("to", c.req.query("to")) },
    page.after ? { createdAt: Number(createdAt), id: id ?? "" } : null,
    page.limit + 1,
  );
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return c.json({ items, nextCursor: rows.length > page.limit && last ? encodeCursor(`${last.createdAt}|${last.id}`) : null });
});

export const bulkReplay = z.strictObject({ routeId: z.string().min(1).optional(), from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() });

deadLetters.post("/:tenant/dead-letters/replay", async (c) => {
  const tenant = await tenantOr404(c.env, c.req.param("tenant"));
  const input = await parseBody(c, bulkReplay);
  const job = await startReplayJob(
    c.env,
    tenant.id,
    tenant.region,
    { ...(input.routeId ? { routeId: input.routeId } : {}), ...(input.from ? { fromMs: Date.parse(input.from) } : {}), ...(input.to ? { toMs: Date.parse(input.to) } : {}) },
    Date.now(),
  );
  return c.json(job, 202);
});

deadLetters.get("/:tenant/dead-letters/replay-jobs/:job", async (c) => {
  const job = await getReplayJob(c.env.DB, c.req.param("tenant"), c.req.param("job"));
  if (!job) throw notFound(`replay job "${c.req.param("job")}"`);
  return c.json(job);
});

deadLetters.get("/:tenant/dead-letters/:id", async (c) => {
  const dl = await getDeadLetter(c.env.DB, c.req.param("tenant"), c.req.param("id"));
  if (!dl) throw notFound(`dead letter "${c.req.param("id")}"`);
  return c.json(dl);
});

deadLetters.post("/:tenant/dead-letters/:id/replay", async (c) => {
  const tenant = await tenantOr404(c.env, c.req.param("tenant"));
  const dl = await getDeadLetter(c.env.DB, tenant.id, c.req.param("id"));
  if (!dl) throw notFound(`dead letter "${c.req.param("id")}"`);
  if (dl.status !== "open") throw new HttpProblem(409, "dead-letter-closed", "Dead letter already closed", { detail: `this dead letter is ${dl.status}` });
  if (!(await replayDeadLetter(c.env, dl, tenant.region, await routeRegions(c.env, tenant.id), Date.now()))) {
    throw new HttpProblem(409, "dead-letter-closed", "Dead letter cannot be replayed", { detail: "it was closed meanwhile, or its route no longer exists" });
  }
  return c.json(await getDeadLetter(c.env.DB, tenant.id, dl.id), 202);
});

/** Skipping also tells the record's object, so a FIFO stream blocked on this event moves on. */
deadLetters.post("/:tenant/dead-letters/:id/skip", async (c) => {
  const tenant = await tenantOr404(c.env, c.req.param("tenant"));
  const id = c.req.param("id");
  const dl = await getDeadLetter(c.env.DB, tenant.id, id);
  if (!dl) throw notFound(`dead letter "${id}"`);
  if (!(await closeDeadLetter(c.env.DB, tenant.id, id, "skipped", Date.now()))) throw new HttpProblem(409, "dead-letter-closed", "Dead letter already closed");
  const slash = dl.subject.indexOf("/");
  const record = { tenant: tenant.id, region: tenant.region, recordType: dl.subject.slice(0, slash), recordId: dl.subject.slice(slash + 1) };
  await masterRecordStub(c.env.MASTER_RECORD, record, residencyMode(c.env.EU_JURISDICTION)).skipFifo(dl.routeId, dl.sequence);
  return c.json(await getDeadLetter(c.env.DB, tenant.id, id));
});

deadLetters.get("/:tenant/routes/:route/deliveries", async (c) => {
  const page = pageParams(c);
  const status = z.enum(["delivered", "failed", "timeout", "error"]).optional().safeParse(c.req.query("status"));
  if (!status.success) throw invalidField("status", "delivered, failed, timeout or error");
  let after: AttemptCursor | null = null;
  if (page.after) {
    const [createdAt, id, skip] = page.after.split("|");
    after = { createdAt: Number(createdAt), id: id ?? "", skip: Number(skip) };
  }
  const { items, next } = await recentAttempts(c.env.DB, c.req.param("tenant"), c.req.param("route"), status.data, page.limit, after);
  return c.json({ items, nextCursor: next ? encodeCursor(`${next.createdAt}|${next.id}|${next.skip}`) : null });
});

deadLetters.get("/:tenant/records/:recordType/:recordId/deliveries", async (c) => {
  const tenant = await tenantOr404(c.env, c.req.param("tenant"));
  const page = pageParams(c);
  const before = page.after ? Number(page.after) : Number.MAX_SAFE_INTEGER;
  const stub = masterRecordStub(c.env.MASTER_RECORD, { tenant: tenant.id, region: tenant.region, recordType: c.req.param("recordType"), recordId: c.req.param("recordId") }, residencyMode(c.env.EU_JURISDICTION));
  const { items, nextBefore } = await stub.readDeliveries(before, page.limit);
  const routeId = c.req.query("routeId");
  return c.json({
    items: routeId ? items.map((i) => ({ ...i, outcomes: i.outcomes.filter((o) => o.route === routeId) })).filter((i) => i.outcomes.length > 0) : items,
    nextCursor: nextBefore === null ? null : encodeCursor(String(nextBefore)),
  });
});

/** A record's FIFO cursors, and the remedy for a stream whose in-flight message was lost. */
deadLetters.get("/:tenant/records/:recordType/:recordId/fifo", async (c) => {
  const tenant = await tenantOr404(c.env, c.req.param("tenant"));
  const stub = masterRecordStub(c.env.MASTER_RECORD, { tenant: tenant.id, region: tenant.region, recordType: c.req.param("recordType"), recordId: c.req.param("recordId") }, residencyMode(c.env.EU_JURISDICTION));
  return c.json({ routes: await stub.readFifo() });
});

deadLetters.post("/:tenant/records/:recordType/:recordId/fifo/:route/resend", async (c) => {
  const tenant = await tenantOr404(c.env, c.req.param("tenant"));
  const stub = masterRecordStub(c.env.MASTER_RECORD, { tenant: tenant.id, region: tenant.region, recordType: c.req.param("recordType"), recordId: c.req.param("recordId") }, residencyMode(c.env.EU_JURISDICTION));
  const result = await stub.resendFifo(c.req.param("route"));
  if (result.resent === null) throw new HttpProblem(409, "nothing-to-resend", "Nothing to resend", { detail: result.reason ?? "" });
  return c.json(result, 202);
});

