/**
 * Client side of the webhook receiver (test/receivers.global-setup.ts), for tests in workerd:
 * its base URL, what a path received, and scripted answers. Give every test its own path.
 */
import { inject } from "vitest";
import type { ReceivedRequest, ScriptStep } from "./receivers.global-setup";

export type { ReceivedRequest, ScriptStep };

/** e.g. `receiverUrl()` → "http://127.0.0.1:40123"; a route URL is that + a path. */
export function receiverUrl(): string {
  return inject("receiverUrl");
}

const control = (what: string, path: string) => `${receiverUrl()}/__${what}?path=${encodeURIComponent(path)}`;

/** What `path` received so far, oldest first (headers lower-cased, body as text). */
export async function receivedRequests(path: string): Promise<ReceivedRequest[]> {
  return (await fetch(control("requests", path))).json();
}

/**
 * What `path` received as webhook handshakes (OPTIONS with WebHook-Request-Origin), oldest
 * first; they are kept apart from receivedRequests, which holds the deliveries.
 */
export async function receivedHandshakes(path: string): Promise<ReceivedRequest[]> {
  return (await fetch(control("handshakes", path))).json();
}

/**
 * The next answers of `path`, in order (then 200): `[503, {status: 429, headers: {"retry-after": "1"}}, 200]`.
 * Handshakes consent by default; a step with `method: "OPTIONS"` answers the next one instead.
 */
export async function scriptAnswers(path: string, steps: ScriptStep[]): Promise<void> {
  const res = await fetch(control("script", path), { method: "POST", body: JSON.stringify(steps) });
  if (res.status !== 204) throw new Error(`receiver refused the script: ${res.status} ${await res.text()}`);
}

/** Forget what `path` received (handshakes too) and its script. */
export async function forgetPath(path: string): Promise<void> {
  await fetch(control("requests", path), { method: "DELETE" });
}
