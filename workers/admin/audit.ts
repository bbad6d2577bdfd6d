/**
 * Admin: a record's audit trail, read from its master-record object (the authority for the
 * trail), and verification of its hash chain.
 */
import { Hono } from "hono";
import { masterRecordStub, residencyMode } from "../../durable-objects/record-address";
import { invalidField, notFound } from "../http/problem";
import { pageParams } from "../http/pagination";
import { encodeCursor } from "../http/pagination";
import { getTenant } from "../tenancy/repository";

export const audit = new Hono<{ Bindings: Env }>();

async function recordStub(env: Env, tenantId: string, recordType: string, recordId: string) {
  const tenant = await getTenant(env.DB, tenantId);
  if (!tenant) throw notFound(`tenant "${tenantId}"`);
  return masterRecordStub(env.MASTER_RECORD, { tenant: tenant.id, region: tenant.region, recordType, recordId }, residencyMode(env.EU_JURISDICTION));
}

audit.get("/:tenant/records/:recordType/:recordId/audit", async (c) => {
  const { tenant, recordType, recordId } = c.req.param();
  const page = pageParams(c);
  const after = page.after === "" ? 0 : Number(page.after);
  if (!Number.isInteger(after) || after < 0) throw invalidField("cursor", "not a cursor this API issued");
  const stub = await recordStub(c.env, tenant, recordType, recordId);
  const { items, nextAfter } = await stub.readAudit(after, page.limit);
  return c.json({ items, nextCursor: nextAfter === null ? null : encodeCursor(String(nextAfter)) });
});

audit.get("/:tenant/records/:recordType/:recordId/audit/verify", async (c) => {
  const { tenant, recordType, recordId } = c.req.param();
  const stub = await recordStub(c.env, tenant, recordType, recordId);
  return c.json(await stub.verifyAudit());
});
