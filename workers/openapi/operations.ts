/**
 * Every HTTP operation of the Worker, one line each: what GET /admin/v1/openapi.json documents.
 * Paths are written as Hono registers them (`:param`), so test/openapi.test.ts can hold this table
 * and `app.routes` equal in both directions: an operation added to the app without a line here,
 * or a line left behind by a removed one, fails the suite instead of drifting.
 */
import type { z } from "zod";
import { ingestBodySchema } from "../../shared/change/schema";
import { bulkReplay } from "../admin/dead-letters";
import { rotation } from "../admin/route-actions";
import { newRoute, routePatch } from "../admin/routes";
import { newSubscriber, subscriberPatch } from "../admin/subscribers";
import { newLocation, newTenant, tenantPatch } from "../admin/tenants";
import { receiverReport } from "../ingest/receiver-reports";

/** Who may call: the admin token, a location key, a receiver's signature, nobody in particular. */
export type Caller = "admin" | "location" | "receiver" | "public";
/** The error body family: RFC 9457 problem+json, or Confluent's `{error_code, message}` for the registry. */
export type ErrorStyle = "problem" | "registry";

export type Operation = {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  tag: string;
  summary: string;
  caller: Caller;
  /** The zod schema the handler parses the JSON body with, when it has a body. */
  body?: z.ZodType;
  /** A body documented in words only (tool formats, registry payloads). */
  bodyNote?: string;
  /** The body's media type when it is not JSON. */
  bodyType?: string;
  ok: 200 | 201 | 202 | 204;
  /** Query parameters the handler reads. */
  query?: string[];
};

const page = ["limit", "cursor"];
const T = "/admin/v1/tenants/:tenant";
const R = "/registry/t/:tenant";

function op(method: Operation["method"], path: string, tag: string, summary: string, caller: Caller, ok: Operation["ok"], extra: Partial<Operation> = {}): Operation {
  return { method, path, tag, summary, caller, ok, ...extra };
}

