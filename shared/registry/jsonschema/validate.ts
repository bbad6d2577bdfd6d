/**
 * A small JSON Schema validator for single values. Where the writer's data is a finite set (enum,
 * const, booleans, null) each value is tried against the reader, which is exact. Three answers:
 * valid; invalid, naming the failing keyword; undecided (format, content*, unevaluated*, a pattern
 * that does not compile, an unresolved $ref), which sends the caller back to the structural check.
 */
import { child, deepEqual, isObj, num, regex, strings, type Obj, type Root } from "./context";
import { lowerBound, upperBound, isMultiple } from "./numbers-strings";
import { refOf, resolveRef } from "./refs";
import { kindOfValue, kindsOf } from "./types";

export type Verdict = { ok: true } | { ok: false | undefined; path: string; keyword: string };
/**
 * `reader`: validating on the reader's side, where a missing required property whose schema has a
 * `default` counts as present (Confluent's rule) and a draft-07 `$ref`'s siblings apply (conj.ts
 * says why); on the writer's side neither.
 */
export type Options = { reader: boolean };

const OK: Verdict = { ok: true };
const MAX_DEPTH = 64;
const fail = (path: string, keyword: string): Verdict => ({ ok: false, path: child(path, keyword), keyword });
const undecided = (path: string, keyword: string): Verdict => ({ ok: undefined, path: child(path, keyword), keyword });

export function validate(v: unknown, schema: unknown, root: Root, path: string, opts: Options, depth = 0): Verdict {
  if (schema === false) return { ok: false, path, keyword: "false" };
  if (!isObj(schema)) return OK;
  if (depth > MAX_DEPTH) return undecided(path, "$ref");
  const results: Verdict[] = [];
  const ref = refOf(schema);
  if (ref !== undefined) {
    const target = resolveRef(root, ref);
    const r = target === undefined ? undecided(path, "$ref") : validate(v, target, root, path, opts, depth + 1);
    if (root.draft <= 7 && !opts.reader) return r; // draft-07 core §8.3: siblings of $ref are ignored
    results.push(r);
  }
  const sub = (x: unknown, s: unknown, p: string) => validate(x, s, root, p, opts, depth + 1);
  for (const check of [generic, numeric, text, array, object, combined]) {
    results.push(...check(v, schema, path, sub, opts));
    const bad = results.find((r) => r.ok === false);
    if (bad) return bad;
  }
  return results.find((r) => r.ok === undefined) ?? OK;
}

type Sub = (v: unknown, schema: unknown, path: string) => Verdict;
type Check = (v: unknown, s: Obj, path: string, sub: Sub, opts: Options) => Verdict[];

const generic: Check = (v, s, path) => {
  const out: Verdict[] = [];
  const kinds = kindsOf(s.type);
  if (kinds && !kinds.has(kindOfValue(v))) out.push(fail(path, "type"));
  if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, v))) out.push(fail(path, "enum"));
  if ("const" in s && !deepEqual(s.const, v)) out.push(fail(path, "const"));
  return out;
};

const numeric: Check = (v, s, path) => {
  if (typeof v !== "number") return [];
  const out: Verdict[] = [];
  const lo = lowerBound(s);
  if (lo && (v < lo.value || (lo.exclusive && v === lo.value))) out.push(fail(path, lo.keyword));
  const hi = upperBound(s);
  if (hi && (v > hi.value || (hi.exclusive && v === hi.value))) out.push(fail(path, hi.keyword));
  const m = num(s.multipleOf);
  if (m !== undefined && m > 0 && !isMultiple(v, m)) out.push(fail(path, "multipleOf"));
  return out;
};

const text: Check = (v, s, path) => {
  if (typeof v !== "string") return [];
  const out: Verdict[] = [];
  const length = [...v].length; // code points, not UTF-16 units (validation §6.3.1)
  if (length < (num(s.minLength) ?? 0)) out.push(fail(path, "minLength"));
  if (length > (num(s.maxLength) ?? Infinity)) out.push(fail(path, "maxLength"));
  if (typeof s.pattern === "string") {
    const re = regex(s.pattern);
    out.push(re === null ? undecided(path, "pattern") : re.test(v) ? OK : fail(path, "pattern"));
  }
  for (const k of ["format", "contentEncoding", "contentMediaType"]) if (k in s) out.push(undecided(path, k));
  return out;
};

const array: Check = (v, s, path, sub) => {
  if (!Array.isArray(v)) return [];
  const out: Verdict[] = [];
  const { prefix, prefixKeyword, rest, restKeyword } = tupleOf(s);
  v.forEach((x, i) => out.push(i < prefix.length ? sub(x, prefix[i], child(path, prefixKeyword, i)) : sub(x, rest, child(path, restKeyword))));
  if (v.length < (num(s.minItems) ?? 0)) out.push(fail(path, "minItems"));
  if (v.length > (num(s.maxItems) ?? Infinity)) out.push(fail(path, "maxItems"));
  if (s.uniqueItems === true && v.some((x, i) => v.findIndex((y) => deepEqual(x, y)) !== i)) out.push(fail(path, "uniqueItems"));
  if (s.contains !== undefined) {
    const each = v.map((x) => sub(x, s.contains, child(path, "contains")).ok);
    const min = num(s.minContains) ?? 1;
    const max = num(s.maxContains) ?? Infinity;
    const surely = each.filter((ok) => ok === true).length;
    const maybe = each.filter((ok) => ok !== false).length;
    if (maybe < min) out.push(fail(path, min === 1 && s.minContains === undefined ? "contains" : "minContains"));
    else if (surely > max) out.push(fail(path, "maxContains"));
    else if (surely < min || maybe > max) out.push(undecided(path, "contains"));
  }
  if (s.unevaluatedItems !== undefined && s.unevaluatedItems !== true) out.push(undecided(path, "unevaluatedItems"));
  return out;
};

