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
  await limitLocation(c.env, owner);
  c.set("caller", owner);
  await next();
});

/** The limiter's window (wrangler.toml `simple.period`): the binding says no more than "over". */
export const INGEST_RATE_PERIOD_SECONDS = 10;

/**
 * One token per request and location (DESIGN.md "Ingestion API": 429 with Retry-After). The
 * binding cannot say when the window reopens, so Retry-After is the whole period: a relay that
 * honours it comes back once the location's count has started over.
 */
async function limitLocation(env: Env, owner: KeyOwner): Promise<void> {
  const { success } = await env.INGEST_LIMITER.limit({ key: JSON.stringify([owner.tenant, owner.location]) });
  if (success) return;
  throw new HttpProblem(429, "rate-limited", "Too many requests", { detail: `location ${owner.location} is over its ingest rate; retry after ${INGEST_RATE_PERIOD_SECONDS} s` }, { "retry-after": String(INGEST_RATE_PERIOD_SECONDS) });
}
