/**
 * Confluent Schema Registry's wire conventions: answers in `application/vnd.schemaregistry.v1+json`,
 * errors as `{error_code, message}` (clients switch on error_code, so never problem+json here).
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const REGISTRY_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

/** Confluent's error codes: the HTTP status followed by a two-digit detail. */
export const ErrorCode = {
  unauthorized: 40101,
  subjectNotFound: 40401,
  versionNotFound: 40402,
  schemaNotFound: 40403,
  subjectSoftDeleted: 40404,
  subjectNotSoftDeleted: 40405,
  versionSoftDeleted: 40406,
  versionNotSoftDeleted: 40407,
  subjectConfigNotFound: 40408,
  incompatible: 409,
  invalidSchema: 42201,
  invalidVersion: 42202,
  invalidCompatibilityLevel: 42203,
  invalidSubject: 42208,
} as const;

export class RegistryError extends Error {
  constructor(readonly status: ContentfulStatusCode, readonly errorCode: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export function registryJson(c: Context, body: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(JSON.stringify(body), status, { "content-type": REGISTRY_CONTENT_TYPE });
}

export function registryErrorResponse(c: Context, err: RegistryError): Response {
  return c.body(JSON.stringify({ error_code: err.errorCode, message: err.message }), err.status, { "content-type": REGISTRY_CONTENT_TYPE, ...err.headers });
}

export const subjectNotFound = (subject: string) => new RegistryError(404, ErrorCode.subjectNotFound, `Subject '${subject}' not found.`);
export const versionNotFound = (subject: string, version: number | string) =>
  new RegistryError(404, ErrorCode.versionNotFound, `Version ${version} not found for subject '${subject}'.`);
export const schemaNotFound = (what = "Schema not found") => new RegistryError(404, ErrorCode.schemaNotFound, what);
export const invalidSchema = (detail: string) => new RegistryError(422, ErrorCode.invalidSchema, `Invalid schema: ${detail}`);
export const invalidVersion = (text: string) =>
  new RegistryError(422, ErrorCode.invalidVersion, `The specified version '${text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
export const invalidLevel = (value: unknown) =>
  new RegistryError(
    422,
    ErrorCode.invalidCompatibilityLevel,
    `Invalid compatibility level ${JSON.stringify(value)}. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive`,
  );
export const incompatible = (subject: string, mode: string, messages: string[]) =>
  new RegistryError(409, ErrorCode.incompatible, `Schema being registered is incompatible with an earlier schema for subject "${subject}" under ${mode}, details: [${messages.join("; ")}]`);
