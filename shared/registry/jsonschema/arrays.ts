/**
 * Arrays: position by position, the reader's schema for index i must accept what the writer's
 * schemas for index i allow (tuple prefix, then the rest: `items`/`additionalItems` before 2020-12,
 * `prefixItems`/`items` from 2020-12, then `unevaluatedItems`); plus item counts, uniqueness and
 * `contains`. Positions the writer never fills (maxItems, a closed tuple) are not compared.
 */
import type { Incompatibility } from "../compatibility";
import { child, issue, num, summarize, type Conj, type Ctx, type Root, type Sch } from "./context";
import { conjOf, flatten, isOpen } from "./conj";
import { subtree } from "./objects";
import { tupleOf } from "./validate";

/** The most items the writer's arrays can have: maxItems, or the length of a closed tuple. */
function writerMaxItems(W: Sch[]): number {
  return Math.min(Infinity, ...W.map((s) => num(s.node.maxItems) ?? Infinity), ...W.map((s) => tupleOf(s.node)).filter((t) => t.rest === false).map((t) => t.prefix.length));
}

/** What the writer says about index i (i ≥ every prefix stands for the rest), and whether a tuple names it. */
function writerAt(ctx: Ctx, W: Sch[], i: number): { conj: Conj; own: boolean } {
  const raws: [unknown, Root][] = [];
  let own = false;
  let evaluated = false;
  for (const s of W) {
    const t = tupleOf(s.node);
    if (i < t.prefix.length) (own = true), (evaluated = true), raws.push([t.prefix[i], s.root]);
    else if (t.rest !== undefined) (evaluated = true), raws.push([t.rest, s.root]);
  }
  // unevaluatedItems applies only where nothing evaluated the item; contains or a conditional may
  // have, so then it is ignored (which only makes the writer larger).
  const opaque = W.some((s) => ["contains", "if", "anyOf", "oneOf"].some((k) => k in s.node));
  if (!evaluated && !opaque) for (const s of W) if (s.node.unevaluatedItems !== undefined) raws.push([s.node.unevaluatedItems, s.root]);
  return { conj: conjOf(ctx, raws), own };
}

export function checkArrays(ctx: Ctx, r: Sch, rConj: Sch[], W: Sch[]): Incompatibility[] {
  const out: Incompatibility[] = [];
  const rt = tupleOf(r.node);
  const mine = subtree(r, rConj).map((s) => tupleOf(s.node));
  const wMax = writerMaxItems(W);
  const last = Math.max(rt.prefix.length, ...mine.map((t) => t.prefix.length), ...W.map((s) => tupleOf(s.node).prefix.length));
  // Index `last` stands for every index from there on.
  for (let i = 0; i <= last && i < wMax; i++) {
    const w = writerAt(ctx, W, i);
    if (w.conj === null) break; // no writer array reaches index i
    const readers: { schema: unknown; path: string; kind: "prefix" | "rest" | "unevaluated" }[] = [];
    if (i < rt.prefix.length) readers.push({ schema: rt.prefix[i], path: child(r.path, rt.prefixKeyword, i), kind: "prefix" });
    else if (rt.rest !== undefined) readers.push({ schema: rt.rest, path: child(r.path, rt.restKeyword), kind: "rest" });
    const evaluated = mine.some((t) => i < t.prefix.length || t.rest !== undefined);
    if (!evaluated && r.node.unevaluatedItems !== undefined) readers.push({ schema: r.node.unevaluatedItems, path: child(r.path, "unevaluatedItems"), kind: "unevaluated" });
    const where = i < last ? `item ${i}` : last === 0 ? "items" : `items from ${last} on`;
    for (const c of readers) {
      const inner = ctx.sub(c.schema, r.root, c.path, w.conj);
      if (!inner.length) continue;
      if (c.kind === "unevaluated") out.push(...summarize(c.path, "UNEVALUATED_ITEMS_NARROWED", `the writer's ${where} are not accepted by the reader's unevaluatedItems`, inner));
      else if (c.kind === "prefix" && w.own) out.push(...inner);
      else if (c.kind === "prefix" && isOpen(w.conj)) out.push(issue(c.path, "ITEM_ADDED_TO_OPEN_MODEL", `the reader constrains ${where}, which the writer leaves unconstrained`));
      else if (c.kind === "prefix") out.push(...summarize(c.path, "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", `the reader's ${where} does not accept what the writer's additional items allow`, inner));
      else if (w.own && c.schema === false) out.push(issue(c.path, "ITEM_REMOVED_FROM_CLOSED_MODEL", `the reader's closed tuple has no ${where}, which the writer may write`));
      else if (w.own) out.push(...summarize(c.path, "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", `the writer's ${where} is not accepted by the reader's ${rt.restKeyword}`, inner));
      else if (rt.prefix.length === 0 && c.schema !== false) out.push(...inner); // plain `items` against `items`: the item schema's own findings
      else out.push(...summarize(c.path, "ADDITIONAL_ITEMS_NARROWED", `the writer's ${where} are not accepted by the reader's ${rt.restKeyword}`, inner));
    }
  }
  return [...out, ...checkCounts(ctx, r, W, wMax)];
}

