/**
 * /compatibility: would this schema be accepted? Against one version (`…/versions/{v|latest}`)
 * or, without a version, against all live versions, under the subject's effective level.
 */
import { Hono, type Context } from "hono";
import { checkAgainst } from "../../shared/registry/registry-rules";
import { registryJson, subjectNotFound, versionNotFound } from "./errors";
import { subjectState } from "./repository";
import { flag, readSchemaBody, versionParam, type RegistryScoped } from "./request";

export const compatibility = new Hono<RegistryScoped>();

async function check(c: Context<RegistryScoped>, version: number | "latest" | null): Promise<Response> {
  const subject = c.req.param("subject") ?? "";
  const candidate = await readSchemaBody(c);
  const { versions, mode } = await subjectState(c.env.DB, c.get("tenant").id, subject);
  const live = versions.filter((v) => !v.deleted);
  let against = live;
  if (version !== null) {
    if (live.length === 0) throw subjectNotFound(subject);
    const one = version === "latest" ? live.at(-1) : live.find((v) => v.version === version);
    if (!one) throw versionNotFound(subject, version);
    against = [one];
  }
  const outcome = checkAgainst(candidate, against, mode);
  return registryJson(c, flag(c, "verbose") ? { is_compatible: outcome.compatible, messages: outcome.messages } : { is_compatible: outcome.compatible });
}

compatibility.post("/subjects/:subject/versions/:version", (c) => check(c, versionParam(c.req.param("version"))));
compatibility.post("/subjects/:subject/versions", (c) => check(c, null));
