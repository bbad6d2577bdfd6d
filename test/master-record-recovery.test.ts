/**
 * The master record commits a batch without writing its meta row: the state rides on the audit
 * rows, and meta follows after shipping. These tests take the object down between the two (a
 * stale meta row, as after a failed or interrupted shipping) and check that nothing goes back.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MasterRecordStorage, type Meta } from "../durable-objects/master-record-storage";
import { masterRecordStub } from "../durable-objects/record-address";
import { admin, change, newTenant, push } from "./helpers";

const DEDUPE_WINDOW_MS = Number(env.DEDUPE_WINDOW_MS);

function stubOf(tenant: string, recordId: string) {
  return masterRecordStub(env.MASTER_RECORD, { tenant, region: "us", recordType: "customer", recordId }, "emulate");
}

/** Puts meta back to what it held after `sequence`, as a failed or interrupted shipping leaves it. */
async function rewindMeta(stub: DurableObjectStub, sequence: number, shipped: number): Promise<void> {
  await runInDurableObject(stub, (_instance, state) => {
    const row = state.storage.sql.exec<{ state: string }>("SELECT state FROM meta WHERE k = 1").one();
    const stale = { ...JSON.parse(row.state), sequence, lamport: sequence, snapshot: null, headHash: "stale" };
    state.storage.sql.exec("UPDATE meta SET state = ?, audit_shipped = ?, deliveries_shipped = ? WHERE k = 1", JSON.stringify(stale), shipped, shipped);
  });
}

/** What a fresh instance of the object would load (the object's own constructor runs the same code). */
async function loadedMeta(stub: DurableObjectStub): Promise<Meta> {
  return runInDurableObject(stub, (_instance, state) => new MasterRecordStorage(state.storage.sql).loadMeta());
}

describe("master record recovery from its audit rows", () => {
  it("takes the state from the newest audit row when meta is behind, and keeps meta's cursors", async () => {
    const { tenant, keys } = await newTenant();
    const key = keys["store-1"]!;
    await push(key, [change("r1", "insert", { name: "Ada" }), change("r1", "update", { tier: "gold" }), change("r1", "update", { city: "Oslo" })]);
    const stub = stubOf(tenant, "r1");
    const trail = (await admin("GET", `/tenants/${tenant}/records/customer/r1/audit`)).json.items;
    const live = await loadedMeta(stub);
    await rewindMeta(stub, 1, 1);

    const loaded = await loadedMeta(stub);
    expect(loaded.state.sequence).toBe(3);
    expect(loaded.state.headHash).toBe(trail[2].hash);
    expect(loaded.state.snapshot).toEqual({ name: "Ada", tier: "gold", city: "Oslo" });
    expect(loaded.state).toEqual(live.state);
    // The cursors stay where meta had them: entries 2 and 3 are shipped again (at least once).
    expect([loaded.auditShipped, loaded.deliveriesShipped]).toEqual([1, 1]);
    expect(loaded.identity).toEqual(live.identity);
  });

  it("keeps meta when it is as new as the audit rows", async () => {
    const { tenant, keys } = await newTenant();
    await push(keys["store-1"]!, [change("r2", "insert", { name: "Bo" })]);
    const stub = stubOf(tenant, "r2");
    const live = await loadedMeta(stub);
    await runInDurableObject(stub, (_i, state) => void state.storage.sql.exec("UPDATE meta SET state = json_set(state, '$.status', 'marker') WHERE k = 1"));
    const loaded = await loadedMeta(stub);
    expect(loaded.state).toEqual({ ...live.state, status: "marker" });
  });

  it("arms one alarm, at the dedupe expiry, rather than one per batch", async () => {
    const { tenant, keys } = await newTenant();
    const key = keys["store-1"]!;
    const before = Date.now();
    await push(key, [change("r3", "insert", { n: 1 })]);
    const stub = stubOf(tenant, "r3");
    const armed = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(armed).toBeGreaterThanOrEqual(before + DEDUPE_WINDOW_MS);
    await push(key, [change("r3", "update", { n: 2 })]);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBe(armed);
  });
});
