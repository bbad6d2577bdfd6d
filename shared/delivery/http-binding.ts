/**
 * A CloudEvent as an HTTP request (CloudEvents HTTP Protocol Binding 1.0): headers and the exact
 * body to sign and send, in structured (§3.2) or binary (§3.1) content mode. Pure.
 */
import { Buffer } from "node:buffer";
import type { ContentMode } from "../routing/route";

export type { ContentMode };

/** DESIGN.md "Webhooks": exactly this media type, no charset parameter (JSON is UTF-8 by RFC 8259 §8.1). */
export const STRUCTURED_CONTENT_TYPE = "application/cloudevents+json";
/** CloudEvents JSON format §3.1.1: data with no datacontenttype is treated as application/json. */
export const DEFAULT_DATA_CONTENT_TYPE = "application/json";

export type WebhookEvent = Readonly<Record<string, unknown>> & { id: string; data?: unknown; datacontenttype?: string };

/** The request for one event: `body` is exactly what must be signed (shared/delivery/signing.ts) and sent. */
export function webhookRequest(event: WebhookEvent, mode: ContentMode): { headers: Record<string, string>; body: string } {
  if (mode === "structured") {
    // §3.2.2: the event format (JSON) carries every attribute and data in the body.
    return { headers: { "content-type": STRUCTURED_CONTENT_TYPE }, body: JSON.stringify(event) };
  }
  // Binary data needs a byte body; every changecast event carries JSON data, so refuse, never garble.
  if (event.data_base64 !== undefined) throw new TypeError("binary content mode cannot send data_base64 as a string body");
  const contentType = event.datacontenttype ?? DEFAULT_DATA_CONTENT_TYPE;
  // §3.1.1: Content-Type is datacontenttype, and a ce-datacontenttype header MUST NOT also be present.
  const headers: Record<string, string> = { "content-type": contentType };
  for (const [name, value] of Object.entries(event)) {
    // `data` is the body (§3.1.2); datacontenttype went to Content-Type above.
    if (name === "data" || name === "datacontenttype") continue;
    // JSON format §2.2: a null attribute "MUST be treated as the equivalent of unset"; unset has no header.
    if (value === undefined || value === null) continue;
    // §3.1.3.1: the attribute's name with a `ce-` prefix (names are already lower-case).
    headers[`ce-${name}`] = percentEncode(canonicalString(name, value));
  }
  return { headers, body: binaryBody(event.data, contentType) };
}

/**
 * §3.1.2: the data bytes are the body. JSON media types get JSON; a string under any other media
 * type is already its own bytes. No data, no body.
 */
function binaryBody(data: unknown, contentType: string): string {
  if (data === undefined) return "";
  if (typeof data === "string" && !isJsonMediaType(contentType)) return data;
  return JSON.stringify(data);
}

// CloudEvents JSON format §3.1.1: JSON-formatted content is "*/json" or "*/*+json", parameters aside.
function isJsonMediaType(contentType: string): boolean {
  const essence = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return essence.endsWith("/json") || essence.endsWith("+json");
}

/**
 * §3.1.3.2: a header value is the attribute type's canonical string (CloudEvents "Type System"):
 * Integer and Boolean in decimal and `true`/`false`, Binary as base64, Timestamp as RFC 3339.
 */
function canonicalString(name: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (value instanceof Date) return value.toISOString();
  throw new TypeError(`context attribute ${JSON.stringify(name)} has no CloudEvents string form (${typeof value})`);
}

const utf8 = new TextEncoder();

/**
 * §3.1.3.2 percent-encoding: space, `"`, `%` and everything outside printable US-ASCII
 * (U+0021–U+007E) become the `%XY` (upper-case) of their UTF-8 bytes; a surrogate pair is one
 * character. A lone surrogate has no UTF-8 form and is sent as U+FFFD, as TextEncoder does.
 */
export function percentEncode(value: string): string {
  let out = "";
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code >= 0x21 && code <= 0x7e && code !== 0x22 && code !== 0x25) {
      out += char;
      continue;
    }
    for (const byte of utf8.encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
