/**
 * Conformance of shared/routing/filter.ts with the CloudEvents Subscriptions API §3.2.4 (Filters):
 * the six mandatory dialects, their evaluation, and rejection of what the schema does not support.
 */
import { describe, expect, it } from "vitest";
import { filterSchema, matchesAll, MAX_FILTER_DEPTH, routeFilterSchema, type Filter } from "./filter";

// The shape of a changecast event's context attributes (DESIGN.md "The event").
const event = {
  specversion: "1.0",
  id: "01890a5d-ac96-774b-bcce-b302099a8057",
  source: "/tenants/t1/locations/l1",
  type: "io.changecast.customer.updated",
  subject: "customer/C-42",
  time: "2026-03-01T12:00:00.000Z",
  datacontenttype: "application/json",
  data: { op: "update", after: { name: "Ada" } },
  sequence: "00000000000000000007",
  partitionkey: "customer/C-42",
  hlc: "001772366400000-000003",
  lamport: 17,
  tenant: "t1",
  location: "l1",
  urgent: true,
} as const;

describe("Subscriptions API §3.2.4.1.1 mandatory dialects, evaluated", () => {
  it.each<{ clause: string; filter: Filter; expected: boolean }>([
    { clause: "exact: equal value matches", filter: { exact: { type: "io.changecast.customer.updated" } }, expected: true },
    { clause: "exact: case-sensitive", filter: { exact: { type: "IO.changecast.customer.updated" } }, expected: false },
    { clause: "exact: every named attribute must match", filter: { exact: { tenant: "t1", location: "l2" } }, expected: false },
    { clause: "exact: several attributes all matching", filter: { exact: { tenant: "t1", location: "l1" } }, expected: true },
    { clause: "exact: extension attribute", filter: { exact: { partitionkey: "customer/C-42" } }, expected: true },
    { clause: "exact: integer extension compared as its string", filter: { exact: { lamport: "17" } }, expected: true },
    { clause: "exact: integer extension, other number", filter: { exact: { lamport: "170" } }, expected: false },
    { clause: "exact: boolean extension compared as its string", filter: { exact: { urgent: "true" } }, expected: true },
    { clause: "exact: missing attribute never matches", filter: { exact: { traceparent: "00-abc" } }, expected: false },
    { clause: "exact: data is not a context attribute", filter: { exact: { data: "x" } }, expected: false },
    { clause: "prefix: matches a leading part", filter: { prefix: { type: "io.changecast.customer." } }, expected: true },
    { clause: "prefix: the whole value is its own prefix", filter: { prefix: { subject: "customer/C-42" } }, expected: true },
    { clause: "prefix: case-sensitive", filter: { prefix: { type: "IO." } }, expected: false },
    { clause: "prefix: missing attribute never matches", filter: { prefix: { dataschema: "https://" } }, expected: false },
    { clause: "prefix: integer extension stringified", filter: { prefix: { lamport: "1" } }, expected: true },
    { clause: "suffix: matches a trailing part", filter: { suffix: { type: ".updated" } }, expected: true },
    { clause: "suffix: other trailing part", filter: { suffix: { type: ".deleted" } }, expected: false },
    { clause: "suffix: case-sensitive", filter: { suffix: { subject: "/c-42" } }, expected: false },
    { clause: "suffix: missing attribute never matches", filter: { suffix: { traceparent: "01" } }, expected: false },
    { clause: "all: every nested filter true", filter: { all: [{ exact: { tenant: "t1" } }, { suffix: { type: ".updated" } }] }, expected: true },
    { clause: "all: one nested filter false", filter: { all: [{ exact: { tenant: "t1" } }, { suffix: { type: ".created" } }] }, expected: false },
    { clause: "any: one nested filter true", filter: { any: [{ exact: { tenant: "t9" } }, { suffix: { type: ".updated" } }] }, expected: true },
    { clause: "any: no nested filter true", filter: { any: [{ exact: { tenant: "t9" } }, { suffix: { type: ".created" } }] }, expected: false },
    { clause: "not: inverts a true filter", filter: { not: { exact: { tenant: "t1" } } }, expected: false },
    { clause: "not: inverts a false filter", filter: { not: { exact: { tenant: "t2" } } }, expected: true },
    { clause: "not: of a missing attribute is true", filter: { not: { exact: { traceparent: "00-abc" } } }, expected: true },
    { clause: "not not: double negation", filter: { not: { not: { exact: { tenant: "t1" } } } }, expected: true },
    {
      clause: "nested: all of any and not",
      filter: { all: [{ any: [{ prefix: { subject: "supplier/" } }, { prefix: { subject: "customer/" } }] }, { not: { suffix: { type: ".deleted" } } }] },
      expected: true,
    },
  ])("$clause", ({ filter, expected }) => {
    expect(filterSchema.parse(filter)).toEqual(filter);
    expect(matchesAll([filter], event)).toBe(expected);
  });
});

