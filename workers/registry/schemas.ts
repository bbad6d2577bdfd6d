/** /schemas: a schema by its tenant-wide id (what a serializer embeds in each message), and the types on offer. */
import { Hono, type Context } from "hono";
import { SUPPORTED_TYPES } from "../../shared/registry/registry-rules";
import { REGISTRY_CONTENT_TYPE, registryJson, schemaNotFound } from "./errors";
import { getSchemaById, usesOfSchema, type SchemaById } from "./repository";
import { flag, type RegistryScoped } from "./request";

export const schemas = new Hono<RegistryScoped>();

/** Soft-deleting the versions using an id never hides it: consumers still decode old messages. */
async function schemaOf(c: Context<RegistryScoped>): Promise<SchemaById> {
  const text = c.req.param("id") ?? "";
  const id = /^[1-9]\d{0,15}$/.test(text) ? Number(text) : null;
  const found = id === null ? null : await getSchemaById(c.env.DB, c.get("tenant").id, id);
  if (!found) throw schemaNotFound(`Schema ${text} not found`);
  return found;
}

schemas.get("/types", (c) => registryJson(c, SUPPORTED_TYPES));

schemas.get("/ids/:id", async (c) => {
  const s = await schemaOf(c);
  return registryJson(c, { schema: s.schema, ...(s.schemaType === "AVRO" ? {} : { schemaType: s.schemaType }) });
});

schemas.get("/ids/:id/schema", async (c) => c.body((await schemaOf(c)).schema, 200, { "content-type": REGISTRY_CONTENT_TYPE }));

schemas.get("/ids/:id/versions", async (c) => {
  const s = await schemaOf(c);
  return registryJson(c, await usesOfSchema(c.env.DB, c.get("tenant").id, s.id, flag(c, "deleted")));
});

schemas.get("/ids/:id/subjects", async (c) => {
  const s = await schemaOf(c);
  const uses = await usesOfSchema(c.env.DB, c.get("tenant").id, s.id, flag(c, "deleted"));
  return registryJson(c, [...new Set(uses.map((u) => u.subject))]);
});
