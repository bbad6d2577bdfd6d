/**
 * Admin: GET /tenants/{tenant}/asyncapi.json, the tenant's AsyncAPI 2.6 document (what
 * changecast sends to its routes), built from the latest live version of every registry subject
 * (shared/registry/asyncapi/document.ts). A tenant without subjects gets a valid document with
 * no channels.
 */
import { Hono } from "hono";
import type { SchemaType } from "../../shared/registry/compatibility";
import { asyncApiDocument, type RegisteredLatest } from "../../shared/registry/asyncapi/document";
import { webhookOrigin } from "../fanout/config";
import { registryBaseUrl } from "../ingest/schema-gate";
import { requireTenant, type TenantScoped } from "./tenant-scope";

export const asyncapi = new Hono<TenantScoped>();
asyncapi.use("/:tenant/asyncapi.json", requireTenant);

/** Every subject's latest live version with its schema, in one read. */
async function latestVersions(db: D1Database, tenant: string): Promise<RegisteredLatest[]> {
  const { results } = await db
    .prepare(
      `SELECT v.subject, v.version, v.schema_id, s.schema_type, s.schema
       FROM subject_versions v JOIN schemas s ON s.tenant_id = v.tenant_id AND s.id = v.schema_id
       WHERE v.tenant_id = ?1 AND v.deleted_at IS NULL AND v.version = (
         SELECT MAX(w.version) FROM subject_versions w WHERE w.tenant_id = ?1 AND w.subject = v.subject AND w.deleted_at IS NULL)
       ORDER BY v.subject`,
    )
    .bind(tenant)
    .all<{ subject: string; version: number; schema_id: number; schema_type: SchemaType; schema: string }>();
  return results.map((r) => ({ subject: r.subject, version: r.version, id: r.schema_id, type: r.schema_type, text: r.schema }));
}

asyncapi.get("/:tenant/asyncapi.json", async (c) => {
  const tenant = c.get("tenant");
  // The same base as the `dataschema` of events (PUBLIC_BASE_URL, else this request's origin).
  const registryUrl = `${registryBaseUrl(c.env, c.req.url)}/registry/t/${tenant.id}`;
  const document = asyncApiDocument({ tenant, subjects: await latestVersions(c.env.DB, tenant.id), registryUrl, webhookOrigin: webhookOrigin(c.env) });
  return c.json(document);
});
