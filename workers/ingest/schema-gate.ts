/**
 * The schema gate at ingest: each change's `data` against the registered version it names, or
 * the subject's latest. Compiled validators live per isolate, trusted while at least as new as
 * the tenant's registry version from the key lookup: a warm request reads nothing from D1, a
 * cold or stale one reads once for all its subjects (one batch, one statement per subject).
 */
import type { Change } from "../../shared/change/schema";
import { compileCheck, decideSchemaGate, type ResolvedSchema, type SchemaCheck, type SchemaStamp } from "../../shared/gates/schema-gate";
import { resolveVersions, type RegisteredSchema, type VersionQuery } from "../registry/repository";

type Want = number | "latest";
/** `resolved` null = no such version (or no schema at all): also worth remembering. */
type Resolution = { registryVersion: number; resolved: ResolvedSchema | null };

/** Bounds per isolate; the oldest used entry goes first (Map order, refreshed on each hit). */
const MAX_RESOLUTIONS = 4096;
const MAX_COMPILED = 512;

/** (tenant, subject, version | "latest") → the version it resolved to, under a registry version. */
const resolutions = new Map<string, Resolution>();
/** (tenant, schema id) → compiled check. A schema id's text never changes: no invalidation needed. */
const compiled = new Map<string, SchemaCheck>();

export type SchemaCaller = { tenant: string; registryVersion: number };

export type StampsResult = { ok: true; stamps: SchemaStamp[] } | { ok: false; reason: "registry_unavailable" };

/**
 * One stamp per change, in order; `registry_unavailable` when D1 could not be read (worth a
 * retry). `baseUrl`: where this deployment's registry answers (see registryBaseUrl).
 */
export async function schemaStamps(db: D1Database, caller: SchemaCaller, baseUrl: () => string, changes: readonly Change[]): Promise<StampsResult> {
  const wants = changes.map((c): Want => c.schemaVersion ?? "latest");
  const resolvedOf = await resolveAll(db, caller, changes.map((c, i) => [c.recordType, wants[i]!] as const));
  if (!resolvedOf) return { ok: false, reason: "registry_unavailable" };
  let base: string | undefined;
  const dataschemaOf = (id: number) => `${(base ??= baseUrl())}/registry/t/${encodeURIComponent(caller.tenant)}/schemas/ids/${id}`;
  return { ok: true, stamps: changes.map((c, i) => decideSchemaGate(c, resolvedOf(c.recordType, wants[i]!), dataschemaOf)) };
}

async function resolveAll(db: D1Database, caller: SchemaCaller, keys: readonly (readonly [string, Want])[]) {
  const { tenant, registryVersion } = caller;
  const keyOf = (subject: string, want: Want) => JSON.stringify([tenant, subject, want]);
  // Version 0: the tenant never registered a schema, so there is nothing to read (or remember).
  const lookup = (subject: string, want: Want) => (registryVersion === 0 ? null : (touch(resolutions, keyOf(subject, want))?.resolved ?? null));

  const stale = new Map<string, VersionQuery>();
  if (registryVersion > 0) {
    for (const [subject, want] of keys) {
      const cached = resolutions.get(keyOf(subject, want));
      if (cached && cached.registryVersion >= registryVersion) continue;
      const q = stale.get(subject) ?? { subject, versions: [], latest: false };
      if (want === "latest") q.latest = true;
      else if (!q.versions.includes(want)) q.versions.push(want);
      stale.set(subject, q);
    }
  }
  if (stale.size > 0) {
    let found: Awaited<ReturnType<typeof resolveVersions>>;
    try {
      found = await resolveVersions(db, tenant, [...stale.values()]);
    } catch (err) {
      console.error("schema gate: registry read failed", err);
      return null;
    }
    for (const q of stale.values()) {
      const answer = found.get(q.subject);
      const remember = (want: Want, row: RegisteredSchema | null | undefined) => {
        const key = keyOf(q.subject, want);
        // A concurrent request may have stored a newer answer meanwhile: never replace it with an older one.
        if ((resolutions.get(key)?.registryVersion ?? -1) > registryVersion) return;
        put(resolutions, key, { registryVersion, resolved: row ? resolvedFrom(tenant, row) : null }, MAX_RESOLUTIONS);
      };
      if (q.latest) remember("latest", answer?.latest);
      for (const v of q.versions) remember(v, answer?.versions.get(v));
    }
  }
  return lookup;
}

function resolvedFrom(tenant: string, row: RegisteredSchema): ResolvedSchema {
  const key = JSON.stringify([tenant, row.id]);
  let check = touch(compiled, key);
  if (!check) {
    check = compileCheck(row.schemaType, row.schema);
    put(compiled, key, check, MAX_COMPILED);
  }
  return { subject: row.subject, version: row.version, id: row.id, check };
}

function touch<V>(map: Map<string, V>, key: string): V | undefined {
  const value = map.get(key);
  if (value !== undefined) map.delete(key), map.set(key, value);
  return value;
}

function put<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value!);
}

const parsedBases = new Map<string, string>();

/**
 * The base of registry URIs in events: PUBLIC_BASE_URL when set (the Worker sits behind a custom
 * domain or a proxy), else the origin the request came to. A malformed PUBLIC_BASE_URL throws (a
 * logged 500): events must never carry a URI that cannot resolve.
 */
export function registryBaseUrl(env: { PUBLIC_BASE_URL?: string }, requestUrl: string): string {
  const configured = env.PUBLIC_BASE_URL?.trim();
  if (!configured) return new URL(requestUrl).origin;
  let base = parsedBases.get(configured);
  if (base === undefined) {
    let url: URL;
    try {
      url = new URL(configured);
    } catch {
      throw new Error(`PUBLIC_BASE_URL "${configured}" is not an absolute URL`);
    }
    if ((url.protocol !== "https:" && url.protocol !== "http:") || url.search || url.hash) {
      throw new Error(`PUBLIC_BASE_URL "${configured}" must be an http(s) URL without query or fragment`);
    }
    base = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
    parsedBases.set(configured, base);
  }
  return base;
}