export const OPERATIONS: readonly Operation[] = [
  op("GET", "/", "service", "Service name and entry points", "public", 200),
  // Ingestion (locations → edge)
  op("POST", "/v1/changes", "ingestion", "Submit 1–500 changes; each item answered accepted, duplicate or rejected in request order", "location", 200, { body: ingestBodySchema }),
  op("POST", "/v1/changes/debezium", "ingestion", "Submit one Debezium change event (JSON with or without the schema wrapper, or a CloudEvent)", "location", 200, {
    bodyNote: "A Debezium change event as Debezium Server's HTTP sink sends it; see README \"Debezium Server and Maxwell\".",
    query: ["key", "recordType"],
  }),
  op("POST", "/v1/changes/maxwell", "ingestion", "Submit Maxwell row events (one object or an array)", "location", 200, {
    bodyNote: "Maxwell's JSON row format; see README \"Debezium Server and Maxwell\".",
    query: ["key", "recordType"],
  }),
  op("POST", "/v1/oauth/token", "ingestion", "OAuth 2.0 client credentials (RFC 6749 §4.4): location id and key in, the key back as a bearer token", "public", 200, {
    bodyNote: "application/x-www-form-urlencoded: grant_type=client_credentials, with HTTP Basic client authentication or client_id/client_secret. Errors are RFC 6749 §5.2 JSON.",
    bodyType: "application/x-www-form-urlencoded",
  }),
  op("POST", "/v1/receiver-reports", "ingestion", "A receiver kit reports a duplicate or a gap it saw on a route", "receiver", 202, { body: receiverReport }),
  // Tenants and locations
  op("POST", "/admin/v1/tenants", "tenants", "Create a tenant", "admin", 201, { body: newTenant }),
  op("GET", T, "tenants", "Read a tenant", "admin", 200),
  op("PATCH", T, "tenants", "Change a tenant's name or operations route", "admin", 200, { body: tenantPatch }),
  op("POST", `${T}/locations`, "locations", "Create a location; the answer carries its key, shown once", "admin", 201, { body: newLocation }),
  op("GET", `${T}/locations`, "locations", "List locations", "admin", 200, { query: page }),
  op("GET", `${T}/locations/:location`, "locations", "Read a location", "admin", 200),
  op("DELETE", `${T}/locations/:location`, "locations", "Revoke a location's key", "admin", 200),
  // Subscribers and routes
  op("POST", `${T}/subscribers`, "subscribers", "Create a subscriber", "admin", 201, { body: newSubscriber }),
  op("GET", `${T}/subscribers`, "subscribers", "List subscribers", "admin", 200, { query: page }),
  op("GET", `${T}/subscribers/:id`, "subscribers", "Read a subscriber", "admin", 200),
  op("PATCH", `${T}/subscribers/:id`, "subscribers", "Change a subscriber", "admin", 200, { body: subscriberPatch }),
  op("DELETE", `${T}/subscribers/:id`, "subscribers", "Delete a subscriber without routes", "admin", 204),
  op("POST", `${T}/routes`, "routes", "Create a route; the answer carries its signing secret, shown once", "admin", 201, { body: newRoute }),
  op("GET", `${T}/routes`, "routes", "List routes", "admin", 200, { query: ["status", "subscriberId", ...page] }),
  op("GET", `${T}/routes/:id`, "routes", "Read a route", "admin", 200),
  op("PATCH", `${T}/routes/:id`, "routes", "Change a route (a new URL runs the webhook handshake again)", "admin", 200, { body: routePatch }),
  op("DELETE", `${T}/routes/:id`, "routes", "Delete a route", "admin", 204),
  op("POST", `${T}/routes/:id/pause`, "routes", "Pause deliveries (deferred, not dropped)", "admin", 200),
  op("POST", `${T}/routes/:id/resume`, "routes", "Resume deliveries", "admin", 200),
  op("POST", `${T}/routes/:id/handshake`, "routes", "Run the webhook handshake again", "admin", 200),
  op("POST", `${T}/routes/:id/secret/rotate`, "routes", "Rotate the signing secret; the old one keeps signing during the overlap", "admin", 200, { body: rotation }),
  op("POST", `${T}/routes/:id/test`, "routes", "Send an io.changecast.test event to the route now", "admin", 200),
  op("GET", `${T}/routes/:route/deliveries`, "deliveries", "The route's attempt log", "admin", 200, { query: ["status", ...page] }),
  op("GET", `${T}/routes/:route/health`, "deliveries", "The route's breaker, rate and in-flight state", "admin", 200),
  // Dead letters
  op("GET", `${T}/dead-letters`, "dead letters", "List dead letters", "admin", 200, { query: ["routeId", "status", "severity", "from", "to", ...page] }),
  op("GET", `${T}/dead-letters/:id`, "dead letters", "Inspect a dead letter with every attempt", "admin", 200),
  op("POST", `${T}/dead-letters/:id/replay`, "dead letters", "Replay one dead letter", "admin", 202),
  op("POST", `${T}/dead-letters/:id/skip`, "dead letters", "Skip a dead letter (releases a blocked FIFO stream)", "admin", 200),
  op("POST", `${T}/dead-letters/replay`, "dead letters", "Start a bulk replay job", "admin", 202, { body: bulkReplay }),
  op("GET", `${T}/dead-letters/replay-jobs/:job`, "dead letters", "A bulk replay job's progress", "admin", 200),
  op("GET", `${T}/incidents`, "dead letters", "List incidents (P0–P3)", "admin", 200, { query: ["severity", "open", "routeId", ...page] }),
  // Records: audit trail, deliveries, FIFO cursors
  op("GET", `${T}/records/:recordType/:recordId/audit`, "audit", "A record's audit trail in sequence order", "admin", 200, { query: page }),
  op("GET", `${T}/records/:recordType/:recordId/audit/verify`, "audit", "Verify a record's hash chain", "admin", 200),
  op("GET", `${T}/records/:recordType/:recordId/deliveries`, "audit", "Who got which of a record's events", "admin", 200, { query: ["routeId", ...page] }),
  op("GET", `${T}/records/:recordType/:recordId/fifo`, "deliveries", "A record's per-route FIFO cursors", "admin", 200),
  op("POST", `${T}/records/:recordType/:recordId/fifo/:route/resend`, "deliveries", "Send a stalled FIFO stream's in-flight event again", "admin", 202),
  op("GET", `${T}/asyncapi.json`, "service", "The tenant's AsyncAPI 2.6 document (its routes as channels)", "admin", 200),
  op("GET", "/admin/v1/openapi.json", "service", "This document", "admin", 200),
  // Schema registry (Confluent REST subset)
  op("GET", R, "registry", "Registry root", "admin", 200),
  op("GET", `${R}/schemas/types`, "registry", "Supported schema types", "admin", 200),
  op("GET", `${R}/schemas/ids/:id`, "registry", "A schema by id", "admin", 200),
  op("GET", `${R}/schemas/ids/:id/schema`, "registry", "A schema's text by id", "admin", 200),
  op("GET", `${R}/schemas/ids/:id/subjects`, "registry", "Subjects using a schema", "admin", 200, { query: ["deleted"] }),
  op("GET", `${R}/schemas/ids/:id/versions`, "registry", "Subject versions using a schema", "admin", 200, { query: ["deleted"] }),
  op("GET", `${R}/subjects`, "registry", "List subjects", "admin", 200, { query: ["deleted"] }),
  op("POST", `${R}/subjects/:subject`, "registry", "Look up a schema under a subject", "admin", 200, { query: ["deleted"], bodyNote: "`{schema, schemaType?, references?}` as in Confluent's API." }),
  op("DELETE", `${R}/subjects/:subject`, "registry", "Delete a subject (soft, or hard with ?permanent=true)", "admin", 200, { query: ["permanent"] }),
  op("GET", `${R}/subjects/:subject/versions`, "registry", "A subject's versions", "admin", 200, { query: ["deleted"] }),
  op("POST", `${R}/subjects/:subject/versions`, "registry", "Register a schema version (compatibility checked)", "admin", 200, { bodyNote: "`{schema, schemaType?, references?}` as in Confluent's API." }),
  op("GET", `${R}/subjects/:subject/versions/:version`, "registry", "A subject version", "admin", 200, { query: ["deleted"] }),
  op("DELETE", `${R}/subjects/:subject/versions/:version`, "registry", "Delete a version (soft, or hard with ?permanent=true)", "admin", 200, { query: ["permanent"] }),
  op("GET", `${R}/subjects/:subject/versions/:version/schema`, "registry", "A subject version's schema text", "admin", 200, { query: ["deleted"] }),
  op("POST", `${R}/compatibility/subjects/:subject/versions`, "registry", "Check a schema against all versions the mode covers", "admin", 200, { bodyNote: "`{schema, schemaType?}`", query: ["verbose"] }),
  op("POST", `${R}/compatibility/subjects/:subject/versions/:version`, "registry", "Check a schema against one version", "admin", 200, { bodyNote: "`{schema, schemaType?}`", query: ["verbose"] }),
  op("GET", `${R}/config`, "registry", "Global compatibility level", "admin", 200),
  op("PUT", `${R}/config`, "registry", "Set the global compatibility level", "admin", 200, { bodyNote: "`{compatibility}`" }),
  op("DELETE", `${R}/config`, "registry", "Reset the global compatibility level", "admin", 200),
  op("GET", `${R}/config/:subject`, "registry", "A subject's compatibility level", "admin", 200, { query: ["defaultToGlobal"] }),
  op("PUT", `${R}/config/:subject`, "registry", "Set a subject's compatibility level", "admin", 200, { bodyNote: "`{compatibility}`" }),
  op("DELETE", `${R}/config/:subject`, "registry", "Remove a subject's compatibility level", "admin", 200),
  op("GET", `${R}/mode`, "registry", "Registry mode (always READWRITE)", "admin", 200),
  op("GET", `${R}/mode/:subject`, "registry", "A subject's mode (always READWRITE)", "admin", 200),
];
