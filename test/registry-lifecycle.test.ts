// The schema registry over a subject's life: compatibility levels (global and per subject),
// soft and permanent deletes, and concurrent registrations.
import { beforeAll, describe, expect, it } from "vitest";
import { newTenant } from "./helpers";
import { customerSchema, registryOf } from "./registry-helpers";

const props = { id: { type: "string" }, name: { type: "string" } };
const v1 = customerSchema(props);
const v2 = customerSchema({ ...props, email: { type: "string" } });
// Drops the optional "email": FORWARD compatible (v2 readers can read it), not BACKWARD
// (a closed reader without "email" cannot read v2 data that has it).
// (The title only keeps it from being v1 itself, which would answer v1's id.)
const dropEmail = customerSchema(props, ["id"], { title: "customer without email" });

describe("registry: compatibility levels", () => {
  let r: ReturnType<typeof registryOf>;
  beforeAll(async () => {
    r = registryOf((await newTenant()).tenant);
    for (const schema of [v1, v2]) expect((await r("POST", "/subjects/customer/versions", { schema, schemaType: "JSON" })).status).toBe(200);
  });

  it("the global level is BACKWARD until set; a subject without its own level is 40408 unless defaultToGlobal", async () => {
    expect((await r("GET", "/config")).json).toEqual({ compatibilityLevel: "BACKWARD" });
    const none = await r("GET", "/config/customer");
    expect([none.status, none.json.error_code]).toEqual([404, 40408]);
    expect((await r("GET", "/config/customer?defaultToGlobal=true")).json).toEqual({ compatibilityLevel: "BACKWARD" });
  });

  it("a subject's FORWARD level applies to it; the global level stays BACKWARD", async () => {
    expect((await r("POST", "/subjects/customer/versions", { schema: dropEmail, schemaType: "JSON" })).status).toBe(409);
    expect((await r("PUT", "/config/customer", { compatibility: "FORWARD" })).json).toEqual({ compatibility: "FORWARD" });
    expect((await r("GET", "/config/customer")).json).toEqual({ compatibilityLevel: "FORWARD" });
    expect((await r("GET", "/config")).json).toEqual({ compatibilityLevel: "BACKWARD" });
    const check = await r("POST", "/compatibility/subjects/customer/versions/latest?verbose=true", { schema: dropEmail, schemaType: "JSON" });
    expect(check.json).toEqual({ is_compatible: true, messages: [] });
    expect((await r("POST", "/subjects/customer/versions", { schema: dropEmail, schemaType: "JSON" })).status).toBe(200);
    expect((await r("GET", "/subjects/customer/versions")).json).toEqual([1, 2, 3]);
    // Another subject follows the global level: the same step is refused there.
    for (const schema of [v1, v2]) await r("POST", "/subjects/supplier/versions", { schema, schemaType: "JSON" });
    expect((await r("POST", "/subjects/supplier/versions", { schema: dropEmail, schemaType: "JSON" })).json.error_code).toBe(409);
  });

  it("forward messages name the old version as the reader", async () => {
    const back = customerSchema({ ...props, email: { type: "string" } }, ["id", "email"]);
    const check = await r("POST", "/compatibility/subjects/customer/versions/latest?verbose=true", { schema: back, schemaType: "JSON" });
    expect(check.json.is_compatible).toBe(false);
    for (const m of check.json.messages) expect(m).toMatch(/^forward: version 3 cannot read data written with the new schema: /);
  });

  it("PUT /config changes the global level; level names are case-insensitive; 42203 for others", async () => {
    expect((await r("PUT", "/config", { compatibility: "full_transitive" })).json).toEqual({ compatibility: "FULL_TRANSITIVE" });
    expect((await r("GET", "/config/supplier?defaultToGlobal=true")).json).toEqual({ compatibilityLevel: "FULL_TRANSITIVE" });
    for (const body of [{ compatibility: "SIDEWAYS" }, { compatibilityLevel: "FULL" }, {}]) {
      const res = await r("PUT", "/config", body);
      expect([res.status, res.json.error_code]).toEqual([422, 42203]);
    }
    expect((await r("DELETE", "/config")).json).toEqual({ compatibilityLevel: "FULL_TRANSITIVE" });
    expect((await r("GET", "/config")).json).toEqual({ compatibilityLevel: "BACKWARD" });
  });

  it("DELETE /config/{s} removes the subject's level and answers it", async () => {
    expect((await r("DELETE", "/config/customer")).json).toEqual({ compatibilityLevel: "FORWARD" });
    expect((await r("GET", "/config/customer")).json.error_code).toBe(40408);
    expect((await r("DELETE", "/config/customer")).json.error_code).toBe(40408);
  });

  it("NONE accepts anything of the same type", async () => {
    await r("PUT", "/config/customer", { compatibility: "NONE" });
    const anything = JSON.stringify({ type: "object", required: ["whatever"] });
    expect((await r("POST", "/subjects/customer/versions", { schema: anything, schemaType: "JSON" })).status).toBe(200);
  });
});

