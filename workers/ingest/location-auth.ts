/**
 * Location keys: the key alone fixes tenant and location, so no body field can name another
 * tenant's record. Only the key's SHA-256 is looked up.
 */
import { createMiddleware } from "hono/factory";
import { hashLocationKey } from "../../shared/tenancy/keys";
import { bearerToken, unauthorized } from "../http/bearer";
import { HttpProblem } from "../http/problem";
import { findKeyOwner, type KeyOwner } from "../tenancy/repository";

export type LocationVars = { caller: KeyOwner };

export const requireLocationKey = createMiddleware<{ Bindings: Env; Variables: LocationVars }>(async (c, next) => {
  const key = bearerToken(c.req.header("authorization"));
  if (!key) throw unauthorized("send the location key as 'Authorization: Bearer <key>'");
  const owner = await findKeyOwner(c.env.DB, hashLocationKey(key));
  if (!owner) throw unauthorized("unknown location key");
  if (owner.revokedAt) throw new HttpProblem(403, "key-revoked", "Location key revoked", { detail: `this key was revoked at ${owner.revokedAt}` });
  c.set("caller", owner);
  await next();
});
