/**
 * The OpenAPI 3.1 document of the Worker's HTTP surface, built from the operations table and the
 * very zod schemas the handlers parse bodies with (`z.toJSONSchema`), so a request shape written
 * here cannot differ from the one enforced. Built once per isolate: it depends on code only.
 */
import { z } from "zod";
import { OPERATIONS, type Caller, type Operation } from "./operations";

type Json = Record<string, unknown>;

const SECURITY: Record<Caller, Json[]> = {
  admin: [{ adminToken: [] }],
  location: [{ locationKey: [] }],
  // Signed like a webhook (Standard Webhooks) with the route's secret: no bearer at all.
  receiver: [],
  public: [],
};

const PROBLEM = {
  type: "object",
  description: "RFC 9457 problem details. `field` names the request field at fault, in `a.b[2].c` form.",
  required: ["type", "title", "status"],
  properties: {
    type: { type: "string", format: "uri" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    field: { type: "string" },
    instance: { type: "string" },
  },
};

const REGISTRY_ERROR = {
  type: "object",
  description: "Confluent Schema Registry's error body; clients switch on error_code.",
  required: ["error_code", "message"],
  properties: { error_code: { type: "integer" }, message: { type: "string" } },
};

const OAUTH_ERROR = {
  type: "object",
  description: "RFC 6749 §5.2 error response.",
  required: ["error"],
  properties: { error: { type: "string", enum: ["invalid_request", "invalid_client", "unsupported_grant_type"] }, error_description: { type: "string" } },
};

/** Each API family answers errors in the shape its clients read. */
function errorContent(path: string): Json {
  if (path.startsWith("/registry/")) return { "application/vnd.schemaregistry.v1+json": { schema: { $ref: "#/components/schemas/RegistryError" } } };
  if (path === "/v1/oauth/token") return { "application/json": { schema: { $ref: "#/components/schemas/OAuthError" } } };
  return { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
}

/** `/a/:b/c` → `/a/{b}/c`, and the names of its path parameters. */
export function openApiPath(honoPath: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = honoPath.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

function bodySchema(schema: z.ZodType): Json {
  // "input": what a client sends (defaults make fields optional); zod's draft 2020-12 output is
  // OpenAPI 3.1's own schema dialect. Anything zod cannot express becomes `{}` (any), never a throw.
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
  delete json.$schema;
  return json;
}

function operation(op: Operation, params: string[]): Json {
  const registry = op.path.startsWith("/registry/");
  const errors = errorContent(op.path);
  const parameters = [
    ...params.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
    ...(op.query ?? []).map((name) => ({ name, in: "query", required: false, schema: { type: "string" } })),
  ];
  const out: Json = {
    operationId: `${op.method.toLowerCase()} ${op.path}`,
    tags: [op.tag],
    summary: op.summary,
    security: SECURITY[op.caller],
    ...(parameters.length ? { parameters } : {}),
    responses: {
      [String(op.ok)]: op.ok === 204 ? { description: "Done; no body." } : { description: "Success.", content: { [registry ? "application/vnd.schemaregistry.v1+json" : "application/json"]: { schema: { type: "object" } } } },
      "4XX": { description: "The request was refused; the body says which field and why.", content: errors },
      "5XX": { description: "A server error; retry later.", content: errors },
    },
  };
  if (op.body) out.requestBody = { required: true, content: { "application/json": { schema: bodySchema(op.body) } } };
  else if (op.bodyNote) out.requestBody = { required: true, description: op.bodyNote, content: { [op.bodyType ?? "application/json"]: { schema: { type: "object" } } } };
  return out;
}

export function buildOpenApiDocument(version: string): Json {
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) {
    const { path, params } = openApiPath(op.path);
    (paths[path] ??= {})[op.method.toLowerCase()] = operation(op, params);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "changecast",
      version,
      description: "Ingestion (locations → edge), the admin API and the schema registry. Events and webhooks are described by each tenant's AsyncAPI document.",
    },
    tags: [...new Set(OPERATIONS.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: "http", scheme: "bearer", description: "The admin token (the registry also takes it as the HTTP Basic password)." },
        locationKey: { type: "http", scheme: "bearer", description: "A location's key, `loc_…`; it fixes tenant and location." },
      },
      schemas: { Problem: PROBLEM, RegistryError: REGISTRY_ERROR, OAuthError: OAUTH_ERROR },
    },
  };
}

let built: Json | null = null;
export function openApiDocument(): Json {
  built ??= buildOpenApiDocument("1.0.0");
  return built;
}
