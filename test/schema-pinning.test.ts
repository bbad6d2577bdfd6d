/**
 * Per-route schema pinning end to end: schemas registered through the registry API, changes
 * ingested naming their version (ingest stamps `dataschema`), webhooks to the real receiver.
 * A route pinned to customer v1 receives v2 (an optional property added: v1 reads it) and holds
 * v3 (a property's type changed) as a P1 dead letter, never attempted; an unpinned route gets all.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { admin, change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, received, receivedAtLeast, receiverUrl, waitFor } from "./fanout-helpers";
import { registryOf } from "./registry-helpers";

// Open content model (no additionalProperties: false): a v1 reader ignores what it does not know.
const schema = (props: Record<string, unknown>) => JSON.stringify({ type: "object", properties: props, required: ["id"] });
const V1 = schema({ id: { type: "string" }, name: { type: "string" }, age: { type: "integer" } });
const V2 = schema({ id: { type: "string" }, name: { type: "string" }, age: { type: "integer" }, email: { type: "string" } });
const V3 = schema({ id: { type: "string" }, name: { type: "string" }, age: { type: "string" }, email: { type: "string" } });

type Setup = { tenant: string; key: string; sub: string; ids: number[] };

/** A tenant with customer v1, v2, v3 registered (level NONE, so the incompatible v3 registers too). */
async function setup(): Promise<Setup> {
  const { tenant, keys } = await newTenant();
  const r = registryOf(tenant);
  expect((await r("PUT", "/config/customer", { compatibility: "NONE" })).status).toBe(200);
  const ids: number[] = [];
  for (const s of [V1, V2, V3]) {
    const res = await r("POST", "/subjects/customer/versions", { schema: s, schemaType: "JSON" });
    expect(res.status).toBe(200);
    ids.push(res.json.id);
  }
  return { tenant, key: keys["store-1"]!, sub: await newSubscriber(tenant), ids };
}

const deadLetters = async (tenant: string, routeId: string) => (await admin("GET", `/tenants/${tenant}/dead-letters?routeId=${routeId}`)).json.items as any[];

