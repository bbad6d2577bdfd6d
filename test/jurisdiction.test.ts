import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { emulatedEuName, masterRecordStub, recordObjectName } from "../durable-objects/record-address";
import { admin, change, newTenant, push } from "./helpers";

const rowsIn = (stub: DurableObjectStub) => runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM audit_log").one().n);

describe("data residency", () => {
  it("keeps an EU tenant's master records apart from other regions' (emulated locally)", async () => {
    const { tenant, keys } = await newTenant("eu");
    const { results } = await push(keys["store-1"]!, [change("eu-rec", "insert", { name: "Émile" })]);
    expect(results[0]!.status).toBe("accepted");

    const address = { tenant, recordType: "customer", recordId: "eu-rec" };
    const ns = env.MASTER_RECORD;
    expect(await rowsIn(ns.get(ns.idFromName(emulatedEuName(address))))).toBe(1);
    expect(await rowsIn(ns.get(ns.idFromName(recordObjectName(address))))).toBe(0);
    expect((await admin("GET", `/tenants/${tenant}/records/customer/eu-rec/audit`)).json.items).toHaveLength(1);
  });

  it("in production mode asks the namespace for the eu jurisdiction (workerd cannot, so it refuses rather than fall back)", () => {
    const address = { tenant: "t", region: "eu" as const, recordType: "customer", recordId: "r" };
    expect(() => masterRecordStub(env.MASTER_RECORD, address, "enforce")).toThrow(/Jurisdiction restrictions are not implemented/);
  });
});
