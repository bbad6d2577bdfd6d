/**
 * receiver-kit's HTTP-facing parts, table-driven: the CloudEvents web hook handshake (HTTP 1.1 Web
 * Hooks §4.2), the HTTP Protocol Binding reader (structured §3.2, binary §3.1), and createReceiver
 * end to end over Requests signed by the independent `standardwebhooks` package.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import { answerHandshake, createReceiver, decodeHeaderValue, parseCloudEvent, SequenceTracker } from "../receiver-kit";

const OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))))}`;
const ID = "01890a5d-ac96-774b-bcce-b302099a8057";
const sign = (secret: string, id: string, ts: number, body: string) => new Webhook(secret).sign(id, new Date(ts * 1000), body);
const headersFor = (signature: string, id: string, ts: number) => ({ "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signature });

const options = (init: Record<string, string> = {}) => new Request("https://hooks.example/changecast", { method: "OPTIONS", headers: init });

describe("answerHandshake (CloudEvents HTTP 1.1 Web Hooks §4.2)", () => {
  it.each([
    { clause: "§4.2.1 echoes an allowed origin", config: { allowedOrigins: ["eventemitter.example.com"] }, req: { "WebHook-Request-Origin": "eventemitter.example.com" }, status: 200, origin: "eventemitter.example.com", rate: null },
    { clause: "§4.2.1 origins compare case-insensitively, echoed as sent", config: { allowedOrigins: ["EventEmitter.example.com"] }, req: { "WebHook-Request-Origin": "eventemitter.EXAMPLE.com" }, status: 200, origin: "eventemitter.EXAMPLE.com", rate: null },
    { clause: "§4.2.1 \"*\" allows every origin and says so", config: { allowedOrigins: "*" as const }, req: { "WebHook-Request-Origin": "anyone.example" }, status: 200, origin: "*", rate: null },
    { clause: "§4.2.2 a configured rate is granted", config: { allowedOrigins: "*" as const, allowedRate: 120 }, req: { "WebHook-Request-Origin": "a.example" }, status: 200, origin: "*", rate: "120" },
    { clause: "§4.2.2 a configured \"*\" rate", config: { allowedOrigins: "*" as const, allowedRate: "*" as const }, req: { "WebHook-Request-Origin": "a.example", "WebHook-Request-Rate": "60" }, status: 200, origin: "*", rate: "*" },
    { clause: "§4.2.2 MUST answer a requested rate: no limit configured is \"*\"", config: { allowedOrigins: "*" as const }, req: { "WebHook-Request-Origin": "a.example", "WebHook-Request-Rate": "60" }, status: 200, origin: "*", rate: "*" },
    { clause: "§4.1.3 a callback is ignored: the answer is synchronous", config: { allowedOrigins: ["a.example"] }, req: { "WebHook-Request-Origin": "a.example", "WebHook-Request-Callback": "https://a.example/confirm?key=x" }, status: 200, origin: "a.example", rate: null },
    { clause: "§4.2 refusal withholds the headers", config: { allowedOrigins: ["a.example"] }, req: { "WebHook-Request-Origin": "evil.example" }, status: 403, origin: null, rate: null },
    { clause: "§4.1.2 the origin header is required", config: { allowedOrigins: "*" as const }, req: {}, status: 400, origin: null, rate: null },
  ])("$clause", ({ config, req, status, origin, rate }) => {
    const res = answerHandshake(options(req as Record<string, string>), config);
    expect(res.status).toBe(status);
    expect(res.headers.get("webhook-allowed-origin")).toBe(origin);
    expect(res.headers.get("webhook-allowed-rate")).toBe(rate);
    // §4.2: the OPTIONS response SHOULD include Allow, naming POST.
    expect(res.headers.get("allow")).toContain("POST");
  });

  it("never calls the callback URL", () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    answerHandshake(options({ "WebHook-Request-Origin": "a.example", "WebHook-Request-Callback": "https://a.example/cb" }), { allowedOrigins: "*" });
    expect(fetchSpy).not.toHaveBeenCalled();
    fetchSpy.mockRestore();
  });

  it("answers 405 to other methods", () => {
    expect(answerHandshake(new Request("https://h.example/", { method: "GET" }), { allowedOrigins: "*" }).status).toBe(405);
  });

  it.each([
    { config: { allowedOrigins: "*" as const, allowedRate: 0 } },
    { config: { allowedOrigins: "*" as const, allowedRate: 1.5 } },
    { config: { allowedOrigins: [""] } },
  ])("refuses the configuration $config", ({ config }) => {
    expect(() => answerHandshake(options({ "WebHook-Request-Origin": "a.example" }), config)).toThrow();
  });
});

describe("parseCloudEvent (CloudEvents HTTP Protocol Binding 1.0)", () => {
  const attrs = { specversion: "1.0", id: ID, source: "/tenants/t1/locations/l1", type: "io.changecast.customer.updated" };

  it("§3.2 structured: the body is the event, charset parameter allowed", () => {
    const body = JSON.stringify({ ...attrs, sequence: "00000000000000000003", lamport: 17, data: { a: 1 } });
    expect(parseCloudEvent({ "Content-Type": "application/cloudevents+json; charset=utf-8" }, body)).toEqual({
      ok: true,
      mode: "structured",
      event: { ...attrs, sequence: "00000000000000000003", lamport: 17, data: { a: 1 } },
    });
  });

  it("§3.1 binary: ce-* headers (any case) percent-decoded, Content-Type is datacontenttype, JSON body is data", () => {
    const headers = new Headers({
      "Content-Type": "application/json",
      "CE-SpecVersion": "1.0",
      "ce-id": ID,
      "ce-source": attrs.source,
      "ce-type": attrs.type,
      // §3.1.3.2's own example, lower-case hex (decoders MUST accept it), and an unnecessary escape.
      "ce-subject": "Euro%20%e2%82%ac%20%F0%9F%98%80%2F",
      // §3.1.3.2: a quoted-string from an older sender, with a backslash escape.
      "ce-partitionkey": '"customer/Zo\\"e 42"',
      "ce-lamport": "17",
    });
    const parsed = parseCloudEvent(headers, '{"after":{"name":"Zoë"}}');
    expect(parsed).toEqual({
      ok: true,
      mode: "binary",
      event: { ...attrs, subject: "Euro € 😀/", partitionkey: 'customer/Zo"e 42', lamport: "17", datacontenttype: "application/json", data: { after: { name: "Zoë" } } },
    });
  });

  it.each([
    { raw: "100%25", decoded: "100%" },
    { raw: "%C0%A0", decoded: null }, // §3.1.3.2's overlong example MUST be rejected
    { raw: "%ED%A0%80", decoded: null }, // an encoded surrogate is not UTF-8
    { raw: "%E2%82", decoded: null }, // truncated sequence
    { raw: "%zz", decoded: null },
    { raw: "%2525", decoded: "%25" }, // exactly one round
  ])("§3.1.3.2 decodes $raw as $decoded", ({ raw, decoded }) => {
    expect(decodeHeaderValue(raw)).toBe(decoded);
  });

  it.each([
    { why: "invalid UTF-8 in a ce-* header", headers: { "ce-specversion": "1.0", "ce-id": "x", "ce-source": "s", "ce-type": "t", "ce-subject": "%C0%A0" }, body: "", status: 400 },
    { why: "a required attribute missing (binary)", headers: { "ce-specversion": "1.0", "ce-id": "x", "ce-source": "s" }, body: "", status: 400 },
    { why: "specversion 0.3", headers: { "content-type": "application/cloudevents+json" }, body: JSON.stringify({ ...attrs, specversion: "0.3" }), status: 400 },
    { why: "structured body that is not JSON", headers: { "content-type": "application/cloudevents+json" }, body: "{", status: 400 },
    { why: "binary JSON data that is not JSON", headers: { "content-type": "application/json", "ce-specversion": "1.0", "ce-id": "x", "ce-source": "s", "ce-type": "t" }, body: "{", status: 400 },
    { why: "batched mode", headers: { "content-type": "application/cloudevents-batch+json" }, body: "[]", status: 415 },
    { why: "not a CloudEvent at all", headers: { "content-type": "application/json" }, body: "{}", status: 415 },
  ])("answers $status for $why", ({ headers, body, status }) => {
    expect(parseCloudEvent(headers, body)).toMatchObject({ ok: false, status });
  });

  it("§3.1.2 binary: a non-JSON body stays text, an empty body is no data", () => {
    const base = { "ce-specversion": "1.0", "ce-id": "x", "ce-source": "s", "ce-type": "t" };
    expect(parseCloudEvent({ ...base, "content-type": "text/plain" }, "hello")).toMatchObject({ ok: true, event: { data: "hello", datacontenttype: "text/plain" } });
    const empty = parseCloudEvent(base, "");
    expect(empty.ok && "data" in empty.event).toBe(false);
  });
});

/** A webhook as changecast sends it, signed by the reference implementation. */
function delivery(event: Record<string, unknown>, opts: { secret?: string; ts?: number; mode?: "structured" | "binary"; id?: string } = {}): Request {
  const ts = opts.ts ?? Math.floor(Date.now() / 1000);
  const id = opts.id ?? (event.id as string);
  let headers: Record<string, string>;
  let body: string;
  if (opts.mode === "binary") {
    const { data, ...attributes } = event;
    headers = { "content-type": "application/json", ...Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`ce-${k}`, encodeURIComponent(String(v))])) };
    body = JSON.stringify(data);
  } else {
    headers = { "content-type": "application/cloudevents+json" };
    body = JSON.stringify(event);
  }
  const signature = sign(opts.secret ?? OLD, id, ts, body);
  return new Request("https://hooks.example/changecast", { method: "POST", headers: { ...headers, ...headersFor(signature, id, ts) }, body });
}

