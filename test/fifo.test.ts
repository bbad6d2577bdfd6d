import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { masterRecordStub } from "../durable-objects/record-address";
import { admin, change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, received, receivedAtLeast, script, waitFor, type Received } from "./fanout-helpers";

/** A fixed pseudo-random answer list: ~30 % 500s, reproducible run to run (LCG). */
function flakyAnswers(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31 < 0.3 ? 500 : 200;
  });
}

const sequenceOf = (r: Received) => Number(JSON.parse(r.body).sequence);

/** What a receiver that dedupes by webhook-id (as the receiver kit does) keeps, in arrival order. */
function dedupedSequences(got: Received[]): number[] {
  const seen = new Set<string>();
  return got.filter((r) => r.headers["content-type"] && !seen.has(r.headers["webhook-id"]!) && seen.add(r.headers["webhook-id"]!)).map(sequenceOf);
}

describe("per-record FIFO per route", () => {
  it("delivers 50 updates of one record in exact sequence order through a receiver failing ~30 % of the time; a non-FIFO route loses nothing", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const [fifoPath, plainPath] = [freshPath("fifo"), freshPath("plain")];
    await script(fifoPath, flakyAnswers(200, 7));
    await script(plainPath, flakyAnswers(200, 11));
    const retrySchedule = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    await newRoute(tenant, sub, fifoPath, { ordering: "per-record", retrySchedule });
    await newRoute(tenant, sub, plainPath, { retrySchedule });

    for (let i = 0; i < 5; i++) {
      const { results } = await push(keys["store-1"]!, Array.from({ length: 10 }, (_, j) => change("hot", "update", { n: i * 10 + j })));
      expect(results.every((r) => r.status === "accepted")).toBe(true);
    }
    const expected = Array.from({ length: 50 }, (_, i) => i + 1);

    const fifo = await waitFor("50 FIFO deliveries", async () => {
      const got = (await received(fifoPath)).filter((r) => r.method === "POST");
      return dedupedSequences(got).length >= 50 ? got : null;
    }, 170_000);
    expect(dedupedSequences(fifo)).toEqual(expected);
    // Strict order on the wire too: no event is attempted before its predecessor was delivered.
    const firstAttempt = new Map<number, number>();
    fifo.forEach((r, i) => firstAttempt.has(sequenceOf(r)) || firstAttempt.set(sequenceOf(r), i));
    for (let s = 2; s <= 50; s++) expect(firstAttempt.get(s)!).toBeGreaterThan(firstAttempt.get(s - 1)!);

    const plain = await waitFor("50 non-FIFO deliveries", async () => {
      const got = (await received(plainPath)).filter((r) => r.method === "POST");
      return new Set(dedupedSequences(got)).size >= 50 ? got : null;
    }, 60_000);
    expect([...new Set(dedupedSequences(plain))].sort((a, b) => a - b)).toEqual(expected);
  }, 240_000);

  it("a dead letter blocks only that record's stream on that route; skip releases it", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("blocked");
    await script(path, [500, 500]);
    const route = await newRoute(tenant, sub, path, { ordering: "per-record", retrySchedule: [1] });

    await push(keys["store-1"]!, [change("rec-a", "insert", { v: 1 })]);
    const [dl] = await waitFor("dead letter", async () => {
      const items = (await admin("GET", `/tenants/${tenant}/dead-letters?routeId=${route.id}`)).json.items;
      return items.length ? items : null;
    });
    expect(dl).toMatchObject({ severity: "P0", reason: expect.stringMatching(/^ordering blocked/) });
    expect((await admin("GET", `/tenants/${tenant}/dead-letters?severity=P0`)).json.items).toHaveLength(1);

    await push(keys["store-1"]!, [change("rec-a", "update", { v: 2 }), change("rec-b", "insert", { v: 1 }), change("rec-b", "update", { v: 2 })]);
    const flowing = await waitFor("record b's events", async () => {
      const got = (await received(path)).filter((r) => JSON.parse(r.body).subject === "customer/rec-b");
      return got.length >= 2 ? got : null;
    });
    expect(flowing.map(sequenceOf)).toEqual([1, 2]);
    await new Promise((r) => setTimeout(r, 1500));
    const aSoFar = (await received(path)).filter((r) => JSON.parse(r.body).subject === "customer/rec-a");
    expect(aSoFar.map(sequenceOf)).toEqual([1, 1]); // the two failed attempts of event 1, nothing after

    await admin("POST", `/tenants/${tenant}/dead-letters/${dl.id}/skip`);
    const released = await waitFor("record a's second event", async () => {
      const got = (await received(path)).filter((r) => JSON.parse(r.body).subject === "customer/rec-a");
      return got.length >= 3 ? got : null;
    });
    expect(released.map(sequenceOf)).toEqual([1, 1, 2]);
  }, 60_000);

  it("replay of the blocking dead letter delivers it and then the rest, in order", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("replayed");
    await script(path, [500, 500]);
    const route = await newRoute(tenant, sub, path, { guarantee: "exactly-once", retrySchedule: [1] });
    await push(keys["store-1"]!, [change("rec-r", "insert", { v: 1 })]);
    const [dl] = await waitFor("dead letter", async () => {
      const items = (await admin("GET", `/tenants/${tenant}/dead-letters?routeId=${route.id}`)).json.items;
      return items.length ? items : null;
    });
    await push(keys["store-1"]!, [change("rec-r", "update", { v: 2 }), change("rec-r", "update", { v: 3 })]);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await received(path)).map(sequenceOf)).toEqual([1, 1]);

    await admin("POST", `/tenants/${tenant}/dead-letters/${dl.id}/replay`);
    const got = await receivedAtLeast(path, 5, 30_000);
    expect(got.map(sequenceOf)).toEqual([1, 1, 1, 2, 3]);
  }, 60_000);
});

