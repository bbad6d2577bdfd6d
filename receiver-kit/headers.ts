/** Header access that works the same for a Fetch `Headers` and a plain object (Node's `req.headers`, a test fixture). */

/** What the kit accepts as headers: a Fetch `Headers`, or a plain object with any key case. */
export type HeadersLike = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function isFetchHeaders(headers: HeadersLike): headers is Headers {
  return typeof (headers as Headers).get === "function" && typeof (headers as Headers).forEach === "function";
}

/**
 * Every header as `[lower-case name, value]`. Header names are case-insensitive (RFC 9110 §5.1),
 * and a plain object may spell them any way, so names are folded here, once. Repeated fields are
 * joined with ", " as RFC 9110 §5.3 combines them (and as `Headers.get` does).
 */
export function headerEntries(headers: HeadersLike): [string, string][] {
  const out: [string, string][] = [];
  if (isFetchHeaders(headers)) {
    headers.forEach((value, name) => out.push([name.toLowerCase(), value]));
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out.push([name.toLowerCase(), typeof value === "string" ? value : value.join(", ")]);
  }
  return out;
}

/** One header's value, or undefined when absent; `name` must be lower-case. */
export function headerValue(headers: HeadersLike, name: string): string | undefined {
  if (isFetchHeaders(headers)) return headers.get(name) ?? undefined;
  let found: string | undefined;
  for (const [key, value] of headerEntries(headers)) {
    if (key === name) found = found === undefined ? value : `${found}, ${value}`;
  }
  return found;
}
