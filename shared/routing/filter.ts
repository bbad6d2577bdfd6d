/**
 * Route filters: the CloudEvents Subscriptions API filter expressions (§3.2.4) — their schema for
 * the admin API and their evaluation against an event's context attributes. Pure.
 */
import { z } from "zod";

/** §3.2.4.1.1: the six mandatory dialects. The optional `sql` dialect is not implemented. */
export type Filter =
  | { exact: Record<string, string> }
  | { prefix: Record<string, string> }
  | { suffix: Record<string, string> }
  | { all: Filter[] }
  | { any: Filter[] }
  | { not: Filter };

export const FILTER_DIALECTS = ["exact", "prefix", "suffix", "all", "any", "not"] as const;
export type FilterDialect = (typeof FILTER_DIALECTS)[number];

/** Filter objects nest at most this deep (a top-level filter is depth 1). */
export const MAX_FILTER_DEPTH = 8;
export const MAX_ROUTE_FILTERS = 20;

// CloudEvents 1.0 "Attribute Naming Convention": lower-case a–z and 0–9, at most 20 characters.
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;

// §3.2.4.1.1 exact/prefix/suffix: "The attribute name and value … MUST NOT be empty strings."
const attributeMap = z
  .record(z.string().regex(ATTRIBUTE_NAME), z.string().min(1, "attribute values must not be empty (Subscriptions API §3.2.4.1.1)"), {
    error: (iss) =>
      iss.code === "invalid_key"
        ? `attribute name ${JSON.stringify(iss.input)} is not a CloudEvents attribute name (lower-case a-z and 0-9, at most 20 characters)`
        : undefined,
  })
  .refine((m) => Object.keys(m).length > 0, "name at least one attribute");

/**
 * One schema per nesting level, built bottom-up: the deepest level rejects all/any/not outright,
 * so an adversarially deep document is refused after MAX_FILTER_DEPTH levels instead of being
 * walked (z.lazy would recurse as deep as the input goes).
 */
function filterAtDepth(depth: number): z.ZodType<Filter> {
  const tooDeep = z.never({ error: `filters nest at most ${MAX_FILTER_DEPTH} levels deep` }).optional();
  const inner = depth < MAX_FILTER_DEPTH ? filterAtDepth(depth + 1) : undefined;
  const schema = z
    .strictObject(
      {
        exact: attributeMap.optional(),
        prefix: attributeMap.optional(),
        suffix: attributeMap.optional(),
        // §3.2.4.1.1 all/any: "there MUST be at least one filter expression in the array."
        all: inner ? z.array(inner).min(1, "all needs at least one filter").optional() : tooDeep,
        any: inner ? z.array(inner).min(1, "any needs at least one filter").optional() : tooDeep,
        not: inner ? inner.optional() : tooDeep,
      },
      {
        // §3.2.4: an unsupported dialect "MUST be rejected with an error" — and `sql` is one.
        error: (iss) =>
          iss.code === "unrecognized_keys"
            ? `unknown filter dialect ${iss.keys.map((k) => JSON.stringify(k)).join(", ")} (supported: ${FILTER_DIALECTS.join(", ")})`
            : undefined,
      },
    )
    .check((ctx) => {
      // Keys, not values: a key set to undefined (possible from JS, not JSON) would mislead `in` checks.
      const present = FILTER_DIALECTS.filter((d) => Object.hasOwn(ctx.value, d));
      const only = present.length === 1 ? present[0]! : undefined;
      if (only && ctx.value[only] !== undefined) return;
      // A lone unknown key already has its own issue; "found none" would only add noise.
      if (present.length === 0 && ctx.issues.length > 0) return;
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: only
          ? `filter dialect "${only}" needs a value`
          : `a filter has exactly one dialect key (${FILTER_DIALECTS.join(", ")}), found ${present.length === 0 ? "none" : present.join(", ")}`,
      });
    });
  // Sound because the check above admits exactly one dialect key, which is what Filter says.
  return schema as unknown as z.ZodType<Filter>;
}

export const filterSchema: z.ZodType<Filter> = filterAtDepth(1);

/** A route's filters: all must match (§3.2.4 "If any … evaluate to false, the event MUST NOT be sent"); none = everything. */
export const routeFilterSchema = z.array(filterSchema).max(MAX_ROUTE_FILTERS, `a route has at most ${MAX_ROUTE_FILTERS} filters`);

/** True when the event with these context attributes passes every filter (an empty list passes all). */
export function matchesAll(filters: readonly Filter[], attributes: Readonly<Record<string, unknown>>): boolean {
  return filters.every((f) => matches(f, attributes));
}

function matches(filter: Filter, attributes: Readonly<Record<string, unknown>>): boolean {
  if ("exact" in filter) return eachAttribute(filter.exact, attributes, (value, wanted) => value === wanted);
  if ("prefix" in filter) return eachAttribute(filter.prefix, attributes, (value, wanted) => value.startsWith(wanted));
  if ("suffix" in filter) return eachAttribute(filter.suffix, attributes, (value, wanted) => value.endsWith(wanted));
  if ("all" in filter) return filter.all.every((f) => matches(f, attributes));
  if ("any" in filter) return filter.any.some((f) => matches(f, attributes));
  if ("not" in filter) return !matches(filter.not, attributes);
  // Unreachable for schema-validated filters; a stored filter we cannot read must not match.
  return false;
}

/** Every named attribute is present and passes `test`; a missing attribute fails (and so `not` of it passes). */
function eachAttribute(
  wanted: Readonly<Record<string, string>>,
  attributes: Readonly<Record<string, unknown>>,
  test: (value: string, wanted: string) => boolean,
): boolean {
  for (const [name, expected] of Object.entries(wanted)) {
    const value = attributeString(attributes, name);
    if (value === undefined || !test(value, expected)) return false;
  }
  return true;
}

/**
 * An attribute's canonical string (CloudEvents 1.0 "Type System"): strings as they are, Integer and
 * Boolean stringified. `data` is the payload, not a context attribute, and objects have no canonical
 * string, so both count as missing.
 */
function attributeString(attributes: Readonly<Record<string, unknown>>, name: string): string | undefined {
  if (name === "data" || !Object.hasOwn(attributes, name)) return undefined;
  const value = attributes[name];
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return undefined;
}
