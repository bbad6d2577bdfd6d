/**
 * The receiver kit (../receiver-kit) against webhooks sent by the real Worker: changes pushed
 * through the ingest API, delivered to the Node receiver on 127.0.0.1, then each recorded request
 * replayed through createReceiver with the route's secret, in structured and binary mode.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createReceiver, SequenceTracker, type CloudEvent, type DeliveryMeta, type SequenceReport } from "../receiver-kit";
import { ADMIN_TOKEN, admin, call, change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, receivedAtLeast, receiverUrl, waitFor, type Received } from "./fanout-helpers";

// Delivery goes through the local queue (~1–3 s per hop when idle); FIFO releases one event at a time.
const DELIVERY_TIMEOUT_MS = 120_000; // a loaded 2-core CI machine can take 10–20 s per FIFO hop
const RECORD = "kit-1";
const CHANGES = 4;

/** A recorded delivery as the Request a Worker/Deno/Node fetch handler would get. */
function asRequest(r: Received): Request {
  const headers = new Headers();
  // Connection-level fields belong to the hop that recorded the request, not to a new Request.
  for (const [name, value] of Object.entries(r.headers)) if (!["host", "connection", "content-length", "transfer-encoding", "keep-alive"].includes(name)) headers.set(name, value);
  return new Request(receiverUrl() + r.path, { method: r.method, headers, body: r.body });
}

/** POSTs only (a handshake OPTIONS may precede them), first attempt of each webhook-id, in arrival order. */
async function deliveries(path: string, n: number): Promise<Received[]> {
  return waitFor(`${n} deliveries at ${path}`, async () => {
    const got = (await receivedAtLeast(path, n, DELIVERY_TIMEOUT_MS)).filter((r) => r.method === "POST");
    const firsts = got.filter((r, i) => got.findIndex((o) => o.headers["webhook-id"] === r.headers["webhook-id"]) === i);
    return firsts.length >= n ? firsts : null;
  }, DELIVERY_TIMEOUT_MS);
}

type Handled = { event: CloudEvent; meta: DeliveryMeta };
function recordingReceiver(secrets: string[], extra: { startAtOne?: boolean } = {}) {
  const handled: Handled[] = [];
  const gaps: SequenceReport[] = [];
  const receive = createReceiver({
    secrets,
    sequences: new SequenceTracker({ startAtOne: extra.startAtOne ?? true }),
    onGap: (report) => void gaps.push(report),
    onEvent: (event, meta) => void handled.push({ event, meta }),
  });
  return { receive, handled, gaps };
}

