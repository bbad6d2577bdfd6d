/**
 * POSTs batches to the edge's /v1/changes and reads its per-item answer. Retries network
 * errors, 408, 429 and 5xx with backoff for as long as it takes (until stopped), splits a
 * batch the edge found too large (413), and fails fast on answers no retry can fix.
 */
import { z } from "zod";
import { parseRetryAfter, retryDelayMs } from "./backoff.ts";
import type { Logger } from "./log.ts";
import type { OutgoingChange } from "./mapping.ts";

export type Rejection = { change: OutgoingChange; error: unknown };
export type SendOutcome = { accepted: number; duplicate: number; rejected: Rejection[] };

/** 400, 401, 403, 404…: a retry cannot help; the relay exits 1 with nothing checkpointed. */
export class FatalSendError extends Error {
  override name = "FatalSendError";
}
/** Stopped (SIGINT/SIGTERM) while waiting to retry: the batch was not accepted. */
export class SendAborted extends Error {
  override name = "SendAborted";
}

export type SenderOptions = {
  ingestUrl: string;
  locationKey: string;
  logger: Logger;
  signal: AbortSignal;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  requestTimeoutMs?: number;
};

const answerSchema = z.object({
  results: z.array(z.object({ id: z.string().nullable().optional(), status: z.enum(["accepted", "duplicate", "rejected"]), error: z.unknown().optional() })),
});

const RETRYABLE = (status: number) => status === 408 || status === 425 || status === 429 || status >= 500;

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new SendAborted("stopped"));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new SendAborted("stopped"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function problemDetail(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { title?: string; detail?: string; field?: string };
    return [body.title, body.detail, body.field && `field ${body.field}`].filter(Boolean).join(": ") || text.slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}

export function createSender(options: SenderOptions) {
  const endpoint = `${options.ingestUrl}/v1/changes`;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  // Generous: 500 changes to a cold edge can take many seconds; a timeout means a resend.
  const timeoutMs = options.requestTimeoutMs ?? 60_000;

  type Attempt = { kind: "answer"; outcome: SendOutcome } | { kind: "too_large" } | { kind: "retry"; status: number | null; reason: string; retryAfterMs: number | null };

  async function attemptOnce(changes: OutgoingChange[]): Promise<Attempt> {
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: "POST",
        headers: { authorization: `Bearer ${options.locationKey}`, "content-type": "application/json" },
        body: JSON.stringify({ changes }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { kind: "retry", status: null, reason: `network: ${cause?.code ?? cause?.message ?? (err as Error).message}`, retryAfterMs: null };
    }
    if (res.status === 413) {
      await res.body?.cancel();
      return { kind: "too_large" };
    }
    if (RETRYABLE(res.status)) {
      const detail = await problemDetail(res);
      return { kind: "retry", status: res.status, reason: `HTTP ${res.status}${detail ? `: ${detail}` : ""}`, retryAfterMs: parseRetryAfter(res.headers.get("retry-after"), now()) };
    }
    if (res.status === 401) throw new FatalSendError(`the edge refused the location key (401 ${await problemDetail(res)}): check --location-key / CHANGECAST_LOCATION_KEY`);
    if (res.status === 403) throw new FatalSendError(`the location key is revoked or not allowed (403 ${await problemDetail(res)})`);
    if (res.status !== 200) throw new FatalSendError(`the edge refused the request (${res.status} ${await problemDetail(res)}) at ${endpoint}`);
    const parsed = answerSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success || parsed.data.results.length !== changes.length) {
      // Not the edge's answer (a proxy page, a partial body): nothing is known to be accepted.
      return { kind: "retry", status: 200, reason: "unreadable answer", retryAfterMs: null };
    }
    const outcome: SendOutcome = { accepted: 0, duplicate: 0, rejected: [] };
    parsed.data.results.forEach((r, i) => {
      if (r.status === "accepted") outcome.accepted++;
      else if (r.status === "duplicate") outcome.duplicate++;
      else outcome.rejected.push({ change: changes[i]!, error: r.error ?? null });
    });
    return { kind: "answer", outcome };
  }

  async function send(changes: OutgoingChange[]): Promise<SendOutcome> {
    for (let attempt = 1; ; attempt++) {
      const result = await attemptOnce(changes);
      if (result.kind === "answer") return result.outcome;
      if (result.kind === "too_large") return splitAndSend(changes);
      const delayMs = retryDelayMs(attempt, random(), result.retryAfterMs);
      options.logger.log({ event: "retry", status: result.status, attempt, delayMs, reason: result.reason });
      await sleep(delayMs, options.signal);
    }
  }

  /** 413: halves, in order, so the edge still sees the changes in outbox order. */
  async function splitAndSend(changes: OutgoingChange[]): Promise<SendOutcome> {
    if (changes.length === 1) {
      return { accepted: 0, duplicate: 0, rejected: [{ change: changes[0]!, error: { field: "changes[0]", reason: "the change alone is over the edge's request size limit (413)" } }] };
    }
    const middle = Math.ceil(changes.length / 2);
    const first = await send(changes.slice(0, middle));
    const second = await send(changes.slice(middle));
    return { accepted: first.accepted + second.accepted, duplicate: first.duplicate + second.duplicate, rejected: [...first.rejected, ...second.rejected] };
  }

  return { send, endpoint };
}

export type Sender = ReturnType<typeof createSender>;