let n = 0;
const changeEvent = (sequence: number, recordId = "42", extra: Record<string, unknown> = {}) => ({
  specversion: "1.0",
  id: `evt-${Date.now()}-${n++}`,
  source: "/tenants/t1/locations/store-1",
  type: "io.changecast.customer.updated",
  subject: `customer/${recordId}`,
  data: { op: "update", after: { n: sequence } },
  sequence: String(sequence).padStart(20, "0"),
  partitionkey: `customer/${recordId}`,
  tenant: "t1",
  ...extra,
});

describe("createReceiver", () => {
  it("handles an event once: 204, then a replay answers 200 without calling onEvent", async () => {
    const onEvent = vi.fn();
    const receive = createReceiver({ secrets: [OLD], onEvent });
    const event = changeEvent(1);
    const first = await receive(delivery(event));
    expect(first.status).toBe(204);
    expect(onEvent).toHaveBeenCalledTimes(1);
    expect(onEvent.mock.calls[0]![0]).toEqual(event);
    expect(onEvent.mock.calls[0]![1]).toMatchObject({ webhookId: event.id, mode: "structured", sequence: { kind: "next", got: 1 } });

    const replay = await receive(delivery(event));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ status: "duplicate" });
    expect(onEvent).toHaveBeenCalledTimes(1);
  });

  it("parses binary mode the same, percent-decoded", async () => {
    const onEvent = vi.fn();
    const receive = createReceiver({ secrets: [OLD], onEvent });
    const event = changeEvent(1, "Zoë 100%");
    expect((await receive(delivery(event, { mode: "binary" }))).status).toBe(204);
    expect(onEvent.mock.calls[0]![0]).toEqual({ ...event, datacontenttype: "application/json" });
    expect(onEvent.mock.calls[0]![1].mode).toBe("binary");
  });

  it.each([
    { why: "a secret we do not hold", req: () => delivery(changeEvent(1), { secret: OTHER }), reason: "bad-signature" },
    { why: "a stale timestamp", req: () => delivery(changeEvent(1), { ts: Math.floor(Date.now() / 1000) - 3600 }), reason: "stale-timestamp" },
    { why: "no signature headers", req: () => new Request("https://h.example/", { method: "POST", body: "{}" }), reason: "missing-headers" },
  ])("answers 401 for $why and never calls onEvent", async ({ req, reason }) => {
    const onEvent = vi.fn();
    const res = await createReceiver({ secrets: [OLD], onEvent })(req());
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: reason });
    expect(onEvent).not.toHaveBeenCalled();
  });

  it("onEvent throwing answers 500 and records nothing: the retry is handled, then deduped", async () => {
    let fail = true;
    const seen: number[] = [];
    const onError = vi.fn();
    const receive = createReceiver({
      secrets: [OLD],
      onError,
      onEvent: (_e, meta) => {
        if (fail) throw new Error("database down");
        seen.push(meta.sequence!.got);
        expect(meta.sequence!.kind).toBe("next"); // the failed attempt did not advance the record
      },
    });
    await receive(delivery(changeEvent(1)));
    const event = changeEvent(2);
    const failed = await receive(delivery(event));
    expect(failed.status).toBe(500);
    expect(await failed.text()).not.toContain("database down");
    expect(onError).toHaveBeenCalledWith(expect.any(Error), event.id);
    fail = false;
    expect((await receive(delivery(event))).status).toBe(204);
    expect((await receive(delivery(event))).status).toBe(200);
    expect(seen).toEqual([2]);
  });

  it("reports a gap to onGap and still handles the event", async () => {
    const onGap = vi.fn();
    const trackerGap = vi.fn();
    const handled: number[] = [];
    const receive = createReceiver({ secrets: [OLD], sequences: new SequenceTracker({ onGap: trackerGap }), onGap, onEvent: (_e, m) => void handled.push(m.sequence!.got) });
    for (const s of [1, 2, 5, 6]) expect((await receive(delivery(changeEvent(s)))).status).toBe(204);
    expect(handled).toEqual([1, 2, 5, 6]);
    const report = { kind: "gap", key: "t1/customer/42", expected: 3, got: 5 };
    expect(trackerGap).toHaveBeenCalledExactlyOnceWith(report);
    expect(onGap).toHaveBeenCalledExactlyOnceWith(report, expect.objectContaining({ sequence: "00000000000000000005" }));
  });

  it("serializes concurrent deliveries of one id: a retry overlapping a slow first attempt is a duplicate", async () => {
    let calls = 0;
    const receive = createReceiver({ secrets: [OLD], onEvent: async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 50));
    } });
    const event = changeEvent(1);
    const statuses = await Promise.all([receive(delivery(event)), receive(delivery(event)), receive(delivery(event))]);
    expect(statuses.map((r) => r.status).sort()).toEqual([200, 200, 204]);
    expect(calls).toBe(1);
  });

  it("plugs in any DedupeStore and records only after success", async () => {
    const log: string[] = [];
    const store = { has: async (id: string) => (log.push(`has ${id}`), false), seen: async (id: string, ttl: number) => (log.push(`seen ${id} ${ttl}`), false) };
    const event = changeEvent(1);
    await createReceiver({ secrets: [OLD], dedupe: store, dedupeTtlSeconds: 90, onEvent: () => void log.push("onEvent") })(delivery(event));
    expect(log).toEqual([`has ${event.id}`, "onEvent", `seen ${event.id} 90`]);
  });

  it.each([
    { why: "an event id that differs from the signed webhook-id", req: () => delivery(changeEvent(1), { id: "someone-else" }), status: 400 },
    { why: "a body over maxBodyBytes", req: () => delivery(changeEvent(1, "x".repeat(2000))), status: 413 },
    { why: "a GET", req: () => new Request("https://h.example/"), status: 405 },
    { why: "an OPTIONS with no handshake configured (§4.2: 405)", req: () => options({ "WebHook-Request-Origin": "a.example" }), status: 405 },
  ])("answers $status for $why", async ({ req, status }) => {
    const onEvent = vi.fn();
    expect((await createReceiver({ secrets: [OLD], maxBodyBytes: 1000, onEvent })(req())).status).toBe(status);
    expect(onEvent).not.toHaveBeenCalled();
  });

  it("answers the handshake when configured", async () => {
    const receive = createReceiver({ secrets: [OLD], onEvent: () => {}, handshake: { allowedOrigins: ["changecast.dev"], allowedRate: 600 } });
    const res = await receive(options({ "WebHook-Request-Origin": "changecast.dev" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("webhook-allowed-origin")).toBe("changecast.dev");
    expect(res.headers.get("webhook-allowed-rate")).toBe("600");
  });

  it("fails at start-up, synchronously, on a malformed secret or handshake", () => {
    expect(() => createReceiver({ secrets: ["whsec_!!"], onEvent: () => {} })).toThrow(TypeError);
    expect(() => createReceiver({ secrets: [], onEvent: () => {} })).toThrow(TypeError);
    expect(() => createReceiver({ secrets: [OLD], onEvent: () => {}, handshake: { allowedOrigins: "*", allowedRate: -1 } })).toThrow(RangeError);
  });
});
