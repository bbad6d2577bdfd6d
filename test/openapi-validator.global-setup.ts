/**
 * An OpenAPI document validator (@seriousme/openapi-schema-validator: the OpenAPI Initiative's
 * JSON Schemas for 3.0/3.1) as a Node HTTP service on 127.0.0.1: it compiles those schemas with
 * ajv, i.e. `new Function`, which workerd refuses, while the document comes from the real Worker.
 * Tests read its URL with `inject("openapiValidatorUrl")`.
 *
 * `POST /` with a document (JSON text) answers 200 `{"valid": boolean, "errors": [...]}`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TestProject } from "vitest/node";
import { serveOnLoopback } from "./loopback-service";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the OpenAPI validator service (test/openapi-validator.global-setup.ts). */
    openapiValidatorUrl: string;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (req.method !== "POST") return void res.writeHead(405).end();
  // Loaded per request: a validator instance keeps the last document it was given.
  const { Validator } = await import("@seriousme/openapi-schema-validator");
  const result = await new Validator().validate(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>);
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ valid: result.valid, errors: result.errors ?? [] }));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const service = await serveOnLoopback(handle);
  project.provide("openapiValidatorUrl", service.url);
  return service.close;
}