describe("per-route schema pinning", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup();
  });

  it("a route pinned to v1 receives v1 and v2 events, holds the v3 one as a P1 dead letter (not attempted); an unpinned route receives all three", async () => {
    const [pinnedPath, plainPath] = [freshPath("pinned"), freshPath("unpinned")];
    const pinned = await newRoute(s.tenant, s.sub, pinnedPath, { schema: { subject: "customer", version: 1 } });
    const plain = await newRoute(s.tenant, s.sub, plainPath);

    const changes = [
      change("pin-v1", "insert", { id: "pin-v1", name: "Ada", age: 36 }, { schemaVersion: 1 }),
      change("pin-v2", "insert", { id: "pin-v2", name: "Grace", age: 45, email: "grace@example.com" }, { schemaVersion: 2 }),
      change("pin-v3", "insert", { id: "pin-v3", name: "Edsger", age: "seventy" }, { schemaVersion: 3 }),
    ];
    const { results } = await push(s.key, changes);
    expect(results.map((r) => r.status)).toEqual(["accepted", "accepted", "accepted"]);
    const [e1, e2, e3] = results.map((r) => r.eventId!);

    const all = await receivedAtLeast(plainPath, 3);
    expect(all.map((g) => g.headers["webhook-id"]).sort()).toEqual([e1, e2, e3].sort());
    // Ingest named each event's schema: the check keys on it.
    const dataschemas = Object.fromEntries(all.map((g) => [g.headers["webhook-id"], JSON.parse(g.body).dataschema]));
    s.ids.forEach((id, i) => expect(dataschemas[[e1, e2, e3][i]!]).toMatch(new RegExp(`/registry/t/${s.tenant}/schemas/ids/${id}$`)));

    const got = await receivedAtLeast(pinnedPath, 2);
    expect(got.map((g) => g.headers["webhook-id"]).sort()).toEqual([e1, e2].sort());

    const [dl] = await waitFor("the P1 dead letter", async () => {
      const items = await deadLetters(s.tenant, pinned.id);
      return items.length > 0 ? items : null;
    });
    expect(dl).toMatchObject({ routeId: pinned.id, eventId: e3, severity: "P1", status: "open", attempts: [] });
    expect(dl.reason).toMatch(/^schema incompatibility: pinned customer v1 cannot read v3: TYPE_NARROWED at #\/properties\/age/);
    expect(dl.event.dataschema).toMatch(new RegExp(`/schemas/ids/${s.ids[2]}$`));

    // Never attempted: nothing in the route's attempt log for it, and the receiver never saw it.
    const attempts = (await admin("GET", `/tenants/${s.tenant}/routes/${pinned.id}/deliveries`)).json.items as any[];
    expect(attempts.map((a) => a.eventId).sort()).toEqual([e1, e2].sort());
    await new Promise((r) => setTimeout(r, 1000));
    expect((await received(pinnedPath)).map((g) => g.headers["webhook-id"])).not.toContain(e3);
    expect(await deadLetters(s.tenant, plain.id)).toEqual([]);

    // The record's trail says why.
    const trail = await waitFor("the trail", async () => {
      const items = (await admin("GET", `/tenants/${s.tenant}/records/customer/pin-v3/deliveries`)).json.items as any[];
      return items.length > 0 ? items : null;
    });
    const outcomes = trail.flatMap((t: any) => t.outcomes);
    expect(outcomes).toContainEqual(expect.objectContaining({ route: pinned.id, outcome: "schema-incompatible", disposition: "dead-lettered", final: true }));
  });

  it("the pin is validated against the registry (400 naming the field), read back with its schema id, and cleared with null", async () => {
    const path = freshPath("pin-admin");
    const bad = await admin("POST", `/tenants/${s.tenant}/routes`, { subscriberId: s.sub, url: receiverUrl() + path, schema: { subject: "customer", version: 9 } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ field: "schema.version" });
    expect(bad.json.detail).toContain("no live version 9 (latest: 3)");

    const route = await newRoute(s.tenant, s.sub, path, { schema: { subject: "customer", version: 2 } });
    const read = await admin("GET", `/tenants/${s.tenant}/routes/${route.id}`);
    expect(read.json.schema).toEqual({ subject: "customer", version: 2, id: s.ids[1] });

    const noSubject = await admin("PATCH", `/tenants/${s.tenant}/routes/${route.id}`, { schema: { subject: "supplier", version: 1 } });
    expect(noSubject.status).toBe(400);
    expect(noSubject.json.field).toBe("schema.subject");
    for (const [body, field] of [
      [{ schema: { subject: "customer", version: 0 } }, "schema.version"],
      [{ schema: { subject: "customer" } }, "schema.version"],
      [{ schema: { subject: "customer", version: 1, extra: true } }, "schema.extra"],
    ] as const) {
      const res = await admin("PATCH", `/tenants/${s.tenant}/routes/${route.id}`, body);
      expect([res.status, res.json.field]).toEqual([400, field]);
    }
    expect((await admin("GET", `/tenants/${s.tenant}/routes/${route.id}`)).json.schema.version).toBe(2);

    const moved = await admin("PATCH", `/tenants/${s.tenant}/routes/${route.id}`, { schema: { subject: "customer", version: 3 } });
    expect(moved.status).toBe(200);
    expect(moved.json.schema).toEqual({ subject: "customer", version: 3, id: s.ids[2] });
    const cleared = await admin("PATCH", `/tenants/${s.tenant}/routes/${route.id}`, { schema: null });
    expect(cleared.json.schema).toBeNull();
    expect((await admin("GET", `/tenants/${s.tenant}/routes`)).json.items.find((r: any) => r.id === route.id).schema).toBeNull();
  });

  it("on a per-record FIFO route the P1 blocks the record's later events (as a dead letter does) until replayed: clearing the pin and replaying delivers both in order", async () => {
    const path = freshPath("pin-fifo");
    const route = await newRoute(s.tenant, s.sub, path, { ordering: "per-record", schema: { subject: "customer", version: 1 } });
    const first = await push(s.key, [change("pin-fifo", "insert", { id: "pin-fifo", age: "ninety" }, { schemaVersion: 3 })]);
    const [dl] = await waitFor("the P1 dead letter", async () => {
      const items = await deadLetters(s.tenant, route.id);
      return items.length > 0 ? items : null;
    });
    expect(dl).toMatchObject({ eventId: first.results[0]!.eventId, severity: "P1" });
    expect(dl.reason).toMatch(/^schema incompatibility: pinned customer v1 cannot read v3: .*; ordering blocked until it is replayed or skipped$/);

    // v1 is readable, but the record's stream waits behind the held event.
    const second = await push(s.key, [change("pin-fifo", "update", { id: "pin-fifo", age: 91 }, { schemaVersion: 1 })]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await received(path)).toHaveLength(0);

    expect((await admin("PATCH", `/tenants/${s.tenant}/routes/${route.id}`, { schema: null })).status).toBe(200);
    expect((await admin("POST", `/tenants/${s.tenant}/dead-letters/${dl.id}/replay`)).status).toBe(202);
    const got = await receivedAtLeast(path, 2);
    expect(got.map((g) => g.headers["webhook-id"])).toEqual([first.results[0]!.eventId, second.results[0]!.eventId]);
  });
});