const object: Check = (v, s, path, sub, opts) => {
  if (!isObj(v)) return [];
  const out: Verdict[] = [];
  const props = isObj(s.properties) ? s.properties : {};
  const patterns = isObj(s.patternProperties) ? Object.entries(s.patternProperties) : [];
  for (const [name, x] of Object.entries(v)) {
    let matched = Object.hasOwn(props, name);
    if (matched) out.push(sub(x, props[name], child(path, "properties", name)));
    for (const [p, ps] of patterns) {
      const re = regex(p);
      if (re === null) out.push(undecided(path, "patternProperties"));
      else if (re.test(name)) (matched = true), out.push(sub(x, ps, child(path, "patternProperties", p)));
    }
    if (!matched && s.additionalProperties !== undefined) out.push(sub(x, s.additionalProperties, child(path, "additionalProperties")));
    if (s.propertyNames !== undefined) out.push(sub(name, s.propertyNames, child(path, "propertyNames")));
  }
  for (const p of strings(s.required)) {
    if (Object.hasOwn(v, p)) continue;
    const ps = props[p];
    if (!(opts.reader && isObj(ps) && "default" in ps)) out.push(fail(path, "required"));
  }
  const count = Object.keys(v).length;
  if (count < (num(s.minProperties) ?? 0)) out.push(fail(path, "minProperties"));
  if (count > (num(s.maxProperties) ?? Infinity)) out.push(fail(path, "maxProperties"));
  for (const keyword of ["dependencies", "dependentRequired", "dependentSchemas"]) {
    const deps = s[keyword];
    if (!isObj(deps)) continue;
    for (const [p, d] of Object.entries(deps)) {
      if (!Object.hasOwn(v, p)) continue;
      if (Array.isArray(d)) out.push(strings(d).every((q) => Object.hasOwn(v, q)) ? OK : { ok: false, path: child(path, keyword, p), keyword });
      else out.push(sub(v, d, child(path, keyword, p)));
    }
  }
  if (s.unevaluatedProperties !== undefined && s.unevaluatedProperties !== true) out.push(undecided(path, "unevaluatedProperties"));
  return out;
};

const combined: Check = (v, s, path, sub) => {
  const out: Verdict[] = [];
  if (Array.isArray(s.allOf)) s.allOf.forEach((m, i) => out.push(sub(v, m, child(path, "allOf", i))));
  if (Array.isArray(s.anyOf)) {
    const each = s.anyOf.map((m, i) => sub(v, m, child(path, "anyOf", i)).ok);
    out.push(each.includes(true) ? OK : each.includes(undefined) ? undecided(path, "anyOf") : fail(path, "anyOf"));
  }
  if (Array.isArray(s.oneOf)) {
    const each = s.oneOf.map((m, i) => sub(v, m, child(path, "oneOf", i)).ok);
    const yes = each.filter((ok) => ok === true).length;
    const maybe = each.filter((ok) => ok === undefined).length;
    out.push(yes === 1 && maybe === 0 ? OK : yes >= 2 || yes + maybe === 0 ? fail(path, "oneOf") : undecided(path, "oneOf"));
  }
  if ("not" in s) {
    const r = sub(v, s.not, child(path, "not")).ok;
    out.push(r === undefined ? undecided(path, "not") : r ? fail(path, "not") : OK);
  }
  if (s.if !== undefined) {
    const cond = sub(v, s.if, child(path, "if")).ok;
    const then = () => sub(v, s.then, child(path, "then"));
    const otherwise = () => sub(v, s.else, child(path, "else"));
    if (cond === true) out.push(then());
    else if (cond === false) out.push(otherwise());
    else out.push(then().ok === true && otherwise().ok === true ? OK : undecided(path, "if"));
  }
  return out;
};

/** Tuple form across drafts: 2020-12 `prefixItems` + `items`; before, `items: [...]` + `additionalItems`. */
export function tupleOf(s: Obj): { prefix: unknown[]; prefixKeyword: string; rest: unknown; restKeyword: string } {
  if (Array.isArray(s.prefixItems)) return { prefix: s.prefixItems, prefixKeyword: "prefixItems", rest: s.items, restKeyword: "items" };
  if (Array.isArray(s.items)) return { prefix: s.items, prefixKeyword: "items", rest: s.additionalItems, restKeyword: "additionalItems" };
  return { prefix: [], prefixKeyword: "items", rest: s.items, restKeyword: "items" };
}
