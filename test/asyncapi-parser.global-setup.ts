/**
 * The official AsyncAPI parser (@asyncapi/parser, with the Avro and Protobuf schema parsers) as
 * a Node HTTP service on 127.0.0.1 for the tests: it runs in Node only (ajv compiles validators
 * with `new Function`, which workerd refuses), while the document it checks comes from the real
 * Worker. Runs once per `vitest run`; tests read its URL with `inject("asyncapiParserUrl")`.
 *
 * `POST /` with an AsyncAPI document (JSON text) answers 200 `{"diagnostics": [{severity, code,
 * message, path}], "parsed": boolean}`; severity 0 is an error (Spectral's DiagnosticSeverity).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { TestProject } from "vitest/node";
import { serveOnLoopback } from "./loopback-service";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the AsyncAPI parser service (test/asyncapi-parser.global-setup.ts). */
    asyncapiParserUrl: string;
  }
}

export type ParserDiagnostic = { severity: number; code: string | number; message: string; path: (string | number)[] };

type Parse = (text: string) => Promise<{ diagnostics: ParserDiagnostic[]; parsed: boolean }>;
let parser: Promise<Parse> | null = null;

/** Loaded on first use, so test runs that never ask pay nothing for it. */
function loadParser(): Promise<Parse> {
  parser ??= (async () => {
    // Node's own require, not vitest's module runner: these are CommonJS packages for Node.
    const require = createRequire(import.meta.url);
    const { Parser } = require("@asyncapi/parser") as typeof import("@asyncapi/parser");
    const { AvroSchemaParser } = require("@asyncapi/avro-schema-parser") as typeof import("@asyncapi/avro-schema-parser");
    const { ProtoBuffSchemaParser } = require("@asyncapi/protobuf-schema-parser") as typeof import("@asyncapi/protobuf-schema-parser");
    const p = new Parser();
    p.registerSchemaParser(AvroSchemaParser());
    p.registerSchemaParser(ProtoBuffSchemaParser());
    return async (text: string) => {
      const { document, diagnostics } = await p.parse(text);
      return {
        parsed: document !== undefined,
        diagnostics: diagnostics.map((d) => ({ severity: d.severity, code: d.code, message: d.message, path: d.path as (string | number)[] })),
      };
    };
  })();
  return parser;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (req.method !== "POST") return void res.writeHead(405).end();
  const parse = await loadParser();
  const answer = await parse(Buffer.concat(chunks).toString("utf8"));
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const service = await serveOnLoopback(handle);
  project.provide("asyncapiParserUrl", service.url);
  return service.close;
}
