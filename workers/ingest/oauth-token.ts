/**
 * POST /v1/oauth/token: an OAuth 2.0 client-credentials token endpoint (RFC 6749 §4.4) for
 * senders that can only authenticate that way — Debezium Server's HTTP sink among them
 * (`debezium.sink.http.authentication.type=oauth2`), which cannot send a fixed Authorization
 * header. The client id is the location id, the client secret its key; the access token handed
 * back is that same key, so every ingestion endpoint keeps one credential, its revocation takes
 * effect at once, and no new secret exists that could leak. `expires_in` only makes clients ask
 * again now and then (a revoked key is refused here too).
 *
 * Errors follow RFC 6749 §5.2 (`{"error", "error_description"}`), not problem+json: OAuth
 * clients read that shape, as Confluent clients read the registry's.
 */
import { Hono, type Context } from "hono";
import { hashLocationKey } from "../../shared/tenancy/keys";
import { basicCredentials } from "../http/bearer";
import { findKeyOwner } from "../tenancy/repository";

/** Seconds a client may reuse the token before asking again. */
export const TOKEN_LIFETIME_SECONDS = 3600;
const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

type OAuthError = "invalid_request" | "invalid_client" | "unsupported_grant_type";

function oauthError(c: Context, status: 400 | 401, error: OAuthError, description: string): Response {
  // §5.2: a failed client authentication through the Authorization header answers 401 with a challenge.
  const headers: Record<string, string> = status === 401 ? { ...NO_STORE, "www-authenticate": 'Basic realm="changecast", charset="UTF-8"' } : NO_STORE;
  return c.json({ error, error_description: description }, status, headers);
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before the Basic encoding. */
function clientCredentials(header: string | undefined): { id: string; secret: string } | null {
  const basic = basicCredentials(header);
  if (!basic) return null;
  const form = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
  try {
    return { id: form(basic.user), secret: form(basic.password) };
  } catch {
    return null;
  }
}

export const oauthToken = new Hono<{ Bindings: Env }>();

oauthToken.post("/", async (c) => {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    return oauthError(c, 400, "invalid_request", "send the token request as application/x-www-form-urlencoded (RFC 6749 §4.4.2)");
  }
  const form = new URLSearchParams(await c.req.text());
  const grant = form.get("grant_type");
  if (!grant) return oauthError(c, 400, "invalid_request", "grant_type is missing");
  if (grant !== "client_credentials") return oauthError(c, 400, "unsupported_grant_type", `grant_type ${JSON.stringify(grant)} is not supported; use client_credentials`);

  const basic = clientCredentials(c.req.header("authorization"));
  const posted = form.get("client_secret");
  if (basic && posted !== null) return oauthError(c, 400, "invalid_request", "send the client credentials once: in the Authorization header or in the body, not both (RFC 6749 §2.3)");
  const credentials = basic ?? (posted !== null ? { id: form.get("client_id") ?? "", secret: posted } : null);
  if (!credentials) return oauthError(c, 401, "invalid_client", "authenticate with HTTP Basic (client id = location id, client secret = location key) or client_id/client_secret in the body");

  const owner = await findKeyOwner(c.env.DB, hashLocationKey(credentials.secret));
  // One answer for an unknown key and a wrong id: the endpoint must not tell which part was right.
  if (!owner || owner.location !== credentials.id) return oauthError(c, 401, "invalid_client", "unknown client id or secret");
  if (owner.revokedAt) return oauthError(c, 401, "invalid_client", `this location key was revoked at ${owner.revokedAt}`);

  return c.json({ access_token: credentials.secret, token_type: "Bearer", expires_in: TOKEN_LIFETIME_SECONDS }, 200, NO_STORE);
});
