/**
 * Object content models: for each property name the reader constrains or the writer may write,
 * the reader's schema for it must accept every value the writer's schemas for it allow. A name is
 * governed by `properties` plus matching `patternProperties`, else by `additionalProperties`
 * (draft 2020-12 core §10.3.2), else, when nothing evaluated it, by `unevaluatedProperties` (§11.3).
 * Open (no additionalProperties), partially open (a schema) and closed (false) models follow
 * Confluent's rule names.
 */
import type { Incompatibility } from "../compatibility";
import { child, isObj, issue, regex, summarize, type Conj, type Ctx, type Obj, type Root, type Sch } from "./context";
import { conjOf, isOpen } from "./conj";

export const propsOf = (n: Obj): Obj => (isObj(n.properties) ? n.properties : {});
export const patternsOf = (n: Obj): [string, unknown][] => (isObj(n.patternProperties) ? Object.entries(n.patternProperties) : []);
export const isClosed = (n: Obj): boolean => n.additionalProperties === false && patternsOf(n).length === 0;

type Own = { schema: unknown; path: string };

/**
 * The schemas one node applies to `name`: its own (properties and matching patterns) or its
 * additionalProperties. A pattern that does not compile: `maybe` says whether to count it as
 * matching (the reader: stricter is safe) or to give up on the node (the writer: undefined).
 */
function slotOf(s: Sch, name: string, maybe: boolean): { own: Own[]; fallback: unknown } | undefined {
  const own: Own[] = [];
  const props = propsOf(s.node);
  if (Object.hasOwn(props, name)) own.push({ schema: props[name], path: child(s.path, "properties", name) });
  for (const [p, schema] of patternsOf(s.node)) {
    const re = regex(p);
    if (re === null && !maybe) return undefined;
    if (re === null || re.test(name)) own.push({ schema, path: child(s.path, "patternProperties", p) });
  }
  return { own, fallback: own.length ? undefined : s.node.additionalProperties };
}

/** What the writer's conjunction says about the value of `name`, and whether it names it itself. */
export function writerFor(ctx: Ctx, W: Sch[], name: string): { conj: Conj; own: boolean } {
  const raws: [unknown, Root][] = [];
  let own = false;
  for (const s of W) {
    const slot = slotOf(s, name, false);
    if (!slot) continue;
    if (slot.own.length) (own = true), slot.own.forEach((o) => raws.push([o.schema, s.root]));
    else if (slot.fallback !== undefined) raws.push([slot.fallback, s.root]);
  }
  if (!own && !evaluatesMore(W)) for (const s of W) if (s.node.unevaluatedProperties !== undefined) raws.push([s.node.unevaluatedProperties, s.root]);
  return { conj: conjOf(ctx, raws), own };
}

/**
 * Writer nodes that may evaluate properties we do not track (conditionals, dependent schemas,
 * unsplit unions): their unevaluatedProperties is then ignored, which only makes the writer larger.
 */
const evaluatesMore = (W: Sch[]) => W.some((s) => ["if", "dependentSchemas", "dependencies", "anyOf", "oneOf"].some((k) => k in s.node));

/** The reader node's own subtree: nodes flattened from its own allOf/$ref (its in-place applicators). */
export const subtree = (r: Sch, rConj: Sch[]) => rConj.filter((s) => s.scope === r.scope || s.scope.startsWith(`${r.scope}/`));

export function checkProperties(ctx: Ctx, r: Sch, rConj: Sch[], W: Sch[]): Incompatibility[] {
  const names = new Set([...Object.keys(propsOf(r.node)), ...W.flatMap((s) => Object.keys(propsOf(s.node)))]);
  const out = [...names].flatMap((name) => checkName(ctx, r, rConj, W, name));
  out.push(...checkPatterns(ctx, r, W));
  const own = subtree(r, rConj);
  for (const [keyword, rule, excluded] of [
    ["additionalProperties", "ADDITIONAL_PROPERTIES_NARROWED", patternsOf(r.node)],
    ["unevaluatedProperties", "UNEVALUATED_PROPERTIES_NARROWED", own.flatMap((s) => patternsOf(s.node))],
  ] as const) {
    const target = r.node[keyword];
    if (target === undefined || target === true) continue;
    const at = child(r.path, keyword);
    const skip = new Set(excluded.map(([p]) => p));
    for (const alt of alternatives(ctx, W, skip)) {
      const inner = ctx.sub(target, r.root, at, alt);
      if (inner.length) {
        out.push(...summarize(at, rule, `the writer may write other properties the reader's ${keyword} rejects`, inner));
        break;
      }
    }
  }
  return out;
}

