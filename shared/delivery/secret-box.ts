/**
 * Signing secrets at rest: AES-256-GCM under one deployment key, stored as `v1.<iv>.<ciphertext>`
 * (base64), plus the making of new `whsec_` secrets. The caller supplies every random byte. Pure.
 */
import { Buffer } from "node:buffer";
import { SECRET_PREFIX } from "./signing";

/** Version of the sealed format (STYLE.md: every stored format carries one). */
export const SEALED_VERSION = "v1";
export const KEY_BYTES = 32;
/** NIST SP 800-38D §8.2: 96-bit IVs; a random one must never repeat under the same key. */
export const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Standard Webhooks "Signature scheme": symmetric secrets are random, 24 to 64 bytes (192–512 bits). */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

// Strict RFC 4648 §4 base64: Buffer alone skips stray characters, which would hide a mangled key.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// Bound into every ciphertext as GCM additional data, so a v1 box can never be opened as a
// later version's (or anything else encrypted under the same key).
const AAD = new TextEncoder().encode("changecast/secret-box/v1");

/** Imports the deployment's secrets key (base64 of 32 bytes); the error never echoes the value. */
export async function importSecretsKey(base64Key: string): Promise<CryptoKey> {
  const trimmed = base64Key.trim();
  const bytes = BASE64.test(trimmed) ? Buffer.from(trimmed, "base64") : undefined;
  if (!bytes || bytes.length !== KEY_BYTES) {
    throw new Error(
      `secrets key must be base64 of exactly ${KEY_BYTES} random bytes (${bytes ? `got ${bytes.length} bytes` : "not base64"}); make one with: openssl rand -base64 32`,
    );
  }
  // Not extractable: the raw key stays inside WebCrypto once imported.
  return crypto.subtle.importKey("raw", new Uint8Array(bytes), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

/** Encrypts `plaintext` with a caller-supplied 12-byte iv (fresh random bytes for every seal). */
export async function sealSecret(key: CryptoKey, plaintext: string, iv: Uint8Array): Promise<string> {
  if (iv.length !== IV_BYTES) throw new RangeError(`iv must be ${IV_BYTES} bytes, got ${iv.length}`);
  const ivCopy = new Uint8Array(iv);
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv: ivCopy, additionalData: AAD }, key, new TextEncoder().encode(plaintext));
  return `${SEALED_VERSION}.${b64(ivCopy)}.${b64(new Uint8Array(ciphertext))}`;
}

/** Decrypts a sealed secret; throws if it is malformed, sealed under another key, or altered. */
export async function openSecret(key: CryptoKey, sealed: string): Promise<string> {
  const parts = sealed.split(".");
  if (parts.length !== 3 || parts[0] !== SEALED_VERSION) throw new Error(`sealed secret is not in the ${SEALED_VERSION}.<iv>.<ciphertext> format`);
  const iv = unb64(parts[1]!);
  const ciphertext = unb64(parts[2]!);
  if (!iv || iv.length !== IV_BYTES || !ciphertext || ciphertext.length < TAG_BYTES) throw new Error("sealed secret is malformed");
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: AAD }, key, ciphertext);
  } catch {
    // GCM cannot tell a wrong key from tampering, and neither can we.
    throw new Error("sealed secret failed to open: wrong key or altered ciphertext");
  }
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(plaintext);
}

/** A new Standard Webhooks secret, `whsec_` + base64 of `random` (24–64 bytes from a CSPRNG). */
export function newSigningSecret(random: Uint8Array): string {
  if (random.length < MIN_SECRET_BYTES || random.length > MAX_SECRET_BYTES) {
    throw new RangeError(`a signing secret needs ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes, got ${random.length}`);
  }
  return `${SECRET_PREFIX}${b64(random)}`;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function unb64(text: string): Uint8Array | undefined {
  return text !== "" && BASE64.test(text) ? new Uint8Array(Buffer.from(text, "base64")) : undefined;
}
