/** Answers the CloudEvents web hook abuse-protection handshake (HTTP 1.1 Web Hooks for Event Delivery §4): an OPTIONS pre-flight asking "may I send here?". */
import { headerValue } from "./headers";

export type HandshakeOptions = {
  /**
   * Sender origins (DNS names, `WebHook-Request-Origin`) this endpoint consents to, or "*" for any.
   * Compared case-insensitively: DNS names are (RFC 4343).
   */
  allowedOrigins: readonly string[] | "*";
  /** Requests per minute granted (`WebHook-Allowed-Rate`, §4.2.2), or "*" for no limit. */
  allowedRate?: number | "*";
};

/** The methods this endpoint serves: deliveries (§2.1 MUST be POST) and the handshake. */
export const ALLOW = "POST, OPTIONS";

/**
 * The §4.2 validation response for `request`:
 * - 200 with `WebHook-Allowed-Origin` (the origin as sent, or "*" when any origin is allowed,
 *   §4.2.1), `Allow` naming POST (§4.2 SHOULD), and `WebHook-Allowed-Rate` when configured.
 * - 403 without any `WebHook-Allowed-*` header when the origin is not allowed. §4.2 says consent is
 *   the headers, not the status ("the handshake cannot rely on status codes"), so withholding
 *   them is the refusal; 403 just says so plainly to a human reading logs.
 * - 400 for an OPTIONS without `WebHook-Request-Origin` (§4.1.2: it MUST be present), 405 for
 *   any other method.
 *
 * `WebHook-Request-Callback` (§4.1.3) is deliberately ignored: the answer above grants (or refuses)
 * synchronously, which §4.2 allows, and the kit never calls the URL: fetching a URL that an
 * unauthenticated OPTIONS request supplied would make this endpoint a request forger (SSRF). A
 * sender that only supports callbacks can be approved by an administrator opening the URL (§4.1.3).
 */
export function answerHandshake(request: Request, options: HandshakeOptions): Response {
  const config = checkHandshakeOptions(options);
  if (request.method !== "OPTIONS") return new Response(null, { status: 405, headers: { allow: ALLOW } });
  const origin = headerValue(request.headers, "webhook-request-origin")?.trim();
  if (!origin) {
    return Response.json({ error: "missing WebHook-Request-Origin (CloudEvents Web Hooks §4.1.2)" }, { status: 400, headers: { allow: ALLOW } });
  }
  const allowed = config.allowedOrigins === "*" || config.allowedOrigins.includes(origin.toLowerCase());
  if (!allowed) return new Response(null, { status: 403, headers: { allow: ALLOW } });

  const headers = new Headers({ allow: ALLOW, "webhook-allowed-origin": config.allowedOrigins === "*" ? "*" : origin });
  // §4.2.2: the rate MUST be returned when the sender asked for one (§4.1.4). With no configured
  // limit the truthful answer is "*"; with none asked and none configured it is left out.
  const asked = headerValue(request.headers, "webhook-request-rate") !== undefined;
  if (config.allowedRate !== undefined) headers.set("webhook-allowed-rate", String(config.allowedRate));
  else if (asked) headers.set("webhook-allowed-rate", "*");
  return new Response(null, { status: 200, headers });
}

/** Validates the configuration once; `createReceiver` calls it at start-up so a typo fails fast. */
export function checkHandshakeOptions(options: HandshakeOptions): { allowedOrigins: readonly string[] | "*"; allowedRate: number | "*" | undefined } {
  const { allowedOrigins, allowedRate } = options;
  if (allowedOrigins !== "*" && (!Array.isArray(allowedOrigins) || allowedOrigins.some((o) => typeof o !== "string" || o.trim() === ""))) {
    throw new TypeError('handshake allowedOrigins must be "*" or a list of origin names');
  }
  // §4.2.2: "an asterisk character or the string representation of a positive integer number greater than zero".
  if (allowedRate !== undefined && allowedRate !== "*" && !(Number.isInteger(allowedRate) && allowedRate > 0)) {
    throw new RangeError(`handshake allowedRate must be "*" or an integer > 0, got ${allowedRate}`);
  }
  return { allowedOrigins: allowedOrigins === "*" ? "*" : allowedOrigins.map((o) => o.trim().toLowerCase()), allowedRate };
}