function checkName(ctx: Ctx, r: Sch, rConj: Sch[], W: Sch[], name: string): Incompatibility[] {
  const slot = slotOf(r, name, true)!;
  const readers: (Own & { kind: "own" | "additionalProperties" | "unevaluatedProperties" })[] = slot.own.map((o) => ({ ...o, kind: "own" }));
  if (!slot.own.length && slot.fallback !== undefined) readers.push({ schema: slot.fallback, path: child(r.path, "additionalProperties"), kind: "additionalProperties" });
  const evaluated = subtree(r, rConj).some((s) => slotOf(s, name, true)!.own.length > 0);
  if (!evaluated && r.node.unevaluatedProperties !== undefined) readers.push({ schema: r.node.unevaluatedProperties, path: child(r.path, "unevaluatedProperties"), kind: "unevaluatedProperties" });
  if (!readers.length) return [];
  const w = writerFor(ctx, W, name);
  if (w.conj === null) return []; // the writer never writes this property
  const at = child(r.path, "properties", name);
  const out: Incompatibility[] = [];
  for (const c of readers) {
    const inner = ctx.sub(c.schema, r.root, c.path, w.conj);
    if (!inner.length) continue;
    if (c.kind === "unevaluatedProperties") out.push(...summarize(at, "UNEVALUATED_PROPERTIES_NARROWED", `the writer may write "${name}", which the reader's unevaluatedProperties rejects`, inner));
    else if (c.schema === false)
      out.push(issue(at, "PROPERTY_REMOVED_FROM_CLOSED_MODEL", c.kind === "own" ? `the reader forbids "${name}" (its schema is false) but the writer may write it` : `the reader's closed model has no "${name}" but the writer may write it`));
    else if (c.kind === "own" && w.own) out.push(...inner);
    else if (c.kind === "own" && isOpen(w.conj)) out.push(issue(at, "PROPERTY_ADDED_TO_OPEN_MODEL", `the reader constrains "${name}", which the writer's open model leaves unconstrained`));
    else if (c.kind === "own") out.push(...summarize(at, "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", `the reader's schema for "${name}" does not accept what the writer's additional or pattern properties allow`, inner));
    else if (w.own) out.push(...summarize(at, "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", `the writer's "${name}" is not accepted by the reader's additionalProperties`, inner));
    else out.push(...summarize(at, "ADDITIONAL_PROPERTIES_NARROWED", `the writer may write "${name}", which the reader's additionalProperties rejects`, inner));
  }
  return out;
}

/** Each reader pattern: the writer's identical pattern if it has one, else every way the writer may fill a matching name. */
function checkPatterns(ctx: Ctx, r: Sch, W: Sch[]): Incompatibility[] {
  const out: Incompatibility[] = [];
  for (const [p, schema] of patternsOf(r.node)) {
    const at = child(r.path, "patternProperties", p);
    const same = W.flatMap((s) => patternsOf(s.node).filter(([q]) => q === p).map(([, x]) => [x, s.root] as [unknown, Root]));
    if (same.length) {
      const c = conjOf(ctx, same);
      if (c) out.push(...ctx.sub(schema, r.root, at, c));
      continue;
    }
    for (const alt of alternatives(ctx, W, new Set())) {
      const inner = ctx.sub(schema, r.root, at, alt);
      if (inner.length) {
        out.push(...summarize(at, "PATTERN_PROPERTIES_NARROWED", `the writer may write properties matching /${p}/ that the reader's schema for them rejects`, inner));
        break;
      }
    }
  }
  return out;
}

/**
 * Every schema the writer may apply to a name it does not list in `properties`: each of its
 * patterns (whether two regexes overlap is not decided, so each counts), and, for names no pattern
 * matches, all of its additionalProperties (and unevaluatedProperties) at once. `skip`: patterns
 * whose names the reader governs elsewhere.
 */
function alternatives(ctx: Ctx, W: Sch[], skip: Set<string>): Sch[][] {
  const alts: Sch[][] = [];
  for (const s of W)
    for (const [q, x] of patternsOf(s.node)) {
      if (skip.has(q)) continue;
      const c = conjOf(ctx, [[x, s.root]]);
      if (c) alts.push(c);
    }
  const rest: [unknown, Root][] = W.filter((s) => s.node.additionalProperties !== undefined).map((s) => [s.node.additionalProperties, s.root]);
  if (!evaluatesMore(W)) for (const s of W) if (s.node.unevaluatedProperties !== undefined) rest.push([s.node.unevaluatedProperties, s.root]);
  const base = conjOf(ctx, rest);
  if (base) alts.push(base);
  return alts;
}
