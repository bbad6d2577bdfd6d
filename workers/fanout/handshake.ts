/**
 * The CloudEvents webhook handshake over the network ("HTTP 1.1 Web Hooks for Event Delivery"
 * §4): one OPTIONS request to a route URL, judged by shared/delivery/handshake.ts. Never throws
 * for what the endpoint or the network does: every failure is a refusal with its reason.
 */
import { handshakeRequest, handshakeVerdict, type HandshakeVerdict } from "../../shared/delivery/handshake";
import { USER_AGENT } from "../delivery/send";

export const HANDSHAKE_TIMEOUT_MS = 10_000;

export async function runHandshake(url: string, origin: string, ratePerSecond: number | null): Promise<HandshakeVerdict> {
  const { method, headers } = handshakeRequest(origin, ratePerSecond);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { ...headers, "user-agent": USER_AGENT },
      // Consent from wherever a redirect points is not consent from this URL (and the target
      // may be an address the URL check never saw): 3xx refuses, see handshakeVerdict.
      redirect: "manual",
      signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS),
    });
  } catch (err) {
    const aborted = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    const why = aborted ? `no answer within ${HANDSHAKE_TIMEOUT_MS / 1000} s` : err instanceof Error ? err.message : String(err);
    return { ok: false, reason: `handshake failed: ${why}` };
  }
  // Only the status and headers count; the body is never read.
  res.body?.cancel().catch(() => {});
  return handshakeVerdict(res.status, res.headers, origin);
}
