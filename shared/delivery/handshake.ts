/**
 * CloudEvents webhook abuse protection ("HTTP 1.1 Web Hooks for Event Delivery" §4): the
 * OPTIONS validation request a sender makes before delivering to a new endpoint, and the
 * verdict on its answer. Pure: the caller sends the request and hands the answer in.
 *
 * Rates: the spec counts requests per minute (§4.1.4, §4.2.2); changecast counts per second
 * (a route's `rateLimitPerSecond`), so both directions convert here and nowhere else.
 */

export const REQUEST_ORIGIN = "WebHook-Request-Origin";
export const REQUEST_RATE = "WebHook-Request-Rate";
export const ALLOWED_ORIGIN = "WebHook-Allowed-Origin";
export const ALLOWED_RATE = "WebHook-Allowed-Rate";

export type HandshakeRequest = { method: "OPTIONS"; headers: Record<string, string> };
export type HandshakeVerdict = { ok: true; allowedRate: number | null } | { ok: false; reason: string };

/**
 * §4.1: `WebHook-Request-Origin` names the sending system (the same value on every delivery,
 * §4.1.2); `WebHook-Request-Rate` asks for `ratePerSecond`, as a whole number of requests per
 * minute (rounded up, at least 1), when the route has a rate limit.
 */
export function handshakeRequest(origin: string, ratePerSecond: number | null): HandshakeRequest {
  const headers: Record<string, string> = { [REQUEST_ORIGIN]: origin };
  if (ratePerSecond !== null) headers[REQUEST_RATE] = String(Math.max(1, Math.ceil(ratePerSecond * 60)));
  return { method: "OPTIONS", headers };
}

/**
 * §4.2: consent is a 2xx answer whose `WebHook-Allowed-Origin` is our origin or `*`. A status
 * alone is never consent (an endpoint answering every method with 200 has agreed to nothing),
 * so a missing header refuses. `WebHook-Allowed-Rate` (requests per minute, or `*` for no
 * limit; absent = no limit) comes back as `allowedRate` in requests per second.
 */
export function handshakeVerdict(status: number, headers: Headers | Record<string, string>, origin: string): HandshakeVerdict {
  if (status < 200 || status > 299) {
    const hint = status >= 300 && status < 400 ? " (redirects are not followed: give the final URL)" : "";
    return { ok: false, reason: `handshake refused: the endpoint answered OPTIONS with HTTP ${status}${hint}` };
  }
  const allowedOrigin = header(headers, ALLOWED_ORIGIN);
  if (allowedOrigin === null) return { ok: false, reason: `handshake refused: the answer carries no ${ALLOWED_ORIGIN} header` };
  // Host names compare case-insensitively (RFC 3986 §3.2.2).
  if (allowedOrigin !== "*" && allowedOrigin.toLowerCase() !== origin.toLowerCase()) {
    return { ok: false, reason: `handshake refused: ${ALLOWED_ORIGIN} "${allowedOrigin}" is neither "${origin}" nor "*"` };
  }
  const rate = header(headers, ALLOWED_RATE);
  if (rate === null || rate === "*") return { ok: true, allowedRate: null };
  const perMinute = /^\d+(\.\d+)?$/.test(rate) ? Number(rate) : NaN;
  if (!(perMinute > 0)) return { ok: false, reason: `handshake refused: ${ALLOWED_RATE} "${rate}" is neither a positive number nor "*"` };
  return { ok: true, allowedRate: perMinute / 60 };
}

/** The trimmed header value, or null when absent; a plain record is searched case-insensitively. */
function header(headers: Headers | Record<string, string>, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name)?.trim() ?? null;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === lower) return value.trim();
  return null;
}

/** A route's own limit, capped by what its endpoint allowed in the handshake (§4.2.2); null = unlimited. */
export function effectiveRate(limit: number | null, allowed: number | null): number | null {
  if (limit === null) return allowed;
  return allowed === null ? limit : Math.min(limit, allowed);
}