describe("receiver kit against the real Worker", () => {
  let tenant: string;
  let locationKey: string;
  let structuredPath: string;
  let structured: { id: string; secret: string };
  let binary: { id: string; secret: string };
  let eventIds: string[];
  let fromStructured: Received[];
  let fromBinary: Received[];

  beforeAll(async () => {
    const made = await newTenant();
    tenant = made.tenant;
    locationKey = made.keys["store-1"]!;
    const sub = await newSubscriber(tenant);
    const [a, b] = [freshPath("kit-structured"), freshPath("kit-binary")];
    structuredPath = a;
    // exactly-once = at-least-once + stable webhook-id + per-record order (DESIGN.md "Webhooks"); the kit supplies the dedupe.
    structured = await newRoute(tenant, sub, a, { guarantee: "exactly-once" });
    binary = await newRoute(tenant, sub, b, { contentMode: "binary", ordering: "per-record" });
    const names = ["Zoë", 'Zoë "Ω"', "Zoë 100% €😀", "Zoë Ω"];
    const { status, results } = await push(locationKey, names.map((name, i) => change(RECORD, i === 0 ? "insert" : "update", { name })));
    expect(status, JSON.stringify(results)).toBeLessThan(300);
    eventIds = results.map((r) => r.eventId!);
    expect(results.map((r) => r.sequence)).toEqual([1, 2, 3, 4]);
    [fromStructured, fromBinary] = await Promise.all([deliveries(a, CHANGES), deliveries(b, CHANGES)]);
  }, DELIVERY_TIMEOUT_MS * 2);

  it("verifies every structured delivery, in sequence order, and dedupes a replay", async () => {
    const { receive, handled, gaps } = recordingReceiver([structured.secret]);
    for (const r of fromStructured) expect((await receive(asRequest(r))).status).toBe(204);

    expect(handled.map((h) => h.meta.webhookId)).toEqual(eventIds);
    expect(handled.map((h) => h.event.sequence)).toEqual(["00000000000000000001", "00000000000000000002", "00000000000000000003", "00000000000000000004"]);
    expect(handled.map((h) => h.meta.sequence)).toEqual([1, 2, 3, 4].map((n) => ({ kind: "next", key: `${tenant}/customer/${RECORD}`, expected: n, got: n })));
    expect(gaps).toEqual([]);
    expect(handled.every((h) => h.meta.mode === "structured" && h.event.partitionkey === `customer/${RECORD}` && h.event.tenant === tenant)).toBe(true);
    expect((handled[2]!.event.data as any).after.name).toBe("Zoë 100% €😀");

    // The sender retrying (same webhook-id, same body) is acknowledged without running onEvent.
    const replay = await receive(asRequest(fromStructured[1]!));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ status: "duplicate" });
    expect(handled).toHaveLength(CHANGES);
  });

  it("reports a gap when a delivery is dropped on purpose, and still handles what follows", async () => {
    const { receive, handled, gaps } = recordingReceiver([structured.secret]);
    const [first, second, ...rest] = fromStructured;
    for (const r of [first!, ...rest]) expect((await receive(asRequest(r))).status).toBe(204);
    expect(gaps).toEqual([{ kind: "gap", key: `${tenant}/customer/${RECORD}`, expected: 2, got: 3 }]);
    expect(handled.map((h) => h.meta.sequence!.kind)).toEqual(["next", "gap", "next"]);

    // The missing event arriving late (an admin replays its dead letter) is handled, flagged as old.
    expect((await receive(asRequest(second!))).status).toBe(204);
    expect(handled.at(-1)!.meta.sequence).toMatchObject({ kind: "duplicate-or-old", got: 2 });
  });

  it("parses binary-mode deliveries into the same events (ce-* headers percent-decoded)", async () => {
    const { receive, handled, gaps } = recordingReceiver([binary.secret]);
    for (const r of fromBinary) expect((await receive(asRequest(r))).status).toBe(204);
    expect(gaps).toEqual([]);
    expect(handled.map((h) => h.meta.mode)).toEqual(Array(CHANGES).fill("binary"));

    const viaStructured = recordingReceiver([structured.secret]);
    for (const r of fromStructured) await viaStructured.receive(asRequest(r));
    // Binary mode carries every attribute as its canonical string (HTTP binding §3.1.3.2).
    const asStrings = (e: CloudEvent) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, k === "data" ? v : String(v)]));
    expect(handled.map((h) => asStrings(h.event))).toEqual(viaStructured.handled.map((h) => asStrings(h.event)));
    expect(handled[0]!.event.subject).toBe(`customer/${RECORD}`);
  });

  it("refuses real deliveries with the wrong secret or a tampered body", async () => {
    const { receive: wrongSecret, handled } = recordingReceiver([binary.secret]);
    expect((await wrongSecret(asRequest(fromStructured[0]!))).status).toBe(401);
    const { receive } = recordingReceiver([structured.secret]);
    const tampered = { ...fromStructured[0]!, body: fromStructured[0]!.body.replace("Zoë", "Zoe") };
    const res = await receive(asRequest(tampered));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "bad-signature" });
    expect(handled).toEqual([]);
  });

  it("verifies with either secret during a rotation", async () => {
    const sub = await newSubscriber(tenant, "Rotating");
    const path = freshPath("kit-rotate");
    const route = await newRoute(tenant, sub, path);
    const rotated = await admin("POST", `/tenants/${tenant}/routes/${route.id}/secret/rotate`, {});
    expect(rotated.status).toBe(200);
    await push(locationKey, [change("kit-rot", "insert", { a: 1 })]);
    const [got] = await deliveries(path, 1);
    for (const secrets of [[route.secret], [rotated.json.secret as string], [rotated.json.secret as string, route.secret]]) {
      expect((await recordingReceiver(secrets).receive(asRequest(got!))).status).toBe(204);
    }
  }, DELIVERY_TIMEOUT_MS);

  it("handles a route test send: a signed event with no sequence", async () => {
    const res = await call("POST", `/admin/v1/tenants/${tenant}/routes/${structured.id}/test`, { token: ADMIN_TOKEN });
    expect(res.status).toBe(200);
    const all = await deliveries(structuredPath, CHANGES + 1);
    const test = all.find((r) => JSON.parse(r.body).type === "io.changecast.test")!;
    const { receive, handled } = recordingReceiver([structured.secret]);
    expect((await receive(asRequest(test))).status).toBe(204);
    expect(handled[0]!.meta.sequence).toBeNull();
  }, DELIVERY_TIMEOUT_MS);
});