describe("FIFO operator remedy", () => {
  it("shows a record's cursors and re-sends an in-flight event whose message was lost", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("lost");
    const route = await newRoute(tenant, sub, path, { ordering: "per-record" });
    await push(keys["store-1"]!, [change("lost-1", "insert", { v: 1 })]);
    const [first] = await receivedAtLeast(path, 1);
    await waitFor("cursor idle", async () => ((await admin("GET", `/tenants/${tenant}/records/customer/lost-1/fifo`)).json.routes[route.id]?.inFlight === null ? true : null));
    expect((await admin("POST", `/tenants/${tenant}/records/customer/lost-1/fifo/${route.id}/resend`)).status).toBe(409);

    // Simulate a lost message: the cursor says event 1 is out, but no queue message carries it.
    const stub = masterRecordStub(env.MASTER_RECORD, { tenant, region: "us", recordType: "customer", recordId: "lost-1" }, "emulate");
    await runInDurableObject(stub, (_i, state) => {
      const row = state.storage.sql.exec<{ state: string }>("SELECT state FROM meta WHERE k = 1").one();
      const s = JSON.parse(row.state);
      s.fifo[route.id] = { inFlight: 1, blocked: false };
      state.storage.sql.exec("UPDATE meta SET state = ? WHERE k = 1", JSON.stringify(s));
    });
    await evictDurableObject(stub);
    expect((await admin("GET", `/tenants/${tenant}/records/customer/lost-1/fifo`)).json.routes[route.id]).toEqual({ inFlight: 1, blocked: false });

    const resend = await admin("POST", `/tenants/${tenant}/records/customer/lost-1/fifo/${route.id}/resend`);
    expect(resend).toMatchObject({ status: 202, json: { resent: 1 } });
    const got = await receivedAtLeast(path, 2);
    expect(got[1]!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    await waitFor("cursor settled", async () => ((await admin("GET", `/tenants/${tenant}/records/customer/lost-1/fifo`)).json.routes[route.id]?.inFlight === null ? true : null));
  }, 60_000);
});
