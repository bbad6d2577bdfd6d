/** Reading registry requests the way Confluent's server does: bodies, schema payloads, path ids. */
import type { Context } from "hono";
import type { SchemaType } from "../../shared/registry/compatibility";
import { SUBJECT_PATTERN, SUBJECT_RULE, isSchemaType, parseSchema, parseVersionId, type ParsedSchema } from "../../shared/registry/registry-rules";
import { ErrorCode, RegistryError, invalidSchema, invalidVersion } from "./errors";
import type { Tenant } from "../tenancy/repository";

export type RegistryScoped = { Bindings: Env; Variables: { tenant: Tenant } };

/** Confluent clients send the vnd types; curl users send application/json; no type is read as JSON. */
const BODY_TYPES = new Set(["application/json", "application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json"]);

export async function readBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type")?.split(";")[0]!.trim().toLowerCase();
  if (type && !BODY_TYPES.has(type)) {
    throw new RegistryError(415, 415, `Unsupported content type '${type}'; send ${[...BODY_TYPES].join(", ")}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(await c.req.text());
  } catch {
    throw new RegistryError(400, 400, "The request body is not JSON");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new RegistryError(422, 422, "The request body must be a JSON object");
  return value as Record<string, unknown>;
}

/**
 * `{schema, schemaType?, references?}` parsed and validated (42201 otherwise). schemaType
 * defaults to AVRO as in Confluent. References would name other subjects' schemas; we resolve
 * none, so only an empty list is accepted. Other fields (metadata, ruleSet…) are ignored.
 */
export async function readSchemaBody(c: Context): Promise<ParsedSchema> {
  const body = await readBody(c);
  const type: unknown = body.schemaType ?? "AVRO";
  if (!isSchemaType(type)) throw invalidSchema(`unknown schemaType ${JSON.stringify(type)}; one of JSON, AVRO, PROTOBUF`);
  if (typeof body.schema !== "string") throw invalidSchema("'schema' must be the schema as a string");
  if (body.references !== undefined && body.references !== null && (!Array.isArray(body.references) || body.references.length > 0)) {
    throw invalidSchema("schema references are not supported: send 'references': [] or leave it out");
  }
  return parseOrThrow(type, body.schema);
}

export function parseOrThrow(type: SchemaType, text: string): ParsedSchema {
  const r = parseSchema(type, text);
  if (!r.ok) throw invalidSchema(r.error);
  return r.parsed;
}

/** A subject being written must be a record type; reads of other names simply find nothing. */
export function writableSubject(subject: string): string {
  if (!SUBJECT_PATTERN.test(subject)) throw new RegistryError(422, ErrorCode.invalidSubject, `Invalid subject '${subject}': ${SUBJECT_RULE}`);
  return subject;
}

export function versionParam(text: string): number | "latest" {
  const v = parseVersionId(text);
  if (v === null) throw invalidVersion(text);
  return v;
}

/** Confluent's boolean query flags (`?deleted=true`, `?permanent=true`, `?verbose=true`). */
export function flag(c: Context, name: string): boolean {
  return c.req.query(name)?.toLowerCase() === "true";
}

export function now(): string {
  return new Date().toISOString();
}
