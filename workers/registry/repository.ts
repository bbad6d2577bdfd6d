/**
 * The schema registry in D1 (migrations/0004_registry.sql). getSubjectVersion and getSchemaById
 * are the read API for the rest of the system (ingest validation, route pinning); the rest
 * serves the registry's REST surface. Every write that can change what ingest validates against
 * bumps `tenants.registry_version` in the same batch (migrations/0005), so ingest's cached
 * validators are refreshed from the next request on.
 */
import { DEFAULT_COMPATIBILITY, type CompatibilityMode, type SchemaType } from "../../shared/registry/compatibility";
import type { ParsedSchema, StoredVersion } from "../../shared/registry/registry-rules";

export type RegisteredSchema = { subject: string; version: number; id: number; schemaType: SchemaType; schema: string };
export type SchemaById = { id: number; schemaType: SchemaType; schema: string };
/** A subject's version with its schema; `deleted` = soft-deleted. */
export type VersionRow = StoredVersion & { deleted: boolean };

type JoinedRow = { version: number; schema_id: number; deleted_at: string | null; schema_type: SchemaType; schema: string; fingerprint: string };

const JOINED = `SELECT v.version, v.schema_id, v.deleted_at, s.schema_type, s.schema, s.fingerprint
  FROM subject_versions v JOIN schemas s ON s.tenant_id = v.tenant_id AND s.id = v.schema_id
  WHERE v.tenant_id = ?1 AND v.subject = ?2`;

const toVersion = (r: JoinedRow): VersionRow => ({
  version: r.version, id: r.schema_id, type: r.schema_type, fingerprint: r.fingerprint, text: r.schema, deleted: r.deleted_at !== null,
});

/**
 * Bumped whether or not the write beside it turned out to change a row: a spurious bump only
 * costs each isolate one re-read, a missed one would leave ingest validating against old schemas.
 */
const bumpRegistryVersion = (db: D1Database, tenant: string) => db.prepare("UPDATE tenants SET registry_version = registry_version + 1 WHERE id = ?").bind(tenant);

/** One version of a subject, or the latest live one; soft-deleted versions only with includeDeleted. */
export async function getSubjectVersion(
  db: D1Database, tenant: string, subject: string, version: number | "latest", opts: { includeDeleted?: boolean } = {},
): Promise<RegisteredSchema | null> {
  const live = opts.includeDeleted ? "" : " AND v.deleted_at IS NULL";
  const which = version === "latest" ? " ORDER BY v.version DESC LIMIT 1" : " AND v.version = ?3";
  const stmt = db.prepare(JOINED + live + which);
  const row = await (version === "latest" ? stmt.bind(tenant, subject) : stmt.bind(tenant, subject, version)).first<JoinedRow>();
  return row ? { subject, version: row.version, id: row.schema_id, schemaType: row.schema_type, schema: row.schema } : null;
}

/** A schema by its id; soft-deleting every version using it does not hide it (Confluent's rule). */
export async function getSchemaById(db: D1Database, tenant: string, id: number): Promise<SchemaById | null> {
  const row = await db.prepare("SELECT id, schema_type, schema FROM schemas WHERE tenant_id = ? AND id = ?").bind(tenant, id).first<{ id: number; schema_type: SchemaType; schema: string }>();
  return row ? { id: row.id, schemaType: row.schema_type, schema: row.schema } : null;
}

/** What ingest asks of one subject: some versions by number, and/or its latest live version. */
export type VersionQuery = { subject: string; versions: number[]; latest: boolean };
/** `versions` by number (soft-deleted ones too: a location may still write with one); `latest` = the latest live one. */
export type ResolvedVersions = { versions: Map<number, RegisteredSchema>; latest: RegisteredSchema | null };

/**
 * For ingest validation: every queried subject in one batch, one statement per subject, however
 * many versions a request names. A soft-deleted version still resolves by number (its id keeps
 * resolving too); only "latest" skips it.
 */
