/**
 * `Idempotency-Key` for POSTs (the IETF httpapi idempotency-key draft; Stripe's semantics):
 * within 24 h, the same key on the same method and path with the same body answers the first
 * 2xx again (`idempotent-replayed: true`); with another body it is a 422. Only 2xx answers are
 * kept, so a refused request can be fixed and retried under the same key. Stored answers are
 * sealed (AES-GCM): some carry a secret shown only once (a route's `secret`, a location's `key`),
 * and D1 must never hold one in clear.
 */
import type { ContentfulStatusCode, StatusCode } from "hono/utils/http-status";
import { createMiddleware } from "hono/factory";
import { sha256Hex } from "../../shared/audit/entry";
import { openSecret, sealSecret } from "../../shared/delivery/secret-box";
import { HttpProblem, invalidField } from "./problem";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim whose request never finished (the isolate died) stops blocking its key after this. */
export const IDEMPOTENCY_LEASE_MS = 60 * 1000;
/** `status` of a claimed key whose request is still running. */
const IN_FLIGHT = 0;
const HEADER = "Idempotency-Key";

type KeyRow = { request_hash: string; status: number; response: string };

/** `sealingKey` gives the key that seals stored answers (the deployment's SECRETS_KEY). */
export const idempotency = (sealingKey: (env: Env) => Promise<CryptoKey>) => createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const key = c.req.header(HEADER);
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw invalidField(HEADER, "1 to 255 visible ASCII characters");

  const url = new URL(c.req.url);
  // Hono caches the body text, so the handler's parseBody still reads it after this.
  const hash = sha256Hex(`${c.req.method} ${url.pathname}${url.search}\n${await c.req.text()}`);
  const tenant = /^\/admin\/v1\/tenants\/([^/]+)\//.exec(url.pathname)?.[1] ?? "";
  const scope = `${tenant}:${c.req.method} ${url.pathname}`;
  const db = c.env.DB;
  const now = Date.now();

  // Claim the key first, so two concurrent requests with it cannot both run the handler.
  const claim = await db
    .prepare(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at) VALUES (?1, ?2, ?3, ${IN_FLIGHT}, '', ?4)
       ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash, status = ${IN_FLIGHT}, response = '', created_at = excluded.created_at
       WHERE idempotency_keys.created_at <= ?5 OR (idempotency_keys.status = ${IN_FLIGHT} AND idempotency_keys.created_at <= ?6)`,
    )
    .bind(scope, key, hash, now, now - IDEMPOTENCY_TTL_MS, now - IDEMPOTENCY_LEASE_MS)
    .run();

  if (claim.meta.changes === 0) {
    const row = await db.prepare("SELECT request_hash, status, response FROM idempotency_keys WHERE scope = ? AND key = ?").bind(scope, key).first<KeyRow>();
    if (row && row.request_hash !== hash) {
      throw new HttpProblem(422, "idempotency-key-reused", "Idempotency-Key reused", {
        field: HEADER,
        detail: `${HEADER}: this key was already used with a different request body within 24 h; use a new key`,
      });
    }
    if (row && row.status !== IN_FLIGHT) {
      const body = await openSecret(await sealingKey(c.env), row.response);
      if (body === "") return c.body(null, row.status as StatusCode, { "idempotent-replayed": "true" });
      return c.body(body, row.status as ContentfulStatusCode, { "content-type": "application/json", "idempotent-replayed": "true" });
    }
    // In flight, or it finished without a 2xx between our claim and our read: retry later.
    throw new HttpProblem(409, "idempotency-key-in-use", "Request in progress", { field: HEADER, detail: `${HEADER}: a request with this key is still in progress; retry later` });
  }

  let stored = false;
  try {
    await next();
    if (c.res.status >= 200 && c.res.status < 300) {
      const sealed = await sealSecret(await sealingKey(c.env), await c.res.clone().text(), crypto.getRandomValues(new Uint8Array(12)));
      await db.prepare("UPDATE idempotency_keys SET status = ?, response = ? WHERE scope = ? AND key = ?").bind(c.res.status, sealed, scope, key).run();
      stored = true;
    }
  } finally {
    // Errors are not remembered: release the claim so a corrected retry can use the key.
    if (!stored) await db.prepare("DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status = ?").bind(scope, key, IN_FLIGHT).run();
  }
});
