/**
 * Fan-out configuration from the Worker's env (the key that seals route secrets; whether
 * loopback targets are allowed; the webhook origin) and the making of route secrets. Shared by
 * the admin API and the delivery consumer.
 */
import { importSecretsKey, newSigningSecret, sealSecret } from "../../shared/delivery/secret-box";
import { newId, type SealedSecret } from "./repository";

// One import per isolate and key value: the key is parsed once, not per request. A bad
// SECRETS_KEY rejects here, and every request needing it fails with a logged 500 (fail fast).
const keys = new Map<string, Promise<CryptoKey>>();

export function secretsKey(env: { SECRETS_KEY: string }): Promise<CryptoKey> {
  let key = keys.get(env.SECRETS_KEY);
  if (!key) {
    key = importSecretsKey(env.SECRETS_KEY);
    keys.set(env.SECRETS_KEY, key);
  }
  return key;
}

/** Loopback and private targets are SSRF vectors in production; only local dev and tests open loopback. */
export function allowLoopbackTargets(env: { ALLOW_LOOPBACK_TARGETS?: string }): boolean {
  return env.ALLOW_LOOPBACK_TARGETS === "1";
}

/**
 * The name changecast gives receivers in `WebHook-Request-Origin` (CloudEvents webhooks §4.1.2:
 * one name for every sender instance of the system, e.g. "changecast.dev"). A missing or empty
 * value throws: a handshake without an origin could only be refused, so fail loudly instead.
 */
export function webhookOrigin(env: { WEBHOOK_ORIGIN?: string }): string {
  const origin = env.WEBHOOK_ORIGIN?.trim();
  if (!origin) throw new Error("WEBHOOK_ORIGIN is not set: name this deployment's webhook origin in wrangler.toml [vars]");
  return origin;
}

/**
 * A fresh `whsec_…` secret (32 random bytes) and its AES-GCM ciphertext under a fresh 96-bit
 * IV, the only form stored: a leaked database copy cannot sign for anyone.
 */
export async function newRouteSecret(env: { SECRETS_KEY: string }, createdAt: string): Promise<{ secret: string; sealed: SealedSecret }> {
  const secret = newSigningSecret(crypto.getRandomValues(new Uint8Array(32)));
  const ciphertext = await sealSecret(await secretsKey(env), secret, crypto.getRandomValues(new Uint8Array(12)));
  return { secret, sealed: { id: newId("sec"), ciphertext, createdAt } };
}