export async function resolveVersions(db: D1Database, tenant: string, queries: readonly VersionQuery[]): Promise<Map<string, ResolvedVersions>> {
  const out = new Map<string, ResolvedVersions>();
  if (queries.length === 0) return out;
  const latestOf = "(SELECT MAX(version) FROM subject_versions WHERE tenant_id = ?1 AND subject = ?2 AND deleted_at IS NULL)";
  const answers = await db.batch(
    queries.map((q) =>
      db
        .prepare(
          `SELECT v.version, v.schema_id, s.schema_type, s.schema, v.version = ${latestOf} AS is_latest
           FROM subject_versions v JOIN schemas s ON s.tenant_id = v.tenant_id AND s.id = v.schema_id
           WHERE v.tenant_id = ?1 AND v.subject = ?2 AND (v.version IN (SELECT value FROM json_each(?3)) OR (?4 AND v.version = ${latestOf}))`,
        )
        .bind(tenant, q.subject, JSON.stringify(q.versions), q.latest ? 1 : 0),
    ),
  );
  queries.forEach((q, i) => {
    const resolved: ResolvedVersions = { versions: new Map(), latest: null };
    for (const r of answers[i]!.results as { version: number; schema_id: number; schema_type: SchemaType; schema: string; is_latest: number }[]) {
      const found: RegisteredSchema = { subject: q.subject, version: r.version, id: r.schema_id, schemaType: r.schema_type, schema: r.schema };
      if (q.versions.includes(r.version)) resolved.versions.set(r.version, found);
      if (q.latest && r.is_latest === 1) resolved.latest = found;
    }
    out.set(q.subject, resolved);
  });
  return out;
}

/** Every version of the subject, oldest first, deleted ones included (flagged). */
export async function listVersions(db: D1Database, tenant: string, subject: string): Promise<VersionRow[]> {
  const { results } = await db.prepare(`${JOINED} ORDER BY v.version`).bind(tenant, subject).all<JoinedRow>();
  return results.map(toVersion);
}

export async function listSubjects(db: D1Database, tenant: string, includeDeleted: boolean): Promise<string[]> {
  const live = includeDeleted ? "" : " AND deleted_at IS NULL";
  const { results } = await db.prepare(`SELECT DISTINCT subject FROM subject_versions WHERE tenant_id = ?${live} ORDER BY subject`).bind(tenant).all<{ subject: string }>();
  return results.map((r) => r.subject);
}

/** The subject's versions and effective level, read in one batch (one consistent snapshot). */
export async function subjectState(db: D1Database, tenant: string, subject: string): Promise<{ versions: VersionRow[]; mode: CompatibilityMode }> {
  const [versions, config] = await db.batch([
    db.prepare(`${JOINED} ORDER BY v.version`).bind(tenant, subject),
    db.prepare("SELECT subject, compatibility FROM registry_config WHERE tenant_id = ? AND subject IN ('', ?)").bind(tenant, subject),
  ]);
  const levels = (config!.results as { subject: string; compatibility: CompatibilityMode }[]);
  const mode = levels.find((l) => l.subject === subject)?.compatibility ?? levels.find((l) => l.subject === "")?.compatibility ?? DEFAULT_COMPATIBILITY;
  return { versions: (versions!.results as JoinedRow[]).map(toVersion), mode };
}

/**
 * Adds `version` to the subject with the schema, allocating the schema's id if it is new.
 * Answers null when `version` was taken meanwhile (a concurrent registration): the caller
 * re-reads and decides again. Both inserts are guarded by that same slot, so a lost race
 * leaves no orphan schema id behind.
 */
export async function insertVersion(db: D1Database, tenant: string, subject: string, version: number, schema: ParsedSchema, at: string): Promise<number | null> {
  const [, inserted, id] = await db.batch([
    db.prepare(
      `INSERT INTO schemas (tenant_id, id, schema_type, schema, canonical, fingerprint, created_at)
       SELECT ?1, (SELECT COALESCE(MAX(id), 0) + 1 FROM schemas WHERE tenant_id = ?1), ?2, ?3, ?4, ?5, ?6
       WHERE NOT EXISTS (SELECT 1 FROM schemas WHERE tenant_id = ?1 AND fingerprint = ?5)
         AND NOT EXISTS (SELECT 1 FROM subject_versions WHERE tenant_id = ?1 AND subject = ?7 AND version = ?8)`,
    ).bind(tenant, schema.type, schema.text, schema.canonical, schema.fingerprint, at, subject, version),
    db.prepare(
      `INSERT INTO subject_versions (tenant_id, subject, version, schema_id, created_at)
       SELECT ?1, ?2, ?3, id, ?4 FROM schemas WHERE tenant_id = ?1 AND fingerprint = ?5
       ON CONFLICT DO NOTHING`,
    ).bind(tenant, subject, version, at, schema.fingerprint),
    db.prepare("SELECT id FROM schemas WHERE tenant_id = ? AND fingerprint = ?").bind(tenant, schema.fingerprint),
    bumpRegistryVersion(db, tenant),
  ]);
  if (inserted!.meta.changes !== 1) return null;
  return (id!.results[0] as { id: number }).id;
}

