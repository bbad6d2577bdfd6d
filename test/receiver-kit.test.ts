/**
 * receiver-kit (../receiver-kit) unit and conformance tests, table-driven: Standard Webhooks
 * verification against the independent `standardwebhooks` package, dedupe with an injected clock,
 * sequence gaps, and the kit's Web-APIs-only promise. HTTP-facing parts: receiver-kit-http.test.ts.
 */
/// <reference types="vite/client" />
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import { MemoryDedupeStore, MemorySequenceStore, SequenceTracker, verifyWebhook, type SequenceReport } from "../receiver-kit";
import { timingSafeEqual } from "../receiver-kit/verify";

// The Standard Webhooks spec's example secret, and a second one for rotations.
const OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
const OTHER = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))))}`;
const NOW = 1_772_366_400; // 2026-03-01T12:00:00Z
const ID = "01890a5d-ac96-774b-bcce-b302099a8057";
const BODY = JSON.stringify({ specversion: "1.0", id: ID, source: "/tenants/t1/locations/l1", type: "io.changecast.customer.updated", data: { name: "Zoë 😀" } });

/** A signature made by the independent reference implementation, never by the kit. */
const sign = (secret: string, id: string, ts: number, body: string) => new Webhook(secret).sign(id, new Date(ts * 1000), body);
const headersFor = (signature: string, id = ID, ts = NOW) => ({ "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signature });

describe("verifyWebhook (Standard Webhooks \"Verifying webhooks\")", () => {
  it("reproduces the spec's published example signature", async () => {
    const headers = headersFor("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330);
    const result = await verifyWebhook({ secrets: [OLD], headers, body: '{"test": 2432232314}', nowSeconds: 1614265330 });
    expect(result).toEqual({ ok: true, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330 });
  });

  const good = sign(OLD, ID, NOW, BODY);
  const rotated = `${sign(OLD, ID, NOW, BODY)} ${sign(NEW, ID, NOW, BODY)}`;
  it.each([
    { why: "one secret, one signature", secrets: [OLD], headers: headersFor(good), body: BODY, want: { ok: true, id: ID, timestamp: NOW } },
    { why: "rotation: receiver holds only the new secret, both signatures sent", secrets: [NEW], headers: headersFor(rotated), body: BODY, want: { ok: true } },
    { why: "rotation: receiver holds old and new, only the old signs", secrets: [NEW, OLD], headers: headersFor(good), body: BODY, want: { ok: true } },
    { why: "unknown versions and garbage next to v1 are skipped", secrets: [OLD], headers: headersFor(`v1a,AAAA v2,${good.slice(3)} v1,!!notbase64 ${good}`), body: BODY, want: { ok: true } },
    { why: "a proxy merged repeated headers with \", \"", secrets: [OLD], headers: headersFor(`${sign(OTHER, ID, NOW, BODY)}, ${good}`), body: BODY, want: { ok: true } },
    { why: "header names in any case (plain object)", secrets: [OLD], headers: { "Webhook-Id": ID, "WEBHOOK-TIMESTAMP": String(NOW), "webhook-Signature": good }, body: BODY, want: { ok: true } },
    { why: "a Fetch Headers", secrets: [OLD], headers: new Headers(headersFor(good)), body: BODY, want: { ok: true } },
    { why: "a Uint8Array body (Node's raw Buffer)", secrets: [OLD], headers: headersFor(good), body: new TextEncoder().encode(BODY), want: { ok: true } },
    { why: "edge of the window, 300 s old", secrets: [OLD], headers: headersFor(sign(OLD, ID, NOW - 300, BODY), ID, NOW - 300), body: BODY, want: { ok: true } },
    { why: "tampered body", secrets: [OLD], headers: headersFor(good), body: BODY.replace("Zoë", "Zoe"), want: { ok: false, reason: "bad-signature" } },
    { why: "tampered id", secrets: [OLD], headers: headersFor(good, `${ID.slice(0, -1)}8`), body: BODY, want: { ok: false, reason: "bad-signature" } },
    { why: "tampered timestamp (still fresh)", secrets: [OLD], headers: headersFor(good, ID, NOW - 1), body: BODY, want: { ok: false, reason: "bad-signature" } },
    { why: "a secret we do not hold", secrets: [OLD], headers: headersFor(sign(OTHER, ID, NOW, BODY)), body: BODY, want: { ok: false, reason: "bad-signature" } },
    { why: "no v1 signature at all", secrets: [OLD], headers: headersFor("v1a,AAAA"), body: BODY, want: { ok: false, reason: "bad-signature" } },
    { why: "301 s old", secrets: [OLD], headers: headersFor(sign(OLD, ID, NOW - 301, BODY), ID, NOW - 301), body: BODY, want: { ok: false, reason: "stale-timestamp" } },
    { why: "301 s in the future", secrets: [OLD], headers: headersFor(sign(OLD, ID, NOW + 301, BODY), ID, NOW + 301), body: BODY, want: { ok: false, reason: "stale-timestamp" } },
    { why: "timestamp in milliseconds", secrets: [OLD], headers: headersFor(good, ID, NOW * 1000), body: BODY, want: { ok: false, reason: "stale-timestamp" } },
    { why: "timestamp not an integer", secrets: [OLD], headers: { ...headersFor(good), "webhook-timestamp": "1772366400.5" }, body: BODY, want: { ok: false, reason: "bad-timestamp" } },
    { why: "timestamp negative", secrets: [OLD], headers: { ...headersFor(good), "webhook-timestamp": "-1" }, body: BODY, want: { ok: false, reason: "bad-timestamp" } },
    { why: "no webhook-id", secrets: [OLD], headers: { ...headersFor(good), "webhook-id": undefined }, body: BODY, want: { ok: false, reason: "missing-headers" } },
    { why: "no webhook-timestamp", secrets: [OLD], headers: { ...headersFor(good), "webhook-timestamp": undefined }, body: BODY, want: { ok: false, reason: "missing-headers" } },
    { why: "no webhook-signature", secrets: [OLD], headers: { ...headersFor(good), "webhook-signature": undefined }, body: BODY, want: { ok: false, reason: "missing-headers" } },
  ])("$why", async ({ secrets, headers, body, want }) => {
    expect(await verifyWebhook({ secrets, headers, body, nowSeconds: NOW })).toMatchObject(want);
  });

  it("agrees with standardwebhooks' own verify on what it accepts", async () => {
    vi.useFakeTimers({ now: NOW * 1000, toFake: ["Date"] });
    try {
      for (const [secret, body] of [[OLD, BODY], [NEW, BODY], [OLD, BODY + " "]] as const) {
        const headers = headersFor(sign(OLD, ID, NOW, BODY));
        const reference = (() => { try { new Webhook(secret).verify(body, headers); return true; } catch { return false; } })();
        expect((await verifyWebhook({ secrets: [secret], headers, body })).ok).toBe(reference);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([["whsec_n0t*base64!"], ["plain-s3cret!"], ["whsec_abc"], ["whsec_"]])("rejects the malformed secret %j without echoing it", async (secret) => {
    const error = await verifyWebhook({ secrets: [secret], headers: headersFor(good), body: BODY, nowSeconds: NOW }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TypeError);
    const secretPart = secret.replace("whsec_", "");
    if (secretPart) expect((error as Error).message).not.toContain(secretPart);
  });

  it.each([
    { a: [1, 2, 3], b: [1, 2, 3], equal: true },
    { a: [1, 2, 3], b: [1, 2, 4], equal: false },
    { a: [1, 2, 3], b: [1, 2], equal: false },
    { a: [], b: [], equal: true },
  ])("timingSafeEqual($a, $b) is $equal", ({ a, b, equal }) => {
    expect(timingSafeEqual(new Uint8Array(a), new Uint8Array(b))).toBe(equal);
  });
});

describe("MemoryDedupeStore", () => {
  const clock = (start = 0) => {
    const c = { ms: start, now: () => c.ms };
    return c;
  };

  it("answers false then true; has() does not record", async () => {
    const store = new MemoryDedupeStore();
    expect(await store.has("a")).toBe(false);
    expect(await store.has("a")).toBe(false);
    expect(await store.seen("a", 60)).toBe(false);
    expect(await store.seen("a", 60)).toBe(true);
    expect(await store.has("a")).toBe(true);
  });

  it.each([
    { after: 59_999, seen: true },
    { after: 60_000, seen: false },
    { after: 3_600_000, seen: false },
  ])("with a 60 s TTL, an id $after ms later is seen=$seen", async ({ after, seen }) => {
    const c = clock(1_000_000);
    const store = new MemoryDedupeStore({ now: c.now });
    await store.seen("a", 60);
    c.ms += after;
    expect(await store.has("a")).toBe(seen);
    expect(await store.seen("a", 60)).toBe(seen);
  });

  it("sweeps expired ids as new ones arrive", async () => {
    const c = clock();
    const store = new MemoryDedupeStore({ now: c.now });
    for (const id of ["a", "b", "c"]) await store.seen(id, 10);
    c.ms += 10_001;
    await store.seen("d", 10);
    expect(store.size).toBe(1);
  });

  it("beyond maxEntries forgets the oldest recorded id first", async () => {
    const store = new MemoryDedupeStore({ maxEntries: 3 });
    for (const id of ["a", "b", "c", "d"]) await store.seen(id, 60);
    expect(store.size).toBe(3);
    expect(await Promise.all(["a", "b", "c", "d"].map((id) => store.has(id)))).toEqual([false, true, true, true]);
  });

  it("is atomic per id: of many concurrent seen() calls exactly one answers false", async () => {
    const store = new MemoryDedupeStore();
    const answers = await Promise.all(Array.from({ length: 20 }, () => store.seen("same", 60)));
    expect(answers.filter((a) => a === false)).toHaveLength(1);
  });

  it.each([[0], [-1], [Number.NaN]])("refuses ttlSeconds %s", async (ttl) => {
    await expect(new MemoryDedupeStore().seen("a", ttl)).rejects.toThrow(RangeError);
  });
});

const ev = (sequence: number | string, partitionkey = "customer/42", tenant = "t1") => ({
  source: `/tenants/${tenant}/locations/store-1`,
  tenant,
  partitionkey,
  sequence: typeof sequence === "number" ? String(sequence).padStart(20, "0") : sequence,
});

describe("SequenceTracker", () => {
  it.each([
    { why: "mid-stream start: the first event is the baseline", startAtOne: false, seqs: [5, 6, 7], kinds: ["next", "next", "next"] },
    { why: "a gap is reported once and tracking continues after it", startAtOne: false, seqs: [1, 2, 4, 5], kinds: ["next", "next", "gap", "next"] },
    { why: "a redelivery or late event is duplicate-or-old", startAtOne: false, seqs: [1, 2, 2, 1, 3], kinds: ["next", "next", "duplicate-or-old", "duplicate-or-old", "next"] },
    { why: "a late gap filler does not rewind the key", startAtOne: false, seqs: [1, 3, 2, 4], kinds: ["next", "gap", "duplicate-or-old", "next"] },
    { why: "startAtOne: starting at 1 is next", startAtOne: true, seqs: [1, 2], kinds: ["next", "next"] },
    { why: "startAtOne: starting at 3 is a gap from 1", startAtOne: true, seqs: [3, 4], kinds: ["gap", "next"] },
  ])("$why", async ({ startAtOne, seqs, kinds }) => {
    const gaps: SequenceReport[] = [];
    const tracker = new SequenceTracker({ startAtOne, onGap: (r) => void gaps.push(r) });
    const reports = [];
    for (const s of seqs) reports.push(await tracker.observe(ev(s)));
    expect(reports.map((r) => r!.kind)).toEqual(kinds);
    expect(gaps).toEqual(reports.filter((r) => r!.kind === "gap"));
  });

  it("reports expected and got, keyed by tenant and partitionkey", async () => {
    const tracker = new SequenceTracker({ startAtOne: true });
    expect(await tracker.observe(ev(1))).toEqual({ kind: "next", key: "t1/customer/42", expected: 1, got: 1 });
    expect(await tracker.observe(ev(4))).toEqual({ kind: "gap", key: "t1/customer/42", expected: 2, got: 4 });
    // Another record, another tenant: separate sequences.
    expect(await tracker.observe(ev(1, "customer/43"))).toMatchObject({ kind: "next", key: "t1/customer/43" });
    expect(await tracker.observe(ev(1, "customer/42", "t2"))).toMatchObject({ kind: "next", key: "t2/customer/42" });
  });

  it("check() does not record: a failed handler's retry is still next", async () => {
    const tracker = new SequenceTracker();
    await tracker.observe(ev(1));
    expect((await tracker.check(ev(2)))!.kind).toBe("next");
    expect((await tracker.check(ev(2)))!.kind).toBe("next");
    await tracker.commit((await tracker.check(ev(2)))!);
    expect((await tracker.check(ev(2)))!.kind).toBe("duplicate-or-old");
  });

  it.each([
    { why: "no sequence (a route test event)", event: { source: "/tenants/t1/routes/rt_1", tenant: "t1" } },
    { why: "no partitionkey", event: { tenant: "t1", sequence: "00000000000000000001" } },
    { why: "a sequence that is not digits", event: { ...ev(1), sequence: "1e3" } },
  ])("is null for $why", async ({ event }) => {
    expect(await new SequenceTracker().check(event)).toBeNull();
  });

  it("falls back to source when there is no tenant extension", async () => {
    const report = await new SequenceTracker().check({ source: "urn:x", partitionkey: "p", sequence: 7 });
    expect(report).toEqual({ kind: "next", key: "urn:x/p", expected: 7, got: 7 });
  });

  it("MemorySequenceStore never moves backwards and forgets the least recently advanced key past maxKeys", async () => {
    const store = new MemorySequenceStore({ maxKeys: 2 });
    await store.advance("a", 5);
    await store.advance("a", 3);
    expect(await store.get("a")).toBe(5);
    await store.advance("b", 1);
    await store.advance("a", 6);
    await store.advance("c", 1);
    expect([await store.get("a"), await store.get("b"), await store.get("c")]).toEqual([6, undefined, 1]);
  });
});

describe("receiver-kit stays dependency-free", () => {
  // Vite inlines the kit's sources: the test needs no file system (workerd has none).
  const sources = import.meta.glob("../receiver-kit/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

  it.each(Object.entries(sources).map(([file, text]) => ({ file, text })))("$file imports only sibling files and opens with its contract", ({ text }) => {
    const specifiers = [...text.matchAll(/^\s*(?:import|export)[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);
    for (const s of specifiers) expect(s).toMatch(/^\.\/[a-z-]+$/);
    expect(text).not.toMatch(/\brequire\(|\bprocess\.[a-z]|\bBuffer\.|\bDeno\.[a-z]/);
    expect(text.split("\n", 1)[0]).toMatch(/^\/\*\* .+ \*\/$/);
    expect(text.split("\n").length).toBeLessThanOrEqual(300);
  });

  it("found the kit's files", () => {
    expect(Object.keys(sources).length).toBeGreaterThanOrEqual(7);
  });
});
