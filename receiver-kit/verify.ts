/** Standard Webhooks signature check: did a holder of one of our secrets send exactly this body, recently? Web Crypto only. */
import { headerValue, type HeadersLike } from "./headers";

export type VerifyOptions = {
  /** `whsec_<base64>` secrets; more than one while a rotation overlaps (old and new both verify). */
  secrets: readonly string[];
  headers: HeadersLike;
  /** The raw body exactly as received: a re-serialized JSON body would not verify. */
  body: string | Uint8Array;
  /** Unix seconds; defaults to the clock. Injected by tests. */
  nowSeconds?: number;
  /** How far `webhook-timestamp` may be from now, either way; 300 s as the spec recommends. */
  toleranceSeconds?: number;
};

export type VerifyFailure = "missing-headers" | "bad-timestamp" | "stale-timestamp" | "bad-signature";
export type VerifyResult = { ok: true; id: string; timestamp: number } | { ok: false; reason: VerifyFailure };

export const DEFAULT_TOLERANCE_SECONDS = 300;
export const SECRET_PREFIX = "whsec_";

const encoder = new TextEncoder();
// RFC 4648 §4 base64 with padding. atob alone ignores whitespace and would accept a typo'd secret.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// Whole unix seconds; 15 digits is far beyond any real clock and keeps Number exact.
const TIMESTAMP = /^\d{1,15}$/;

/**
 * Verifies a webhook per the Standard Webhooks spec ("Verifying webhooks"): the signed content is
 * `{webhook-id}.{webhook-timestamp}.{body}`, HMAC-SHA256 with the base64-decoded secret, sent as
 * `v1,<base64>`; the header may carry several space-separated signatures (key rotation, or a
 * future scheme next to v1), and one match with any secret is enough.
 *
 * Throws only for a malformed secret: that is a configuration error, never the request's fault.
 */
export async function verifyWebhook(options: VerifyOptions): Promise<VerifyResult> {
  return verifyWithKeys(await importSecrets(options.secrets), options);
}

/** verifyWebhook with the keys imported once (createReceiver): the same checks, in the same order. */
export async function verifyWithKeys(keys: readonly CryptoKey[], options: Omit<VerifyOptions, "secrets">): Promise<VerifyResult> {
  const id = headerValue(options.headers, "webhook-id");
  const timestampText = headerValue(options.headers, "webhook-timestamp");
  const signatureHeader = headerValue(options.headers, "webhook-signature");
  if (!id || !timestampText || !signatureHeader) return { ok: false, reason: "missing-headers" };

  const timestampTrimmed = timestampText.trim();
  if (!TIMESTAMP.test(timestampTrimmed)) return { ok: false, reason: "bad-timestamp" };
  const timestamp = Number(timestampTrimmed);
  // Spec "Verifying webhooks": the timestamp is signed, so bounding it bounds how long a captured
  // request can be replayed; both directions, since a far-future one would stay valid for long.
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!(tolerance >= 0)) throw new RangeError(`toleranceSeconds must be ≥ 0, got ${tolerance}`);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: "stale-timestamp" };

  const candidates = v1Signatures(signatureHeader);
  if (candidates.length === 0) return { ok: false, reason: "bad-signature" };
  const body = typeof options.body === "string" ? encoder.encode(options.body) : options.body;
  const content = concat(encoder.encode(`${id}.${timestampTrimmed}.`), body);
  for (const key of keys) {
    const expected = new Uint8Array(await crypto.subtle.sign("HMAC", key, content));
    for (const candidate of candidates) {
      if (timingSafeEqual(expected, candidate)) return { ok: true, id, timestamp };
    }
  }
  return { ok: false, reason: "bad-signature" };
}

/**
 * Checks every secret's form and answers the HMAC keys. `createReceiver` calls it once at start-up
 * so a mistyped secret fails the deploy, not the first delivery.
 */
export function importSecrets(secrets: readonly string[]): Promise<CryptoKey[]> {
  // Not async on purpose: a malformed secret throws right here, synchronously, at start-up.
  if (secrets.length === 0) throw new TypeError("at least one webhook secret is required");
  const raw = secrets.map(secretBytes);
  return Promise.all(raw.map((bytes) => crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])));
}

/** Spec "Secret serialization": `whsec_` then base64 of the key. The bare base64 form is accepted too, as the reference libraries do. */
export function secretBytes(secret: string) {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const bytes = decodeBase64(encoded);
  // The message names the problem, never the secret.
  if (!bytes || bytes.length === 0) throw new TypeError(`a webhook secret must be "${SECRET_PREFIX}" followed by base64`);
  return bytes;
}

/** The decoded `v1` signatures; other versions (e.g. `v1a`, asymmetric) and garbage are skipped, not errors. */
function v1Signatures(header: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const token of header.split(/\s+/)) {
    // A proxy that merged repeated header fields joined them with ", " (RFC 9110 §5.3).
    const entry = token.endsWith(",") ? token.slice(0, -1) : token;
    if (!entry.startsWith("v1,")) continue;
    const bytes = decodeBase64(entry.slice(3));
    if (bytes) out.push(bytes);
  }
  return out;
}

function decodeBase64(text: string) {
  if (!BASE64.test(text)) return null;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Compares in time independent of where the first difference is, so response timing does not
 * let an attacker discover a valid MAC byte by byte. The length (32) is public, so a length
 * mismatch may return early.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function concat(a: Uint8Array, b: Uint8Array) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
