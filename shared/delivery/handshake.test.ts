/**
 * shared/delivery/handshake.ts against "HTTP 1.1 Web Hooks for Event Delivery" §4.1 (the
 * validation request) and §4.2 (the validation response); each row names its clause.
 */
import { describe, expect, it } from "vitest";
import { effectiveRate, handshakeRequest, handshakeVerdict } from "./handshake";

const ORIGIN = "changecast.dev";
type Answer = { clause: string; status: number; headers: Record<string, string> };

describe("§4.1 validation request", () => {
  it.each([
    { clause: "§4.1.2 origin only, without a rate", rate: null, headers: { "WebHook-Request-Origin": ORIGIN } },
    { clause: "§4.1.4 2/s is 120 per minute", rate: 2, headers: { "WebHook-Request-Origin": ORIGIN, "WebHook-Request-Rate": "120" } },
    { clause: "§4.1.4 a fraction per minute rounds up", rate: 0.51, headers: { "WebHook-Request-Origin": ORIGIN, "WebHook-Request-Rate": "31" } },
    { clause: "§4.1.4 a positive integer, never 0", rate: 0.001, headers: { "WebHook-Request-Origin": ORIGIN, "WebHook-Request-Rate": "1" } },
  ])("$clause", ({ rate, headers }) => {
    expect(handshakeRequest(ORIGIN, rate)).toEqual({ method: "OPTIONS", headers });
  });
});

describe("§4.2 validation response: consent", () => {
  it.each<Answer & { allowedRate: number | null }>([
    { clause: "§4.2.1 the origin echoed, no rate → no cap", status: 200, headers: { "WebHook-Allowed-Origin": ORIGIN }, allowedRate: null },
    { clause: "§4.2.1 '*' allows every origin", status: 200, headers: { "WebHook-Allowed-Origin": "*" }, allowedRate: null },
    { clause: "§4.2.1 host names compare case-insensitively", status: 204, headers: { "webhook-allowed-origin": "ChangeCast.DEV" }, allowedRate: null },
    { clause: "§4.2.2 '*' rate is no limit", status: 200, headers: { "WebHook-Allowed-Origin": ORIGIN, "WebHook-Allowed-Rate": "*" }, allowedRate: null },
    { clause: "§4.2.2 120 per minute is 2 per second", status: 200, headers: { "WebHook-Allowed-Origin": ORIGIN, "WebHook-Allowed-Rate": "120" }, allowedRate: 2 },
    { clause: "§4.2.2 30 per minute is 0.5 per second", status: 200, headers: { "webhook-allowed-origin": ORIGIN, "webhook-allowed-rate": " 30 " }, allowedRate: 0.5 },
  ])("$clause", ({ status, headers, allowedRate }) => {
    expect(handshakeVerdict(status, headers, ORIGIN)).toEqual({ ok: true, allowedRate });
    expect(handshakeVerdict(status, new Headers(headers), ORIGIN)).toEqual({ ok: true, allowedRate });
  });
});

describe("§4.2 validation response: no consent, with the reason", () => {
  it.each<Answer & { reason: RegExp }>([
    { clause: "§4.2 a 200 without the header is not consent", status: 200, headers: {}, reason: /no WebHook-Allowed-Origin/ },
    { clause: "§4.2 an Allow header alone is not consent", status: 200, headers: { allow: "POST, OPTIONS" }, reason: /no WebHook-Allowed-Origin/ },
    { clause: "§4.2 405: OPTIONS not supported", status: 405, headers: { "WebHook-Allowed-Origin": ORIGIN }, reason: /HTTP 405/ },
    { clause: "§4.2 403 with the header is still a refusal", status: 403, headers: { "WebHook-Allowed-Origin": "*" }, reason: /HTTP 403/ },
    { clause: "§4.2 5xx", status: 503, headers: {}, reason: /HTTP 503/ },
    { clause: "redirects are not followed", status: 302, headers: { location: "https://elsewhere.example/" }, reason: /HTTP 302 \(redirects are not followed/ },
    { clause: "§4.2.1 another origin", status: 200, headers: { "WebHook-Allowed-Origin": "other.example" }, reason: /"other.example" is neither "changecast.dev" nor "\*"/ },
    { clause: "§4.2.1 empty origin", status: 200, headers: { "WebHook-Allowed-Origin": "" }, reason: /"" is neither/ },
    { clause: "§4.2.2 rate 0", status: 200, headers: { "WebHook-Allowed-Origin": ORIGIN, "WebHook-Allowed-Rate": "0" }, reason: /WebHook-Allowed-Rate "0"/ },
    { clause: "§4.2.2 negative rate", status: 200, headers: { "WebHook-Allowed-Origin": ORIGIN, "WebHook-Allowed-Rate": "-5" }, reason: /WebHook-Allowed-Rate "-5"/ },
    { clause: "§4.2.2 not a number", status: 200, headers: { "WebHook-Allowed-Origin": ORIGIN, "WebHook-Allowed-Rate": "lots" }, reason: /WebHook-Allowed-Rate "lots"/ },
  ])("$clause", ({ status, headers, reason }) => {
    const verdict = handshakeVerdict(status, headers, ORIGIN);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(reason);
  });
});

describe("§4.2.2 the allowed rate caps the route's own limit", () => {
  it.each([
    { limit: null, allowed: null, effective: null },
    { limit: 5, allowed: null, effective: 5 },
    { limit: null, allowed: 2, effective: 2 },
    { limit: 5, allowed: 2, effective: 2 },
    { limit: 1, allowed: 2, effective: 1 },
  ])("limit $limit, allowed $allowed → $effective", ({ limit, allowed, effective }) => {
    expect(effectiveRate(limit, allowed)).toBe(effective);
  });
});
