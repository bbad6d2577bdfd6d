import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { masterRecordStub } from "../durable-objects/record-address";
import { admin, change, newTenant, push } from "./helpers";

describe("audit verify", () => {
  it("reports the first bad sequence when an entry was edited in storage", async () => {
    const { tenant, keys } = await newTenant();
    await push(keys["store-1"]!, [1, 2, 3, 4].map((n) => change("tampered", "update", { n })));
    expect((await admin("GET", `/tenants/${tenant}/records/customer/tampered/audit/verify`)).json).toEqual({ valid: true, entries: 4 });

    const stub = masterRecordStub(env.MASTER_RECORD, { tenant, region: "us", recordType: "customer", recordId: "tampered" }, "emulate");
    await runInDurableObject(stub, (_instance, state) => {
      const row = state.storage.sql.exec<{ entry: string }>("SELECT entry FROM audit_log WHERE sequence = 2").one();
      const entry = JSON.parse(row.entry);
      entry.snapshot.n = 999; // someone "corrects" history
      state.storage.sql.exec("UPDATE audit_log SET entry = ? WHERE sequence = 2", JSON.stringify(entry));
    });
    expect((await admin("GET", `/tenants/${tenant}/records/customer/tampered/audit/verify`)).json).toEqual({ valid: false, entries: 4, firstBadSequence: 2 });
  });

  it("reports a deleted entry at the gap", async () => {
    const { tenant, keys } = await newTenant();
    await push(keys["store-1"]!, [1, 2, 3].map((n) => change("gap", "update", { n })));
    const stub = masterRecordStub(env.MASTER_RECORD, { tenant, region: "us", recordType: "customer", recordId: "gap" }, "emulate");
    await runInDurableObject(stub, (_i, state) => void state.storage.sql.exec("DELETE FROM audit_log WHERE sequence = 2"));
    expect((await admin("GET", `/tenants/${tenant}/records/customer/gap/audit/verify`)).json).toEqual({ valid: false, entries: 2, firstBadSequence: 2 });
  });
});

describe("audit verify on a truncated trail", () => {
  it("names the first missing sequence when the newest entries were removed", async () => {
    const { tenant, keys } = await newTenant();
    await push(keys["store-1"]!, [1, 2, 3, 4].map((n) => change("cut", "update", { n })));
    const stub = masterRecordStub(env.MASTER_RECORD, { tenant, region: "us", recordType: "customer", recordId: "cut" }, "emulate");
    await runInDurableObject(stub, (_i, state) => void state.storage.sql.exec("DELETE FROM audit_log WHERE sequence >= 3"));
    expect((await admin("GET", `/tenants/${tenant}/records/customer/cut/audit/verify`)).json).toEqual({ valid: false, entries: 2, firstBadSequence: 3 });
  });
});
