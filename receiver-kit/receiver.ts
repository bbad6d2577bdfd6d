/** One fetch-style handler for a changecast webhook endpoint: handshake, verify, parse, dedupe, sequence-check, then your onEvent, once per event. */
import { parseCloudEvent, type CloudEvent, type ContentMode } from "./cloudevent";
import { DEFAULT_DEDUPE_TTL_SECONDS, MemoryDedupeStore, type DedupeStore } from "./dedupe";
import { ALLOW, answerHandshake, checkHandshakeOptions, type HandshakeOptions } from "./handshake";
import { SequenceTracker, type SequenceReport } from "./sequence";
import { importSecrets, verifyWithKeys } from "./verify";

export type DeliveryMeta = {
  /** The signed `webhook-id`: changecast's event id, the same on every retry. */
  webhookId: string;
  /** The signed `webhook-timestamp` of this attempt (unix seconds): when it was sent, not when the change happened. */
  timestamp: number;
  mode: ContentMode;
  /** Where the event stands in its record's sequence; null for events without one (route test sends). */
  sequence: SequenceReport | null;
  request: Request;
};

export type ReceiverOptions = {
  /** `whsec_…` route secrets; list both old and new during a rotation. */
  secrets: readonly string[];
  /** Your handling. Throwing answers 500 so the sender retries; nothing is recorded as seen. */
  onEvent: (event: CloudEvent, meta: DeliveryMeta) => unknown;
  /** Default: a MemoryDedupeStore of this receiver (one process only; see dedupe.ts for shared stores). */
  dedupe?: DedupeStore;
  dedupeTtlSeconds?: number;
  /** Default: an in-memory SequenceTracker; `false` turns sequence checks off. */
  sequences?: SequenceTracker | false;
  /** Called for each gap, after the tracker's own onGap; the event is still handled. Throwing answers 500. */
  onGap?: (report: SequenceReport, event: CloudEvent) => unknown;
  /** Answer the CloudEvents abuse-protection handshake; without it OPTIONS is 405 (Web Hooks §4.2). */
  handshake?: HandshakeOptions;
  toleranceSeconds?: number;
  /** Larger bodies are refused (413) before any HMAC work; changecast events are far smaller. */
  maxBodyBytes?: number;
  /** Where failures of onEvent/onGap/stores are reported; default console.error. */
  onError?: (error: unknown, webhookId: string) => void;
  /** Milliseconds since the epoch, for the timestamp window; injected by tests. */
  now?: () => number;
};

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Why this order turns the sender's at-least-once into effectively-once handling:
 * 1. Verify first: nothing unauthenticated reaches a store or your code (401; the sender retries
 *    a 401 too, which is right while a secret rotation is half-deployed).
 * 2. A `webhook-id` already recorded answers 200 without calling onEvent: the sender stops
 *    retrying, and the event is not handled twice.
 * 3. onEvent runs; only after it returns is the id recorded (and the record's sequence advanced).
 *    If it throws, or the process dies mid-way, nothing was recorded, the answer is (or becomes)
 *    a failure, and the sender's retry is handled: a crash can cause a second run, never a loss.
 *    Recording first would be the reverse: a crash after recording would drop the event forever.
 * The remaining window is "onEvent finished, id not yet recorded": close it by making onEvent
 * idempotent, or by recording the id in the same transaction as onEvent's writes (dedupe.ts).
 * Concurrent deliveries of one id to this receiver are serialized, so a retry that overlaps a
 * slow first attempt waits and then sees it as a duplicate.
 */
export function createReceiver(options: ReceiverOptions): (request: Request) => Promise<Response> {
  // Parse configuration once, so a bad secret or handshake config fails at start-up.
  const keys = importSecrets(options.secrets);
  if (options.handshake) checkHandshakeOptions(options.handshake);
  const dedupe = options.dedupe ?? new MemoryDedupeStore();
  const ttl = options.dedupeTtlSeconds ?? DEFAULT_DEDUPE_TTL_SECONDS;
  const tracker = options.sequences === false ? null : (options.sequences ?? new SequenceTracker());
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error, id) => console.error(`receiver-kit: handling webhook ${id} failed`, error));
  const inFlight = new Map<string, Promise<void>>();

  async function handle(request: Request, event: CloudEvent, mode: ContentMode, webhookId: string, timestamp: number): Promise<Response> {
    let sequence: SequenceReport | null = null;
    try {
      // §2.2 of the Web Hooks spec: 200 with a body (and its Content-Type) means "accepted and processed".
      if (await dedupe.has(webhookId)) return Response.json({ status: "duplicate" }, { status: 200 });
      sequence = tracker ? await tracker.check(event) : null;
      if (sequence?.kind === "gap") await options.onGap?.(sequence, event);
      await options.onEvent(event, { webhookId, timestamp, mode, sequence, request });
    } catch (error) {
      onError(error, webhookId);
      // Nothing was recorded, so the sender's retry runs it all again. A generic body: the
      // sender's attempt log is not the place for our stack traces.
      return Response.json({ error: "handler failed" }, { status: 500 });
    }
    try {
      await dedupe.seen(webhookId, ttl);
      if (sequence && tracker) await tracker.commit(sequence);
    } catch (error) {
      // Handled already: a 5xx now would only buy a second run. Acknowledge, and report.
      onError(error, webhookId);
    }
    return new Response(null, { status: 204 });
  }

  return async function receive(request: Request): Promise<Response> {
    if (request.method === "OPTIONS") {
      return options.handshake ? answerHandshake(request, options.handshake) : new Response(null, { status: 405, headers: { allow: "POST" } });
    }
    if (request.method !== "POST") return new Response(null, { status: 405, headers: { allow: options.handshake ? ALLOW : "POST" } });

    const body = await readBody(request, maxBodyBytes);
    if (body === null) return Response.json({ error: `body over ${maxBodyBytes} bytes` }, { status: 413 });
    const verified = await verifyWithKeys(await keys, {
      headers: request.headers,
      body,
      nowSeconds: Math.floor(now() / 1000),
      ...(options.toleranceSeconds !== undefined ? { toleranceSeconds: options.toleranceSeconds } : {}),
    });
    if (!verified.ok) return Response.json({ error: verified.reason }, { status: 401 });

    const parsed = parseCloudEvent(request.headers, new TextDecoder().decode(body));
    if (!parsed.ok) return Response.json({ error: parsed.reason }, { status: parsed.status });
    // webhook-id is signed, binary mode's ce-* headers are not: insisting they agree means the id
    // onEvent sees is the one dedupe used. changecast always sends webhook-id = event id.
    if (parsed.event.id !== verified.id) return Response.json({ error: "event id does not match webhook-id" }, { status: 400 });

    // Serialize deliveries of one id: wait out an attempt in progress, then claim (no await between).
    for (let prior = inFlight.get(verified.id); prior; prior = inFlight.get(verified.id)) await prior;
    let release!: () => void;
    inFlight.set(verified.id, new Promise<void>((resolve) => (release = resolve)));
    try {
      return await handle(request, parsed.event, parsed.mode, verified.id, verified.timestamp);
    } finally {
      inFlight.delete(verified.id);
      release();
    }
  };
}

/** The body's bytes, or null past `max`: counted while streaming, so a missing or lying Content-Length cannot get past it. */
async function readBody(request: Request, max: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > max) return null;
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
