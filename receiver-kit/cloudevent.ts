/** Reads a CloudEvent out of an HTTP request's headers and body, in structured (§3.2) or binary (§3.1) content mode of the CloudEvents HTTP Protocol Binding 1.0. */
import { headerEntries, headerValue, type HeadersLike } from "./headers";

/** A CloudEvent as the JSON format shapes it (CloudEvents JSON Event Format 1.0). */
export type CloudEvent = {
  specversion: string;
  id: string;
  source: string;
  type: string;
  [attribute: string]: unknown;
};

export type ContentMode = "structured" | "binary";
export type ParseResult =
  | { ok: true; event: CloudEvent; mode: ContentMode }
  /** 415 when the request is no CloudEvent this kit reads (Web Hooks §2.2), 400 when it is a broken one. */
  | { ok: false; status: 400 | 415; reason: string };

const STRUCTURED = "application/cloudevents+json";
const BATCH = "application/cloudevents-batch+json";

/**
 * @param body the body as text (changecast's bodies are JSON, so UTF-8 text)
 *
 * Binary-mode attribute values are strings (their canonical string form, §3.1.3.2), where the
 * structured form keeps JSON types: `lamport` is "17" in one and 17 in the other. `sequence`
 * is a string in both.
 */
export function parseCloudEvent(headers: HeadersLike, body: string): ParseResult {
  const contentType = headerValue(headers, "content-type");
  const essence = mediaTypeEssence(contentType ?? "");
  if (essence === STRUCTURED) return structured(body);
  // §3.3 batched mode: changecast never sends it, and acknowledging a batch as one event would lose the rest.
  if (essence === BATCH) return { ok: false, status: 415, reason: "batched content mode is not supported" };
  if (headerValue(headers, "ce-specversion") !== undefined) return binary(headers, contentType, body);
  return { ok: false, status: 415, reason: `not a CloudEvent: content-type ${JSON.stringify(contentType ?? "")} and no ce-specversion header` };
}

/** §3.2.2: the body is the whole event in the JSON format. */
function structured(body: string): ParseResult {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return { ok: false, status: 400, reason: "structured body is not JSON" };
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) return { ok: false, status: 400, reason: "structured body is not a JSON object" };
  return required(event as Record<string, unknown>, "structured");
}

/** §3.1: attributes in `ce-*` headers, `datacontenttype` in Content-Type, data as the body. */
function binary(headers: HeadersLike, contentType: string | undefined, body: string): ParseResult {
  const event: Record<string, unknown> = {};
  for (const [name, raw] of headerEntries(headers)) {
    // §3.1.3.1: the attribute name prefixed with `ce-`; names arrive lower-cased (headerEntries).
    if (!name.startsWith("ce-") || name.length === 3) continue;
    const attribute = name.slice(3);
    // §3.1.1: a ce-datacontenttype header MUST NOT be present; Content-Type is authoritative.
    if (attribute === "datacontenttype" || attribute === "data") continue;
    const value = decodeHeaderValue(raw);
    if (value === null) return { ok: false, status: 400, reason: `header ${name} is not valid percent-encoded UTF-8 (HTTP binding §3.1.3.2)` };
    event[attribute] = value;
  }
  if (contentType !== undefined) event.datacontenttype = contentType;
  // §3.1.2: the body is the data. JSON media types (JSON format §3.1: */json, */*+json) are parsed
  // so `data` has the same shape in both modes; an empty body is "no data".
  if (body !== "") {
    if (isJsonMediaType(contentType ?? "application/json")) {
      try {
        event.data = JSON.parse(body);
      } catch {
        return { ok: false, status: 400, reason: `body is not the JSON its content-type ${JSON.stringify(contentType)} says` };
      }
    } else {
      event.data = body;
    }
  }
  return required(event, "binary");
}

/** CloudEvents 1.0 §3.1 "REQUIRED Attributes": without them it is not a CloudEvent. */
function required(event: Record<string, unknown>, mode: ContentMode): ParseResult {
  if (event.specversion !== "1.0") return { ok: false, status: 400, reason: `specversion must be "1.0", got ${JSON.stringify(event.specversion)}` };
  for (const name of ["id", "source", "type"] as const) {
    if (typeof event[name] !== "string" || event[name] === "") return { ok: false, status: 400, reason: `missing required attribute ${name}` };
  }
  return { ok: true, event: event as CloudEvent, mode };
}

/**
 * §3.1.3.2 decoding: first undo an RFC 9110 §5.6.4 quoted-string (older senders quoted values
 * instead of encoding spaces and quotes, and receivers MUST accept that), then exactly one round
 * of percent-decoding. Byte sequences that are not valid UTF-8 (e.g. the overlong "%C0%A0") MUST
 * be rejected: null. decodeURIComponent does exactly one round and throws on invalid UTF-8.
 */
export function decodeHeaderValue(raw: string): string | null {
  let value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

function mediaTypeEssence(contentType: string): string {
  return contentType.split(";", 1)[0]!.trim().toLowerCase();
}

// CloudEvents JSON format §3.1: JSON content is "*/json" or "*/*+json", parameters aside.
function isJsonMediaType(contentType: string): boolean {
  const essence = mediaTypeEssence(contentType);
  return essence.endsWith("/json") || essence.endsWith("+json");
}
