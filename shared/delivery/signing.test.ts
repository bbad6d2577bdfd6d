/**
 * Conformance of shared/delivery/signing.ts with the Standard Webhooks spec ("Signature scheme",
 * "Webhook headers"), checked by the reference verifiers: `standardwebhooks` and `svix`.
 */
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import { signWebhook } from "./signing";

// The example from the Standard Webhooks / Svix documentation: a published test vector.
const DOC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET_A = "whsec_" + btoa("changecast test secret A, 32 b!!");
const SECRET_B = "whsec_" + btoa("changecast test secret B: 24+");
const OTHER = "whsec_" + btoa("a secret nobody was given..");

const ID = "01890a5d-ac96-774b-bcce-b302099a8057";
const BODY = JSON.stringify({ specversion: "1.0", id: ID, subject: "customer/C-42", data: { name: "Zoë \"quoted\" 100%" } });

describe("Standard Webhooks \"Signature scheme\": v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>", () => {
  it("reproduces the documentation's test vector", async () => {
    expect(await signWebhook([DOC_SECRET], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')).toBe(
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
  });

  it.each([
    { why: "an event body", secret: SECRET_A, id: ID, ts: 1_772_366_400, body: BODY },
    { why: "an empty body", secret: SECRET_B, id: "msg_1", ts: 1_700_000_000, body: "" },
    { why: "a body with non-ASCII (signed as UTF-8)", secret: DOC_SECRET, id: ID, ts: 1, body: "ünïcødé ✓ 😀" },
    { why: "timestamp 0", secret: SECRET_A, id: ID, ts: 0, body: "{}" },
  ])("matches standardwebhooks' own signer for $why", async ({ secret, id, ts, body }) => {
    expect(await signWebhook([secret], id, ts, body)).toBe(new StandardWebhook(secret).sign(id, new Date(ts * 1000), body));
  });

  it("is one v1 signature per secret, space-separated, in the order given", async () => {
    const both = await signWebhook([SECRET_A, SECRET_B], ID, 1_772_366_400, BODY);
    const [a, b] = both.split(" ");
    expect(both.split(" ")).toHaveLength(2);
    expect(a).toBe(await signWebhook([SECRET_A], ID, 1_772_366_400, BODY));
    expect(b).toBe(await signWebhook([SECRET_B], ID, 1_772_366_400, BODY));
    expect(a).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });
});

describe("reference verifiers accept what changecast sends (receiver's view, now ± 5 min)", () => {
  const verifiers = [
    { lib: "standardwebhooks", verify: (secret: string, body: string, headers: Record<string, string>) => new StandardWebhook(secret).verify(body, headers) },
    { lib: "svix", verify: (secret: string, body: string, headers: Record<string, string>) => new SvixWebhook(secret).verify(body, headers) },
  ];
  const cases = [
    { why: "single secret", sendWith: [SECRET_A], receiverHolds: SECRET_A, valid: true },
    { why: "rotation: receiver still on the old secret", sendWith: [SECRET_B, SECRET_A], receiverHolds: SECRET_A, valid: true },
    { why: "rotation: receiver already on the new secret", sendWith: [SECRET_B, SECRET_A], receiverHolds: SECRET_B, valid: true },
    { why: "receiver holds a secret we did not sign with", sendWith: [SECRET_B, SECRET_A], receiverHolds: OTHER, valid: false },
  ];
  it.each(verifiers.flatMap((v) => cases.map((c) => ({ ...v, ...c }))))("$lib: $why", async ({ verify, sendWith, receiverHolds, valid }) => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = { "webhook-id": ID, "webhook-timestamp": String(ts), "webhook-signature": await signWebhook(sendWith, ID, ts, BODY) };
    if (valid) expect(() => verify(receiverHolds, BODY, headers)).not.toThrow();
    else expect(() => verify(receiverHolds, BODY, headers)).toThrow(/No matching signature/);
  });

  it.each(verifiers)("$lib: a body changed by one byte does not verify", async ({ verify }) => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = { "webhook-id": ID, "webhook-timestamp": String(ts), "webhook-signature": await signWebhook([SECRET_A], ID, ts, BODY) };
    expect(() => verify(SECRET_A, BODY.replace("C-42", "C-43"), headers)).toThrow(/No matching signature/);
  });
});

describe("signWebhook refuses input that would produce an unverifiable or ambiguous signature", () => {
  it.each([
    { why: "no secrets", secrets: [], id: ID, ts: 1, message: /at least one signing secret/ },
    { why: "secret without the whsec_ prefix", secrets: ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], id: ID, ts: 1, message: /must start with "whsec_"/ },
    { why: "secret that is not base64", secrets: ["whsec_not base64!"], id: ID, ts: 1, message: /followed by base64/ },
    { why: "empty secret after the prefix", secrets: ["whsec_"], id: ID, ts: 1, message: /followed by base64/ },
    { why: "one bad secret among good ones", secrets: [SECRET_A, "whsec_%%%%"], id: ID, ts: 1, message: /followed by base64/ },
    { why: "id containing \".\" (spec: ids must not)", secrets: [SECRET_A], id: "msg.1", ts: 1, message: /contain no "\."/ },
    { why: "empty id", secrets: [SECRET_A], id: "", ts: 1, message: /non-empty/ },
    { why: "fractional timestamp", secrets: [SECRET_A], id: ID, ts: 1.5, message: /whole unix seconds/ },
    { why: "negative timestamp", secrets: [SECRET_A], id: ID, ts: -1, message: /whole unix seconds/ },
    { why: "NaN timestamp", secrets: [SECRET_A], id: ID, ts: Number.NaN, message: /whole unix seconds/ },
  ])("$why", async ({ secrets, id, ts, message }) => {
    await expect(signWebhook(secrets, id, ts, BODY)).rejects.toThrow(message);
  });

  it("never puts the secret in an error message", async () => {
    const secret = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    await expect(signWebhook([secret], ID, 1, BODY)).rejects.toThrow(expect.objectContaining({ message: expect.not.stringContaining(secret) }));
  });
});