/** Soft-deletes the version; answers whether a live version was there to delete. */
export async function softDeleteVersion(db: D1Database, tenant: string, subject: string, version: number, at: string): Promise<boolean> {
  const [res] = await db.batch([
    db.prepare("UPDATE subject_versions SET deleted_at = ? WHERE tenant_id = ? AND subject = ? AND version = ? AND deleted_at IS NULL").bind(at, tenant, subject, version),
    bumpRegistryVersion(db, tenant),
  ]);
  return res!.meta.changes === 1;
}

/** Permanently removes a version that was soft-deleted first; its schema row stays (ids never dangle). */
export async function hardDeleteVersion(db: D1Database, tenant: string, subject: string, version: number): Promise<boolean> {
  const [res] = await db.batch([
    db.prepare("DELETE FROM subject_versions WHERE tenant_id = ? AND subject = ? AND version = ? AND deleted_at IS NOT NULL").bind(tenant, subject, version),
    bumpRegistryVersion(db, tenant),
  ]);
  return res!.meta.changes === 1;
}

/** Soft-deletes every live version of the subject; answers their numbers. */
export async function softDeleteSubject(db: D1Database, tenant: string, subject: string, at: string): Promise<number[]> {
  const [deleted] = await db.batch([
    db.prepare("UPDATE subject_versions SET deleted_at = ? WHERE tenant_id = ? AND subject = ? AND deleted_at IS NULL RETURNING version").bind(at, tenant, subject),
    bumpRegistryVersion(db, tenant),
  ]);
  return (deleted!.results as { version: number }[]).map((r) => r.version).sort((a, b) => a - b);
}

/** Permanently removes a subject whose versions are all soft-deleted, and its level; answers the versions removed. */
export async function hardDeleteSubject(db: D1Database, tenant: string, subject: string): Promise<number[]> {
  const [removed] = await db.batch([
    db.prepare(
      `DELETE FROM subject_versions WHERE tenant_id = ?1 AND subject = ?2
         AND NOT EXISTS (SELECT 1 FROM subject_versions WHERE tenant_id = ?1 AND subject = ?2 AND deleted_at IS NULL) RETURNING version`,
    ).bind(tenant, subject),
    db.prepare(
      "DELETE FROM registry_config WHERE tenant_id = ?1 AND subject = ?2 AND NOT EXISTS (SELECT 1 FROM subject_versions WHERE tenant_id = ?1 AND subject = ?2)",
    ).bind(tenant, subject),
    bumpRegistryVersion(db, tenant),
  ]);
  return (removed!.results as { version: number }[]).map((r) => r.version).sort((a, b) => a - b);
}

/** The level set for the subject ('' = the tenant's global one), or null when none is set. */
export async function getConfig(db: D1Database, tenant: string, subject: string): Promise<CompatibilityMode | null> {
  const row = await db.prepare("SELECT compatibility FROM registry_config WHERE tenant_id = ? AND subject = ?").bind(tenant, subject).first<{ compatibility: CompatibilityMode }>();
  return row?.compatibility ?? null;
}

export async function setConfig(db: D1Database, tenant: string, subject: string, level: CompatibilityMode, at: string): Promise<void> {
  await db
    .prepare(
      `INSERT INTO registry_config (tenant_id, subject, compatibility, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_id, subject) DO UPDATE SET compatibility = excluded.compatibility, updated_at = excluded.updated_at`,
    )
    .bind(tenant, subject, level, at)
    .run();
}

/** Removes the level; answers the one removed, or null when none was set. */
export async function deleteConfig(db: D1Database, tenant: string, subject: string): Promise<CompatibilityMode | null> {
  const row = await db.prepare("DELETE FROM registry_config WHERE tenant_id = ? AND subject = ? RETURNING compatibility").bind(tenant, subject).first<{ compatibility: CompatibilityMode }>();
  return row?.compatibility ?? null;
}

/** Where a schema id is used: (subject, version) pairs, live ones unless includeDeleted. */
export async function usesOfSchema(db: D1Database, tenant: string, id: number, includeDeleted: boolean): Promise<{ subject: string; version: number }[]> {
  const live = includeDeleted ? "" : " AND deleted_at IS NULL";
  const { results } = await db
    .prepare(`SELECT subject, version FROM subject_versions WHERE tenant_id = ? AND schema_id = ?${live} ORDER BY subject, version`)
    .bind(tenant, id)
    .all<{ subject: string; version: number }>();
  return results;
}
