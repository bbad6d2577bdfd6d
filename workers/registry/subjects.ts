/** /subjects: list, register (idempotent, checked), read, look up and (soft) delete versions. */
import { Hono } from "hono";
import { decideRegistration } from "../../shared/registry/registry-rules";
import { ErrorCode, RegistryError, incompatible, registryJson, schemaNotFound, subjectNotFound, versionNotFound } from "./errors";
import { hardDeleteSubject, hardDeleteVersion, insertVersion, listSubjects, listVersions, softDeleteSubject, softDeleteVersion, subjectState, type VersionRow } from "./repository";
import { flag, now, readSchemaBody, versionParam, writableSubject, type RegistryScoped } from "./request";

/** Concurrent registrations on one subject retry this often before giving up with a 500. */
const REGISTER_ATTEMPTS = 8;

export const subjects = new Hono<RegistryScoped>();

subjects.get("/", async (c) => registryJson(c, await listSubjects(c.env.DB, c.get("tenant").id, flag(c, "deleted"))));

/** The subject's versions (live ones, or all with `deleted`); 40401 when there are none. */
async function versionsOf(db: D1Database, tenant: string, subject: string, includeDeleted: boolean): Promise<VersionRow[]> {
  const versions = (await listVersions(db, tenant, subject)).filter((v) => includeDeleted || !v.deleted);
  if (versions.length === 0) throw subjectNotFound(subject);
  return versions;
}

function pick(versions: VersionRow[], subject: string, version: number | "latest"): VersionRow {
  const found = version === "latest" ? versions.at(-1) : versions.find((v) => v.version === version);
  if (!found) throw versionNotFound(subject, version);
  return found;
}

/** Confluent leaves schemaType out for AVRO, its default. */
const answer = (subject: string, v: VersionRow) => ({ subject, version: v.version, id: v.id, ...(v.type === "AVRO" ? {} : { schemaType: v.type }), schema: v.text });

subjects.get("/:subject/versions", async (c) => {
  const versions = await versionsOf(c.env.DB, c.get("tenant").id, c.req.param("subject"), flag(c, "deleted"));
  return registryJson(c, versions.map((v) => v.version));
});

/**
 * Register: the same schema again answers its id and adds nothing; otherwise the candidate is
 * checked against the live versions under the subject's level and takes the next version.
 * The next version number is the primary key's guard: losing it to a concurrent registration
 * means deciding again on fresh state (which may now find the schema already there).
 */
subjects.post("/:subject/versions", async (c) => {
  const db = c.env.DB;
  const tenant = c.get("tenant").id;
  const subject = writableSubject(c.req.param("subject"));
  const candidate = await readSchemaBody(c);
  for (let attempt = 0; attempt < REGISTER_ATTEMPTS; attempt++) {
    const { versions, mode } = await subjectState(db, tenant, subject);
    const decision = decideRegistration(candidate, versions.filter((v) => !v.deleted), mode);
    if (decision.kind === "existing") return registryJson(c, { id: decision.id });
    if (decision.kind === "incompatible") throw incompatible(subject, mode, decision.messages);
    const next = (versions.at(-1)?.version ?? 0) + 1;
    const id = await insertVersion(db, tenant, subject, next, candidate, now());
    if (id !== null) return registryJson(c, { id });
  }
  throw new RegistryError(500, 50001, `Too many concurrent registrations on subject '${subject}'; retry`);
});

subjects.get("/:subject/versions/:version", async (c) => {
  const { subject, version } = c.req.param();
  const v = versionParam(version);
  return registryJson(c, answer(subject, pick(await versionsOf(c.env.DB, c.get("tenant").id, subject, flag(c, "deleted")), subject, v)));
});

/** The schema text alone (Confluent's `…/schema`): a JSON document for JSON and AVRO. */
subjects.get("/:subject/versions/:version/schema", async (c) => {
  const { subject, version } = c.req.param();
  const v = versionParam(version);
  const found = pick(await versionsOf(c.env.DB, c.get("tenant").id, subject, flag(c, "deleted")), subject, v);
  return c.body(found.text, 200, { "content-type": "application/vnd.schemaregistry.v1+json" });
});

/** Look up: is this schema a version of the subject? (Confluent's `POST /subjects/{subject}`.) */
subjects.post("/:subject", async (c) => {
  const subject = c.req.param("subject");
  const candidate = await readSchemaBody(c);
  const versions = await versionsOf(c.env.DB, c.get("tenant").id, subject, flag(c, "deleted"));
  const found = versions.findLast((v) => v.fingerprint === candidate.fingerprint);
  if (!found) throw schemaNotFound(`Schema not found in subject '${subject}'`);
  return registryJson(c, answer(subject, found));
});

/**
 * Soft delete hides the version from listings and checks; its id keeps resolving. With
 * `permanent=true` a soft-deleted version is removed for good (Confluent's two-step delete).
 */
subjects.delete("/:subject/versions/:version", async (c) => {
  const db = c.env.DB;
  const tenant = c.get("tenant").id;
  const { subject, version } = c.req.param();
  const v = versionParam(version);
  const all = await listVersions(db, tenant, subject);
  if (all.length === 0) throw subjectNotFound(subject);
  const permanent = flag(c, "permanent");
  const target = v === "latest" ? all.filter((x) => permanent || !x.deleted).at(-1) : all.find((x) => x.version === v);
  if (!target) throw versionNotFound(subject, version);
  if (permanent) {
    if (!target.deleted) throw new RegistryError(404, ErrorCode.versionNotSoftDeleted, `Subject '${subject}' Version ${target.version} was not deleted first before being permanently deleted`);
    if (!(await hardDeleteVersion(db, tenant, subject, target.version))) throw versionNotFound(subject, target.version);
    return registryJson(c, target.version);
  }
  if (target.deleted || !(await softDeleteVersion(db, tenant, subject, target.version, now()))) {
    throw new RegistryError(404, ErrorCode.versionSoftDeleted, `Subject '${subject}' Version ${target.version} was soft deleted. Set permanent=true to delete permanently`);
  }
  return registryJson(c, target.version);
});

subjects.delete("/:subject", async (c) => {
  const db = c.env.DB;
  const tenant = c.get("tenant").id;
  const subject = c.req.param("subject");
  const all = await listVersions(db, tenant, subject);
  if (all.length === 0) throw subjectNotFound(subject);
  if (flag(c, "permanent")) {
    if (all.some((v) => !v.deleted)) throw new RegistryError(404, ErrorCode.subjectNotSoftDeleted, `Subject '${subject}' was not deleted first before being permanently deleted`);
    return registryJson(c, await hardDeleteSubject(db, tenant, subject));
  }
  const deleted = await softDeleteSubject(db, tenant, subject, now());
  if (deleted.length === 0) throw new RegistryError(404, ErrorCode.subjectSoftDeleted, `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`);
  return registryJson(c, deleted);
});
