/**
 * One signed webhook POST to one route, reported as an AttemptRecord; never throws for what
 * the receiver or the network does. No D1, no queues: the delivery consumer and the admin
 * "test" endpoint share it.
 */
import type { AttemptRecord } from "../../shared/delivery/message";
import { webhookRequest } from "../../shared/delivery/http-binding";
import { parseRetryAfter } from "../../shared/delivery/retry-after";
import { signWebhook } from "../../shared/delivery/signing";
import type { DeliveryTarget } from "../../shared/routing/route";

export const USER_AGENT = "changecast/0.1 (+https://changecast.dev/docs/webhooks)";
export const EXCERPT_BYTES = 2048;

type SendTarget = Pick<DeliveryTarget, "url" | "contentMode" | "secrets" | "timeoutMs">;

/**
 * `origin`: our WEBHOOK_ORIGIN, sent as WebHook-Request-Origin on every delivery (CloudEvents
 * "HTTP 1.1 Web Hooks for Event Delivery" §4.1.2), so receivers can tell whose calls they get.
 */
export async function deliverOnce(target: SendTarget, event: Readonly<Record<string, unknown>> & { id: string }, nowMs: number, attempt: number, origin: string): Promise<AttemptRecord> {
  const { headers, body } = webhookRequest(event, target.contentMode);
  // Standard Webhooks: webhook-id is the event id, stable across retries, so receivers dedupe on it.
  const timestamp = Math.floor(nowMs / 1000);
  const signature = await signWebhook(target.secrets, event.id, timestamp, body);
  const init: RequestInit = {
    method: "POST",
    headers: { ...headers, "webhook-id": event.id, "webhook-timestamp": String(timestamp), "webhook-signature": signature, "webhook-request-origin": origin, "user-agent": USER_AGENT },
    body,
    // A redirect could point anywhere (an internal address the URL check never saw): 3xx is a
    // failure the subscriber fixes by updating the route, never followed.
    redirect: "manual",
    signal: AbortSignal.timeout(target.timeoutMs),
  };
  const started = Date.now();
  const at = nowMs;
  let res: Response;
  try {
    res = await fetch(target.url, init);
  } catch (err) {
    const latencyMs = Date.now() - started;
    if (isAbort(err)) return { at, attempt, outcome: "timeout", latencyMs, excerpt: `no answer within ${target.timeoutMs} ms` };
    return { at, attempt, outcome: "error", latencyMs, excerpt: truncate(err instanceof Error ? err.message : String(err)) };
  }
  // The status alone decides: a body that is slow or broken after a 2xx does not undo it.
  const excerpt = await readExcerpt(res);
  const latencyMs = Date.now() - started;
  const outcome = res.status >= 200 && res.status < 300 ? "delivered" : "failed";
  const record: AttemptRecord = { at, attempt, outcome, httpStatus: res.status, latencyMs };
  if (excerpt) record.excerpt = excerpt;
  // 429 and 503 may say when to come back (RFC 9110 §10.2.3); honoured by the route's health.
  if (res.status === 429 || res.status === 503) {
    const retryAfter = parseRetryAfter(res.headers.get("retry-after"), Date.now());
    if (retryAfter !== null) record.retryAfterSeconds = retryAfter;
  }
  return record;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
}

function truncate(text: string): string {
  return text.length > EXCERPT_BYTES ? text.slice(0, EXCERPT_BYTES) : text;
}

/** At most EXCERPT_BYTES of the body; the rest is cancelled, never buffered (a receiver may stream forever). */
async function readExcerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A timeout or reset mid-body: keep what arrived.
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(size, EXCERPT_BYTES));
  let offset = 0;
  for (const chunk of chunks) {
    const take = chunk.subarray(0, bytes.length - offset);
    bytes.set(take, offset);
    offset += take.length;
    if (offset === bytes.length) break;
  }
  // A cut through a multi-byte character decodes to U+FFFD rather than failing.
  return new TextDecoder().decode(bytes);
}
