/**
 * What Debezium Server's HTTP sink needs beyond one event per request, through the real Worker:
 * - OAuth 2.0 client credentials (RFC 6749 §4.4) at POST /v1/oauth/token, the way its `oauth2`
 *   authenticator asks (Basic client authentication, form body) — the token then ingests;
 * - batch mode: a JSON array of events, answered item by item, each deduped by its own position
 *   (the sink sends the FIRST record's headers with the whole array).
 */
import { describe, expect, it } from "vitest";
import { admin, call, newTenant } from "./helpers";

const pgSource = (lsn: number, txId: number) => ({ version: "3.1.0.Final", connector: "postgresql", name: "pg", ts_ms: 1772359200000, snapshot: "false", db: "shop", schema: "public", table: "customers", txId, lsn });
const row = (id: number, name: string) => ({ id, name });

function tokenRequest(form: Record<string, string>, basic?: [string, string]) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic) headers.authorization = `Basic ${btoa(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`)}`;
  return call("POST", "/v1/oauth/token", { rawBody: new URLSearchParams(form).toString(), headers });
}

describe("POST /v1/oauth/token (RFC 6749 §4.4)", () => {
  it("exchanges location id + key (client_secret_basic) for a bearer token that ingests", async () => {
    const { tenant, keys } = await newTenant();
    const res = await tokenRequest({ grant_type: "client_credentials" }, ["store-1", keys["store-1"]!]);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const token = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(token).toMatchObject({ token_type: "Bearer", expires_in: 3600 });

    const event = { before: null, after: row(1, "Ada"), source: pgSource(100, 1), op: "c", ts_ms: 1 };
    const ingest = await call("POST", "/v1/changes/debezium", { token: token.access_token, body: event });
    expect(ingest.status).toBe(200);
    expect(((await ingest.json()) as any).results[0]).toMatchObject({ status: "accepted" });
    const trail = await admin("GET", `/tenants/${tenant}/records/customers/1/audit`);
    expect(trail.json.items).toHaveLength(1);
  });

  it("also takes client_secret_post", async () => {
    const { keys } = await newTenant();
    const res = await tokenRequest({ grant_type: "client_credentials", client_id: "store-1", client_secret: keys["store-1"]! });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).access_token).toBe(keys["store-1"]);
  });

  it.each([
    { name: "a wrong secret", form: { grant_type: "client_credentials" }, basic: ["store-1", "loc_wrong"] as [string, string], status: 401, error: "invalid_client" },
    { name: "another location's id", form: { grant_type: "client_credentials" }, basic: ["store-2", "KEY"] as [string, string], status: 401, error: "invalid_client" },
    { name: "no client authentication", form: { grant_type: "client_credentials" }, status: 401, error: "invalid_client" },
    { name: "another grant type", form: { grant_type: "password", username: "u", password: "p" }, basic: ["store-1", "KEY"] as [string, string], status: 400, error: "unsupported_grant_type" },
    { name: "no grant type", form: {}, basic: ["store-1", "KEY"] as [string, string], status: 400, error: "invalid_request" },
    { name: "credentials twice", form: { grant_type: "client_credentials", client_id: "store-1", client_secret: "KEY" }, basic: ["store-1", "KEY"] as [string, string], status: 400, error: "invalid_request" },
  ])("refuses $name with $status $error", async ({ form, basic, status, error }) => {
    const { keys } = await newTenant("us", ["store-1", "store-2"]);
    const fill = (v: string) => (v === "KEY" ? keys["store-1"]! : v);
    const res = await tokenRequest(Object.fromEntries(Object.entries(form).map(([k, v]) => [k, fill(v)])), basic ? [basic[0], fill(basic[1])] : undefined);
    expect(res.status).toBe(status);
    expect(((await res.json()) as any).error).toBe(error);
    if (status === 401) expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
  });

  it("refuses a revoked key, and a JSON body", async () => {
    const { tenant, keys } = await newTenant();
    const json = await call("POST", "/v1/oauth/token", { body: { grant_type: "client_credentials" } });
    expect(json.status).toBe(400);
    expect(((await json.json()) as any).error).toBe("invalid_request");
    expect((await admin("DELETE", `/tenants/${tenant}/locations/store-1`)).status).toBe(200);
    const res = await tokenRequest({ grant_type: "client_credentials" }, ["store-1", keys["store-1"]!]);
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error_description).toMatch(/revoked/);
  });
});

describe("POST /v1/changes/debezium with a JSON array (batch mode)", () => {
  it("answers each event in order, rejects a bad one alone, and never applies the first record's header to all", async () => {
    const { tenant, keys } = await newTenant();
    const batch = [
      { before: null, after: row(1, "Ada"), source: pgSource(100, 1), op: "c", ts_ms: 1 },
      { before: null, after: null, source: pgSource(110, 1), op: "t", ts_ms: 1 },
      { before: row(1, "Ada"), after: row(1, "Ada L."), source: pgSource(120, 2), op: "u", ts_ms: 2 },
    ];
    // The sink would send the first record's X-DEBEZIUM-ID with the whole array.
    const send = () => call("POST", "/v1/changes/debezium", { token: keys["store-1"]!, body: batch, headers: { "x-debezium-id": btoa("ob-first") } });
    const first = await send();
    expect(first.status).toBe(200);
    const results = ((await first.json()) as any).results;
    expect(results.map((r: { status: string }) => r.status)).toEqual(["accepted", "rejected", "accepted"]);
    expect(results[0].id).toBe("pg:1:100");
    expect(results[2].id).toBe("pg:2:120");
    expect(results[1].error).toMatchObject({ field: "[1].op" });

    const again = ((await (await send()).json()) as any).results;
    expect(again.map((r: { status: string }) => r.status)).toEqual(["duplicate", "rejected", "duplicate"]);
    const trail = await admin("GET", `/tenants/${tenant}/records/customers/1/audit`);
    expect(trail.json.items.map((e: any) => e.event.type)).toEqual(["io.changecast.customers.created", "io.changecast.customers.updated"]);
  });

  it("answers 400 for an empty or oversized array", async () => {
    const { keys } = await newTenant();
    for (const body of [[], Array.from({ length: 501 }, (_, i) => ({ before: null, after: row(i, "x"), source: pgSource(i, 1), op: "c", ts_ms: 1 }))]) {
      const res = await call("POST", "/v1/changes/debezium", { token: keys["store-1"]!, body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).field).toBe("body");
    }
  });
});
