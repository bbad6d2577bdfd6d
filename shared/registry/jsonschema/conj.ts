/**
 * A schema as a flat conjunction of plain nodes: `$ref` followed, `allOf` spread, `false` folded to
 * the empty set, and on the writer's side a `not` of one bound rewritten as the opposite bound. Every
 * keyword check then reads one list. Unresolved references become a marker on the reader's side and
 * are dropped on the writer's: dropping a writer constraint only makes the writer larger, so the
 * check stays sound.
 */
import { isObj, num, type Conj, type Ctx, type Obj, type Root, type Sch } from "./context";
import { refOf, resolveRef } from "./refs";
import { complementType } from "./types";

export type Side = "reader" | "writer";

export const UNRESOLVED = "$unresolvedRef";

export function sch(ctx: Ctx, node: Obj, root: Root, path: string, scope: string): Sch {
  return { node, root, path, scope, key: ctx.keyOf(node) };
}

export function flatten(ctx: Ctx, raw: unknown, root: Root, path: string, scope: string, side: Side, seen = new Set<unknown>()): Conj {
  if (raw === false) return null;
  if (!isObj(raw)) return []; // `true`, or not a schema at all: it asserts nothing
  const out: Sch[] = [];
  const ref = refOf(raw);
  if (ref !== undefined) {
    const target = resolveRef(root, ref);
    if (target === undefined) {
      if (side === "reader") out.push(sch(ctx, ctx.derive(raw, "unresolved", () => ({ [UNRESOLVED]: ref })), root, path, scope));
    } else if (!seen.has(target)) {
      // A chain of references that comes back to itself adds nothing new: A ∧ A = A.
      seen.add(target);
      const t = flatten(ctx, target, root, path, `${scope}/$ref`, side, seen);
      seen.delete(target);
      if (t === null) return null;
      out.push(...t);
    }
    // Up to draft-07 a $ref's siblings "MUST be ignored" (draft-07 core §8.3), yet common
    // validators (Ajv 8) apply them; from 2019-09 they apply. So the writer ignores them and the
    // reader applies them: the answer then holds under either reading.
    if (root.draft <= 7 && side === "writer") return out;
  }
  let dropNot = false;
  if (side === "writer" && "not" in raw) {
    const c = complement(ctx, raw.not, root);
    if (c === false) return null;
    if (c !== undefined) {
      out.push(sch(ctx, c, root, `${path}/not`, `${scope}/not`));
      dropNot = true;
    }
  }
  const strip = ref !== undefined || "allOf" in raw || dropNot;
  const rest = strip ? ctx.derive(raw, `rest:${side}`, () => without(raw, ["$ref", "$dynamicRef", "$recursiveRef", "allOf", ...(dropNot ? ["not"] : [])])) : raw;
  if (Object.keys(rest).length > 0) out.push(sch(ctx, rest, root, path, scope));
  if (Array.isArray(raw.allOf)) {
    for (const [i, m] of raw.allOf.entries()) {
      const f = flatten(ctx, m, root, `${path}/allOf/${i}`, `${scope}/allOf/${i}`, side, seen);
      if (f === null) return null;
      out.push(...f);
    }
  }
  return out;
}

export function without(o: Obj, keys: string[]): Obj {
  const copy: Obj = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) copy[k] = v;
  return copy;
}

/** The writer's values for one position, given as raw schemas: all must hold. null when one is `false`. */
export function conjOf(ctx: Ctx, raws: [unknown, Root][]): Conj {
  const out: Sch[] = [];
  for (const [raw, root] of raws) {
    const f = flatten(ctx, raw, root, "#", "#", "writer");
    if (f === null) return null;
    out.push(...f);
  }
  return out;
}

/**
 * ¬S as one plain node, when S is a single bound: not {maxLength: n} is {type: string, minLength:
 * n+1} (the bound only constrains strings, so its negation is strings beyond it), and likewise for
 * numbers, arrays, objects and `type`. `false` means ¬S is empty (S is `true`); undefined: not expressible.
 */
function complement(ctx: Ctx, raw: unknown, root: Root): Obj | false | undefined {
  if (raw === true || (isObj(raw) && Object.keys(raw).length === 0)) return false;
  if (raw === false) return {};
  if (!isObj(raw)) return undefined;
  return ctx.derive(raw, "complement", () => {
    const flat = flatten(ctx, raw, root, "#", "#", "reader");
    if (flat === null) return {};
    if (flat.length !== 1) return undefined;
    const node = flat[0]!.node;
    const keys = Object.keys(node).filter((k) => !ANNOTATIONS.has(k));
    if (keys.length !== 1) return undefined;
    const k = keys[0]!;
    const v = num(node[k]);
    if (k === "type") return complementType(node.type);
    if (v === undefined) return undefined;
    const opposite = OPPOSITE[k];
    if (!opposite) return undefined;
    const [type, keyword, shift] = opposite;
    if (shift !== 0 && !Number.isInteger(v)) return undefined;
    if (shift < 0 && v <= 0) return undefined; // not {minLength: 0} is empty for every kind: leave it alone
    return { type, [keyword]: v + shift };
  });
}

/** keyword → [the only type it constrains, the opposite keyword, how the bound moves]. */
const OPPOSITE: Record<string, [string, string, number]> = {
  maxLength: ["string", "minLength", 1],
  minLength: ["string", "maxLength", -1],
  maxItems: ["array", "minItems", 1],
  minItems: ["array", "maxItems", -1],
  maxProperties: ["object", "minProperties", 1],
  minProperties: ["object", "maxProperties", -1],
  maximum: ["number", "exclusiveMinimum", 0],
  exclusiveMaximum: ["number", "minimum", 0],
  minimum: ["number", "exclusiveMaximum", 0],
  exclusiveMinimum: ["number", "maximum", 0],
};

const ANNOTATIONS = new Set(["$schema", "$id", "id", "$anchor", "$dynamicAnchor", "$recursiveAnchor", "$comment", "$defs", "definitions", "$vocabulary", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"]);

/** Keywords that assert something about an instance once `$ref` and `allOf` are flattened away. */
const ASSERTIONS = new Set([
  "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
  "maxLength", "minLength", "pattern", "format", "contentEncoding", "contentMediaType",
  "items", "prefixItems", "additionalItems", "unevaluatedItems", "contains", "minContains", "maxContains",
  "maxItems", "minItems", "uniqueItems", "properties", "patternProperties", "additionalProperties",
  "unevaluatedProperties", "propertyNames", "maxProperties", "minProperties", "required", "dependencies",
  "dependentRequired", "dependentSchemas", "anyOf", "oneOf", "not", "if", UNRESOLVED,
]);

export const hasAssertions = (node: Obj): boolean => Object.keys(node).some((k) => ASSERTIONS.has(k));
export const isOpen = (c: Sch[]): boolean => c.every((s) => !hasAssertions(s.node));

/** A stable synthetic node (a `type` restriction, a `required`), keyed by its JSON text. */
export function synthetic(ctx: Ctx, node: Obj, root: Root): Sch {
  const canonical = ctx.derive(SYNTHETIC, JSON.stringify(node), () => node);
  return sch(ctx, canonical, root, "#", "#");
}
const SYNTHETIC = {};