describe("registry: deletes", () => {
  let r: ReturnType<typeof registryOf>;
  const ids: number[] = [];
  beforeAll(async () => {
    r = registryOf((await newTenant()).tenant);
    for (const schema of [v1, v2]) ids.push((await r("POST", "/subjects/customer/versions", { schema, schemaType: "JSON" })).json.id);
  });

  it("soft-deleting a version hides it from listings and reads; its id still resolves", async () => {
    expect((await r("DELETE", "/subjects/customer/versions/2")).json).toBe(2);
    expect((await r("GET", "/subjects/customer/versions")).json).toEqual([1]);
    expect((await r("GET", "/subjects/customer/versions?deleted=true")).json).toEqual([1, 2]);
    expect((await r("GET", "/subjects/customer/versions/2")).json.error_code).toBe(40402);
    expect((await r("GET", "/subjects/customer/versions/2?deleted=true")).json.id).toBe(ids[1]);
    expect((await r("GET", "/subjects/customer/versions/latest")).json.version).toBe(1);
    expect((await r("GET", `/schemas/ids/${ids[1]}`)).json).toEqual({ schema: v2, schemaType: "JSON" });
    expect((await r("POST", "/subjects/customer", { schema: v2, schemaType: "JSON" })).json.error_code).toBe(40403);
  });

  it("a soft-deleted version leaves the compatibility checks", async () => {
    // Against v2, dropping "email" is not BACKWARD; with v2 deleted the latest is v1, which never had it.
    const res = await r("POST", "/compatibility/subjects/customer/versions", { schema: dropEmail, schemaType: "JSON" });
    expect(res.json).toEqual({ is_compatible: true });
  });

  it("deleting again is 40406; permanent delete needs a soft delete first (40407)", async () => {
    expect((await r("DELETE", "/subjects/customer/versions/2")).json.error_code).toBe(40406);
    expect((await r("DELETE", "/subjects/customer/versions/1?permanent=true")).json.error_code).toBe(40407);
    expect((await r("DELETE", "/subjects/customer/versions/2?permanent=true")).json).toBe(2);
    expect((await r("GET", "/subjects/customer/versions?deleted=true")).json).toEqual([1]);
    expect((await r("GET", `/schemas/ids/${ids[1]}`)).status).toBe(200);
    expect((await r("DELETE", "/subjects/customer/versions/7")).json.error_code).toBe(40402);
  });

  it("re-registering a soft-deleted schema adds a version with the same id; numbers are never reused", async () => {
    await r("POST", "/subjects/customer/versions", { schema: v2, schemaType: "JSON" });
    await r("DELETE", "/subjects/customer/versions/latest");
    const again = await r("POST", "/subjects/customer/versions", { schema: v2, schemaType: "JSON" });
    expect(again.json).toEqual({ id: ids[1] });
    expect((await r("GET", "/subjects/customer/versions")).json).toEqual([1, 3]);
  });

  it("soft-deleting the subject hides it; ids keep resolving; permanent delete after that", async () => {
    expect((await r("DELETE", "/subjects/customer")).json).toEqual([1, 3]);
    expect((await r("GET", "/subjects")).json).toEqual([]);
    expect((await r("GET", "/subjects?deleted=true")).json).toEqual(["customer"]);
    expect((await r("GET", "/subjects/customer/versions")).json.error_code).toBe(40401);
    expect((await r("DELETE", "/subjects/customer")).json.error_code).toBe(40404);
    expect((await r("GET", `/schemas/ids/${ids[0]}`)).json.schema).toBe(v1);
    expect((await r("DELETE", "/subjects/customer?permanent=true")).json).toEqual([1, 2, 3]);
    expect((await r("GET", "/subjects?deleted=true")).json).toEqual([]);
    expect((await r("DELETE", "/subjects/customer")).json.error_code).toBe(40401);
    expect((await r("GET", `/schemas/ids/${ids[0]}`)).status).toBe(200);
  });

  it("a live subject cannot be deleted permanently (40405)", async () => {
    await r("POST", "/subjects/supplier/versions", { schema: v1, schemaType: "JSON" });
    expect((await r("DELETE", "/subjects/supplier?permanent=true")).json.error_code).toBe(40405);
  });
});

describe("registry: concurrent registrations", () => {
  it("different schemas at once each get their own version and id, none lost", async () => {
    const r = registryOf((await newTenant()).tenant);
    await r("PUT", "/config/customer", { compatibility: "NONE" });
    const schemas = Array.from({ length: 6 }, (_, i) => customerSchema({ ...props, [`f${i}`]: { type: "string" } }));
    const answers = await Promise.all(schemas.map((schema) => r("POST", "/subjects/customer/versions", { schema, schemaType: "JSON" })));
    expect(answers.map((a) => a.status)).toEqual(schemas.map(() => 200));
    const ids = answers.map((a) => a.json.id);
    expect(new Set(ids).size).toBe(6);
    expect((await r("GET", "/subjects/customer/versions")).json).toEqual([1, 2, 3, 4, 5, 6]);
    for (const [i, id] of ids.entries()) expect((await r("GET", `/schemas/ids/${id}`)).json.schema).toBe(schemas[i]);
  });

  it("the same schema at once is one version, one id", async () => {
    const r = registryOf((await newTenant()).tenant);
    const answers = await Promise.all(Array.from({ length: 5 }, () => r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "JSON" })));
    expect(new Set(answers.map((a) => JSON.stringify(a.json)))).toEqual(new Set([JSON.stringify({ id: 1 })]));
    expect((await r("GET", "/subjects/customer/versions")).json).toEqual([1]);
  });
});