describe("Subscriptions API §3.2.4: a route's filter list (all must be true)", () => {
  it.each<{ clause: string; filters: Filter[]; expected: boolean }>([
    { clause: "empty list matches everything", filters: [], expected: true },
    { clause: "all true", filters: [{ exact: { tenant: "t1" } }, { prefix: { subject: "customer/" } }], expected: true },
    { clause: "one false sends nothing", filters: [{ exact: { tenant: "t1" } }, { prefix: { subject: "supplier/" } }], expected: false },
  ])("$clause", ({ filters, expected }) => {
    expect(routeFilterSchema.parse(filters)).toEqual(filters);
    expect(matchesAll(filters, event)).toBe(expected);
  });
});

/** Builds `{not: {not: … {exact}}}` with `levels` filter objects in all. */
function nested(levels: number): unknown {
  let f: unknown = { exact: { type: "x" } };
  for (let i = 1; i < levels; i++) f = { not: f };
  return f;
}

describe("filterSchema rejects what the Subscriptions API or changecast does not allow", () => {
  it.each<{ why: string; input: unknown; message: RegExp }>([
    { why: "sql is optional (§3.2.4.1.2) and not supported", input: { sql: "source LIKE '%x%'" }, message: /unknown filter dialect "sql"/ },
    { why: "unknown dialect next to a known one", input: { exact: { type: "x" }, cesql: "x" }, message: /unknown filter dialect "cesql"/ },
    { why: "unknown dialect nested in all", input: { all: [{ regex: { type: ".*" } }] }, message: /unknown filter dialect "regex"/ },
    { why: "two dialects in one filter object", input: { exact: { type: "x" }, prefix: { subject: "y" } }, message: /exactly one dialect key.*found exact, prefix/ },
    { why: "no dialect at all", input: {}, message: /exactly one dialect key.*found none/ },
    { why: "a second dialect key set to undefined", input: { prefix: { type: "x" }, exact: undefined }, message: /found exact, prefix/ },
    { why: "the only dialect key set to undefined", input: { exact: undefined }, message: /dialect "exact" needs a value/ },
    { why: "not set to undefined", input: { not: undefined }, message: /dialect "not" needs a value/ },
    { why: "exact with no attributes", input: { exact: {} }, message: /at least one attribute/ },
    { why: "prefix with no attributes", input: { prefix: {} }, message: /at least one attribute/ },
    { why: "empty attribute value (§3.2.4.1.1)", input: { suffix: { type: "" } }, message: /must not be empty/ },
    { why: "upper-case attribute name", input: { exact: { Type: "x" } }, message: /"Type" is not a CloudEvents attribute name/ },
    { why: "attribute name with a dash", input: { exact: { "trace-id": "x" } }, message: /"trace-id" is not a CloudEvents attribute name/ },
    { why: "attribute name over 20 characters", input: { exact: { abcdefghijklmnopqrstu: "x" } }, message: /is not a CloudEvents attribute name/ },
    { why: "empty attribute name (§3.2.4.1.1)", input: { exact: { "": "x" } }, message: /is not a CloudEvents attribute name/ },
    { why: "non-string attribute value", input: { exact: { lamport: 17 } }, message: /expected string/ },
    { why: "all with no filters (§3.2.4.1.1)", input: { all: [] }, message: /all needs at least one filter/ },
    { why: "any with no filters (§3.2.4.1.1)", input: { any: [] }, message: /any needs at least one filter/ },
    { why: "all not an array", input: { all: { exact: { type: "x" } } }, message: /expected array/ },
    { why: "not holding an array", input: { not: [{ exact: { type: "x" } }] }, message: /expected object/ },
    { why: "a filter that is a string", input: "type = x", message: /expected object/ },
    { why: "nesting past the depth cap", input: nested(MAX_FILTER_DEPTH + 1), message: new RegExp(`at most ${MAX_FILTER_DEPTH} levels`) },
    { why: "absurd nesting is refused without walking it", input: nested(50_000), message: new RegExp(`at most ${MAX_FILTER_DEPTH} levels`) },
  ])("$why", ({ input, message }) => {
    const result = filterSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join("\n")).toMatch(message);
  });

  it("accepts nesting exactly at the depth cap", () => {
    expect(filterSchema.safeParse(nested(MAX_FILTER_DEPTH)).success).toBe(true);
  });

  it.each([
    { why: "more than 20 filters on a route", input: Array.from({ length: 21 }, () => ({ exact: { type: "x" } })), message: /at most 20 filters/ },
    { why: "a route's filters must be a list", input: { exact: { type: "x" } }, message: /expected array/ },
  ])("routeFilterSchema: $why", ({ input, message }) => {
    const result = routeFilterSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join("\n")).toMatch(message);
  });
});
