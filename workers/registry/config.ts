/**
 * /config: compatibility levels. The tenant's global level (BACKWARD unless set) applies to
 * every subject without its own. `/mode` answers READWRITE: this registry has no import mode.
 */
import { Hono, type Context } from "hono";
import { DEFAULT_COMPATIBILITY } from "../../shared/registry/compatibility";
import { parseCompatibilityLevel } from "../../shared/registry/registry-rules";
import { ErrorCode, RegistryError, invalidLevel, registryJson } from "./errors";
import { deleteConfig, getConfig, setConfig } from "./repository";
import { flag, now, readBody, writableSubject, type RegistryScoped } from "./request";

const GLOBAL = "";

export const config = new Hono<RegistryScoped>();

const notConfigured = (subject: string) =>
  new RegistryError(404, ErrorCode.subjectConfigNotFound, `Subject '${subject}' does not have subject-level compatibility configured`);

async function readLevel(c: Context<RegistryScoped>) {
  const body = await readBody(c);
  const level = parseCompatibilityLevel(body.compatibility);
  if (!level) throw invalidLevel(body.compatibility);
  return level;
}

config.get("/config", async (c) => registryJson(c, { compatibilityLevel: (await getConfig(c.env.DB, c.get("tenant").id, GLOBAL)) ?? DEFAULT_COMPATIBILITY }));

config.put("/config", async (c) => {
  const level = await readLevel(c);
  await setConfig(c.env.DB, c.get("tenant").id, GLOBAL, level, now());
  return registryJson(c, { compatibility: level });
});

/** Back to the default; answers the level that was in force. */
config.delete("/config", async (c) => {
  const removed = await deleteConfig(c.env.DB, c.get("tenant").id, GLOBAL);
  return registryJson(c, { compatibilityLevel: removed ?? DEFAULT_COMPATIBILITY });
});

config.get("/config/:subject", async (c) => {
  const db = c.env.DB;
  const tenant = c.get("tenant").id;
  const subject = c.req.param("subject");
  const own = await getConfig(db, tenant, subject);
  if (own) return registryJson(c, { compatibilityLevel: own });
  if (!flag(c, "defaultToGlobal")) throw notConfigured(subject);
  return registryJson(c, { compatibilityLevel: (await getConfig(db, tenant, GLOBAL)) ?? DEFAULT_COMPATIBILITY });
});

/** A level may be set before the subject's first version (Confluent allows it too). */
config.put("/config/:subject", async (c) => {
  const subject = writableSubject(c.req.param("subject"));
  const level = await readLevel(c);
  await setConfig(c.env.DB, c.get("tenant").id, subject, level, now());
  return registryJson(c, { compatibility: level });
});

config.delete("/config/:subject", async (c) => {
  const subject = c.req.param("subject");
  const removed = await deleteConfig(c.env.DB, c.get("tenant").id, subject);
  if (!removed) throw notConfigured(subject);
  return registryJson(c, { compatibilityLevel: removed });
});

config.get("/mode", (c) => registryJson(c, { mode: "READWRITE" }));
config.get("/mode/:subject", (c) => registryJson(c, { mode: "READWRITE" }));
