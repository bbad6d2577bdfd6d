/**
 * Enumerated data: when the writer can only write a finite set of values (enum, const, or a type
 * of booleans and null), each value is validated against the reader, which is exact; otherwise a
 * reader `enum`/`const` restricts data the writer leaves open (ENUM_ADDED, CONST_ADDED).
 */
import type { Incompatibility } from "../compatibility";
import { deepEqual, issue, child, show, type Sch } from "./context";
import type { JsonSchemaRule } from "./index";
import { writerKinds } from "./types";
import { validate, type Verdict } from "./validate";

/** The values the writer's conjunction can produce, when finitely many; each must pass every node. */
export function finiteValues(W: Sch[]): unknown[] | undefined {
  let values: unknown[] | undefined;
  for (const s of W) {
    for (const own of [Array.isArray(s.node.enum) ? s.node.enum : undefined, "const" in s.node ? [s.node.const] : undefined]) {
      if (!own) continue;
      values = values === undefined ? [...own] : values.filter((v) => own.some((o) => deepEqual(o, v)));
    }
  }
  if (values === undefined) {
    const kinds = writerKinds(W);
    if (![...kinds].every((k) => k === "null" || k === "boolean")) return undefined;
    values = [...(kinds.has("null") ? [null] : []), ...(kinds.has("boolean") ? [true, false] : [])];
  }
  // A value the writer's own schema rejects is never written (an enum entry of the wrong type).
  const written = values.filter((v) => W.every((s) => validate(v, s.node, s.root, s.path, { reader: false }).ok !== false));
  return written.filter((v, i) => written.findIndex((x) => deepEqual(x, v)) === i);
}

/** Keyword → rule when a reader keyword rejects one of the writer's values. */
const RULE_OF: Record<string, JsonSchemaRule> = {
  type: "TYPE_NARROWED",
  enum: "ENUM_VALUES_REMOVED",
  const: "CONST_CHANGED",
  minimum: "MINIMUM_INCREASED",
  exclusiveMinimum: "MINIMUM_INCREASED",
  maximum: "MAXIMUM_DECREASED",
  exclusiveMaximum: "MAXIMUM_DECREASED",
  multipleOf: "MULTIPLE_OF_CHANGED",
  minLength: "MIN_LENGTH_INCREASED",
  maxLength: "MAX_LENGTH_DECREASED",
  pattern: "PATTERN_CHANGED",
  minItems: "MIN_ITEMS_INCREASED",
  maxItems: "MAX_ITEMS_DECREASED",
  uniqueItems: "UNIQUE_ITEMS_ADDED",
  contains: "CONTAINS_NARROWED",
  minContains: "CONTAINS_NARROWED",
  maxContains: "MAX_CONTAINS_DECREASED",
  required: "REQUIRED_PROPERTY_ADDED_WITHOUT_DEFAULT",
  minProperties: "MIN_PROPERTIES_INCREASED",
  maxProperties: "MAX_PROPERTIES_DECREASED",
  dependencies: "DEPENDENT_REQUIRED_ADDED",
  dependentRequired: "DEPENDENT_REQUIRED_ADDED",
  anyOf: "ANY_OF_NARROWED",
  oneOf: "ONE_OF_NARROWED",
  not: "NOT_ADDED",
};

function ruleOf(v: Verdict & { ok: false }): JsonSchemaRule {
  if (v.keyword !== "false") return RULE_OF[v.keyword] ?? "ENUM_VALUES_REMOVED";
  if (/\/(items|additionalItems|prefixItems|unevaluatedItems)(\/\d+)?$/.test(v.path)) return "ITEM_REMOVED_FROM_CLOSED_MODEL";
  if (/\/(additionalProperties|unevaluatedProperties|properties\/[^/]+|patternProperties\/[^/]+)$/.test(v.path)) return "PROPERTY_REMOVED_FROM_CLOSED_MODEL";
  return "FALSE_SCHEMA";
}

/**
 * Every writer value against the reader node: the findings, grouped by where the reader rejects
 * them; undefined when some value cannot be decided (then the structural check answers instead).
 */
export function checkValues(r: Sch, values: unknown[]): Incompatibility[] | undefined {
  const rejected = new Map<string, { path: string; rule: JsonSchemaRule; keyword: string; values: unknown[] }>();
  for (const v of values) {
    const verdict = validate(v, r.node, r.root, r.path, { reader: true });
    if (verdict.ok === undefined) return undefined;
    if (verdict.ok) continue;
    const rule = ruleOf(verdict as Verdict & { ok: false });
    const key = `${verdict.path} ${rule}`;
    const entry = rejected.get(key) ?? { path: verdict.path, rule, keyword: verdict.keyword, values: [] };
    entry.values.push(v);
    rejected.set(key, entry);
  }
  return [...rejected.values()].map(({ path, rule, keyword, values: vs }) =>
    issue(path, rule, `the writer may write ${vs.map(show).join(", ")}, which the reader's ${keyword === "false" ? "schema false" : keyword} rejects`),
  );
}

/** Reader enum/const against a writer that is not a finite set (or whose values could not be decided). */
export function checkEnumConst(r: Sch, values: unknown[] | undefined): Incompatibility[] {
  const out: Incompatibility[] = [];
  const e = r.node.enum;
  if (Array.isArray(e)) {
    if (!values) out.push(issue(child(r.path, "enum"), "ENUM_ADDED", `the reader allows only ${e.map(show).join(", ")} but the writer's values are not restricted to them`));
    else {
      const missing = values.filter((v) => !e.some((x) => deepEqual(x, v)));
      if (missing.length) out.push(issue(child(r.path, "enum"), "ENUM_VALUES_REMOVED", `the reader's enum lacks ${missing.map(show).join(", ")}, which the writer may write`));
    }
  }
  if ("const" in r.node) {
    const c = r.node.const;
    if (!values) out.push(issue(child(r.path, "const"), "CONST_ADDED", `the reader allows only ${show(c)} but the writer's values are not restricted to it`));
    else if (values.some((v) => !deepEqual(v, c))) out.push(issue(child(r.path, "const"), "CONST_CHANGED", `the reader allows only ${show(c)} but the writer may write ${values.filter((v) => !deepEqual(v, c)).map(show).join(", ")}`));
  }
  return out;
}
