/**
 * GET /admin/v1/openapi.json from the real Worker: a valid OpenAPI 3.1 document (checked in Node
 * against the OpenAPI Initiative's schemas: test/openapi-validator.global-setup.ts) that lists
 * exactly the operations the app serves, with request bodies derived from the handlers' own zod
 * schemas.
 */
import { describe, expect, inject, it } from "vitest";
import { app } from "../workers/app";
import { openApiPath } from "../workers/openapi/document";
import { OPERATIONS } from "../workers/openapi/operations";
import { ADMIN_TOKEN, call } from "./helpers";

type Doc = { openapi: string; paths: Record<string, Record<string, any>>; components: Record<string, any> };

async function fetchDocument(): Promise<Doc> {
  const res = await call("GET", "/admin/v1/openapi.json", { token: ADMIN_TOKEN });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as Doc;
}

describe("GET /admin/v1/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe("3.1.0");
    const res = await fetch(inject("openapiValidatorUrl"), { method: "POST", body: JSON.stringify(doc) });
    const verdict = (await res.json()) as { valid: boolean; errors: unknown };
    expect(verdict.errors).toEqual([]);
    expect(verdict.valid).toBe(true);
  });

  it("needs the admin token", async () => {
    const res = await call("GET", "/admin/v1/openapi.json");
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("documents every operation the app serves, and nothing else", async () => {
    const served = new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`));
    const listed = new Set(OPERATIONS.map((o) => `${o.method} ${o.path}`));
    expect([...served].filter((k) => !listed.has(k)).sort()).toEqual([]);
    expect([...listed].filter((k) => !served.has(k)).sort()).toEqual([]);
    const doc = await fetchDocument();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(OPERATIONS.map((o) => `${o.method} ${openApiPath(o.path).path}`).sort());
  });

  it("derives request bodies from the handlers' zod schemas", async () => {
    const doc = await fetchDocument();
    const route = doc.paths["/admin/v1/tenants/{tenant}/routes"]!.post.requestBody.content["application/json"].schema;
    // Required as a client sends it: fields with defaults (guarantee, ordering…) are optional.
    expect(route.required.sort()).toEqual(["subscriberId", "url"]);
    expect([...route.properties.guarantee.enum].sort()).toEqual(["at-least-once", "at-most-once", "exactly-once"]);
    expect(route.additionalProperties).toBe(false);
    const changes = doc.paths["/v1/changes"]!.post.requestBody.content["application/json"].schema;
    expect(changes.properties.changes.maxItems).toBe(500);
    expect(doc.paths["/v1/changes"]!.post.security).toEqual([{ locationKey: [] }]);
  });

  it("names path parameters and the error bodies per API family", async () => {
    const doc = await fetchDocument();
    const verify = doc.paths["/admin/v1/tenants/{tenant}/records/{recordType}/{recordId}/audit/verify"]!.get;
    expect(verify.parameters.map((p: { name: string }) => p.name)).toEqual(["tenant", "recordType", "recordId"]);
    expect(Object.keys(verify.responses["4XX"].content)).toEqual(["application/problem+json"]);
    const register = doc.paths["/registry/t/{tenant}/subjects/{subject}/versions"]!.post;
    expect(Object.keys(register.responses["4XX"].content)).toEqual(["application/vnd.schemaregistry.v1+json"]);
  });
});
