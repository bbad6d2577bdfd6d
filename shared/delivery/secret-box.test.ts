/**
 * shared/delivery/secret-box.ts: signing secrets sealed with AES-256-GCM as `v1.<iv>.<ciphertext>`,
 * refusing wrong keys and any alteration; new secrets per Standard Webhooks ("whsec_", 24–64 bytes).
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { importSecretsKey, newSigningSecret, openSecret, sealSecret } from "./secret-box";
import { signWebhook } from "./signing";

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));

const KEY_A = b64(Uint8Array.from({ length: 32 }, (_, i) => i));
const KEY_B = b64(Uint8Array.from({ length: 32 }, (_, i) => 255 - i));
const IV = Uint8Array.from({ length: 12 }, (_, i) => i + 100);

describe("importSecretsKey", () => {
  it.each([
    { why: "base64 of 32 bytes", value: KEY_A },
    { why: "with a trailing newline (as `openssl rand -base64 32` prints it)", value: `${KEY_A}\n` },
  ])("accepts $why", async ({ value }) => {
    const key = await importSecretsKey(value);
    expect(key.algorithm).toMatchObject({ name: "AES-GCM" });
    // Not extractable: the raw key cannot be read back out of the isolate's CryptoKey.
    expect(key.extractable).toBe(false);
  });

  it.each([
    { why: "16 bytes (AES-128 is not the contract)", value: b64(bytes(16, 1)), message: /got 16 bytes/ },
    { why: "33 bytes", value: b64(bytes(33, 1)), message: /got 33 bytes/ },
    { why: "empty", value: "", message: /got 0 bytes/ },
    { why: "not base64", value: "this is not base64 at all, is it?!", message: /not base64/ },
    { why: "hex instead of base64", value: "00".repeat(32), message: /got 48 bytes/ },
    { why: "base64url alphabet", value: KEY_A.replace(/\+/g, "-").replace(/\//g, "_").replace("A", "-"), message: /not base64/ },
  ])("refuses $why", async ({ value, message }) => {
    await expect(importSecretsKey(value)).rejects.toThrow(message);
    await expect(importSecretsKey(value)).rejects.toThrow(/exactly 32 random bytes/);
  });
});

describe("sealSecret / openSecret", () => {
  it.each([
    { why: "a whsec_ secret", plaintext: newSigningSecret(bytes(32, 7)) },
    { why: "the empty string", plaintext: "" },
    { why: "non-ASCII text", plaintext: "sécret ✓ 😀" },
    { why: "a long value", plaintext: "x".repeat(10_000) },
  ])("round-trips $why", async ({ plaintext }) => {
    const key = await importSecretsKey(KEY_A);
    const sealed = await sealSecret(key, plaintext, IV);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9+/]{16}\.[A-Za-z0-9+/]+={0,2}$/);
    expect(sealed).not.toContain(plaintext || "\u0000");
    expect(await openSecret(key, sealed)).toBe(plaintext);
  });

  it("is deterministic for a given iv (the caller owns randomness) and differs per iv", async () => {
    const key = await importSecretsKey(KEY_A);
    const a = await sealSecret(key, "whsec_x", IV);
    expect(await sealSecret(key, "whsec_x", IV)).toBe(a);
    expect(await sealSecret(key, "whsec_x", bytes(12, 0))).not.toBe(a);
  });

  it.each([
    { why: "11-byte iv", iv: bytes(11, 1) },
    { why: "16-byte iv", iv: bytes(16, 1) },
    { why: "empty iv", iv: new Uint8Array(0) },
  ])("sealSecret refuses a $why", async ({ iv }) => {
    const key = await importSecretsKey(KEY_A);
    await expect(sealSecret(key, "s", iv)).rejects.toThrow(/iv must be 12 bytes/);
  });

  /** Flips one base64 character of the given part, keeping the text valid base64. */
  const flip = (sealed: string, part: 1 | 2): string => {
    const parts = sealed.split(".");
    const p = parts[part]!;
    parts[part] = (p[0] === "A" ? "B" : "A") + p.slice(1);
    return parts.join(".");
  };

  it.each([
    { why: "wrong key", alter: (s: string) => s, keyForOpen: KEY_B, message: /wrong key or altered/ },
    { why: "altered ciphertext", alter: (s: string) => flip(s, 2), keyForOpen: KEY_A, message: /wrong key or altered/ },
    { why: "altered iv", alter: (s: string) => flip(s, 1), keyForOpen: KEY_A, message: /wrong key or altered/ },
    { why: "truncated ciphertext (tag cut)", alter: (s: string) => s.slice(0, -8), keyForOpen: KEY_A, message: /malformed|wrong key or altered/ },
    { why: "another version tag", alter: (s: string) => s.replace(/^v1\./, "v2."), keyForOpen: KEY_A, message: /v1\.<iv>\.<ciphertext> format/ },
    { why: "missing part", alter: (s: string) => s.split(".").slice(0, 2).join("."), keyForOpen: KEY_A, message: /format/ },
    { why: "extra part", alter: (s: string) => `${s}.AAAA`, keyForOpen: KEY_A, message: /format/ },
    { why: "not base64", alter: (s: string) => s.replace(/\.[^.]+$/, ".!!!!"), keyForOpen: KEY_A, message: /malformed/ },
    { why: "ciphertext shorter than a GCM tag", alter: () => `v1.${b64(IV)}.${b64(bytes(15, 0))}`, keyForOpen: KEY_A, message: /malformed/ },
    { why: "iv of the wrong length", alter: (s: string) => s.replace(/^v1\.[^.]+\./, `v1.${b64(bytes(16, 0))}.`), keyForOpen: KEY_A, message: /malformed/ },
    { why: "plain text", alter: () => "whsec_plain", keyForOpen: KEY_A, message: /format/ },
  ])("openSecret refuses: $why", async ({ alter, keyForOpen, message }) => {
    const sealed = await sealSecret(await importSecretsKey(KEY_A), newSigningSecret(bytes(32, 9)), IV);
    await expect(openSecret(await importSecretsKey(keyForOpen), alter(sealed))).rejects.toThrow(message);
  });
});

describe("newSigningSecret (Standard Webhooks \"Signature scheme\": random, 24 to 64 bytes, whsec_ + base64)", () => {
  it.each([
    { n: 24, expected: `whsec_${b64(bytes(24, 0xab))}` },
    { n: 32, expected: `whsec_${b64(bytes(32, 0xab))}` },
    { n: 64, expected: `whsec_${b64(bytes(64, 0xab))}` },
  ])("$n bytes", async ({ n, expected }) => {
    const secret = newSigningSecret(bytes(n, 0xab));
    expect(secret).toBe(expected);
    // The reference library reads it back as the same key, so receivers and we sign alike.
    const ts = 1_772_366_400;
    expect(await signWebhook([secret], "msg_1", ts, "{}")).toBe(new Webhook(secret).sign("msg_1", new Date(ts * 1000), "{}"));
  });

  it.each([0, 16, 23, 65])("refuses %i bytes", (n) => {
    expect(() => newSigningSecret(bytes(n, 1))).toThrow(RangeError);
  });
});
