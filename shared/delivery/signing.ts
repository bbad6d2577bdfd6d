/**
 * Standard Webhooks symmetric signatures (spec "Signature scheme"): the `webhook-signature` header
 * value `v1,<base64 HMAC-SHA256 of "{msgId}.{timestamp}.{body}">`, one per secret. WebCrypto, pure.
 */
import { Buffer } from "node:buffer";

export const SECRET_PREFIX = "whsec_";

// RFC 4648 §4 base64 with padding: what `whsec_` secrets are made of. Buffer's decoder alone would
// silently skip stray characters and sign with a different key than the one the receiver holds.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const encoder = new TextEncoder();

/**
 * @param secrets `whsec_<base64>` signing secrets, newest first; during a rotation each signs and the
 *   signatures are space-separated (DESIGN.md "Webhooks"), so a receiver holding either verifies.
 * @param msgId the `webhook-id` (the event id, stable across retries)
 * @param timestampSeconds the `webhook-timestamp`: unix seconds of this attempt, not of the event
 * @param body the exact bytes that will be sent: a re-serialized body would not verify
 */
export async function signWebhook(secrets: readonly string[], msgId: string, timestampSeconds: number, body: string): Promise<string> {
  if (secrets.length === 0) throw new Error("at least one signing secret is required");
  // Spec "Signature scheme": id and timestamp must not contain "." or the signed content becomes
  // ambiguous ("a.b" + "c" vs "a" + "b.c"); ours are UUIDs and integers, so this is a guard.
  if (msgId === "" || msgId.includes(".")) throw new Error(`webhook id must be non-empty and contain no ".", got ${JSON.stringify(msgId)}`);
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError(`webhook timestamp must be whole unix seconds, got ${timestampSeconds}`);
  }
  const content = encoder.encode(`${msgId}.${timestampSeconds}.${body}`);
  const signatures = await Promise.all(
    secrets.map(async (secret) => {
      const key = await crypto.subtle.importKey("raw", secretBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const mac = await crypto.subtle.sign("HMAC", key, content);
      return `v1,${Buffer.from(mac).toString("base64")}`;
    }),
  );
  return signatures.join(" ");
}

/** The HMAC key: the base64-decoded part after `whsec_` (spec "Secret serialization"). */
function secretBytes(secret: string): Uint8Array {
  // The message names the problem, never the secret.
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error(`signing secret must start with "${SECRET_PREFIX}"`);
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (encoded === "" || !BASE64.test(encoded)) throw new Error(`signing secret must be "${SECRET_PREFIX}" followed by base64`);
  return new Uint8Array(Buffer.from(encoded, "base64"));
}