/** MIN_ITEMS_INCREASED, MAX_ITEMS_DECREASED, UNIQUE_ITEMS_ADDED, CONTAINS_NARROWED, MAX_CONTAINS_DECREASED. */
function checkCounts(ctx: Ctx, r: Sch, W: Sch[], wMax: number): Incompatibility[] {
  const out: Incompatibility[] = [];
  const rMin = num(r.node.minItems) ?? 0;
  const wMin = Math.max(0, ...W.map((s) => num(s.node.minItems) ?? 0));
  if (wMin < rMin) out.push(issue(child(r.path, "minItems"), "MIN_ITEMS_INCREASED", `the reader requires at least ${rMin} items but the writer guarantees ${wMin}`));
  const rMax = num(r.node.maxItems);
  if (rMax !== undefined && wMax > rMax) out.push(issue(child(r.path, "maxItems"), "MAX_ITEMS_DECREASED", `the reader allows at most ${rMax} items but the writer allows ${wMax === Infinity ? "any number" : wMax}`));
  if (r.node.uniqueItems === true && wMax > 1 && !W.some((s) => s.node.uniqueItems === true))
    out.push(issue(child(r.path, "uniqueItems"), "UNIQUE_ITEMS_ADDED", "the reader requires unique items but the writer may repeat one"));
  const C = r.node.contains;
  if (C === undefined) return out;
  const at = child(r.path, "contains");
  const need = num(r.node.minContains) ?? 1;
  const covers = (schema: unknown, root: Root) => {
    const c = conjOf(ctx, [[schema, root]]);
    return c === null || ctx.sub(C, r.root, at, c).length === 0;
  };
  // The writer guarantees `need` matching items: its own contains (at least as many, each one
  // readable), or every item readable and at least `need` of them.
  const viaContains = W.some((s) => s.node.contains !== undefined && (num(s.node.minContains) ?? 1) >= need && covers(s.node.contains, s.root));
  const allItems = W.every((s) => tupleOf(s.node).prefix.length === 0) && wMin >= need && ctx.sub(C, r.root, at, writerAt(ctx, W, 0).conj).length === 0;
  if (need > 0 && !viaContains && !allItems) out.push(issue(at, "CONTAINS_NARROWED", `the reader requires ${need === 1 ? "an item" : `${need} items`} matching its contains, which the writer does not guarantee`));
  const most = num(r.node.maxContains);
  if (most === undefined || wMax <= most) return out;
  // Every item the reader counts must be one the writer counts too, and the writer counts at most `most`.
  const counted = flatten(ctx, C, r.root, "#", "#", "writer");
  const capped = W.some((s) => s.node.contains !== undefined && (num(s.node.maxContains) ?? Infinity) <= most && ctx.sub(s.node.contains, s.root, at, counted).length === 0);
  if (!capped) out.push(issue(child(r.path, "maxContains"), "MAX_CONTAINS_DECREASED", `the reader allows at most ${most} items matching its contains, which the writer does not guarantee`));
  return out;
}
