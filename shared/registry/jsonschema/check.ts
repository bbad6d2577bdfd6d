/**
 * The recursion: does every document valid against the writer's conjunction validate against the
 * reader schema? Each reader node is checked on its own (a conjunction holds when each part does);
 * the writer's unions are split into branches first, and each keyword family then compares only
 * the JSON types both sides can produce. A pair met again while being checked is a cycle through
 * recursive `$ref`s and is assumed to hold: co-induction, sound because documents are finite trees
 * and each round of a cycle through properties or items looks one level deeper into them. (A cycle
 * through no property or item, `A = anyOf[A, …]`, is a schema no validator can evaluate either.)
 */
import type { Incompatibility } from "../compatibility";
import { checkArrays } from "./arrays";
import { checkCombined, sameOneOf } from "./combined";
import { containsRef, dedupe, deepEqual, isObj, issue, type Conj, type Ctx, type Root, type Sch } from "./context";
import { flatten, hasAssertions, synthetic, UNRESOLVED } from "./conj";
import { checkNumbers, checkStrings } from "./numbers-strings";
import { checkObjectConstraints } from "./object-constraints";
import { checkProperties } from "./objects";
import { allKinds, checkType, intersect, kindsOf, typePieces, writerKinds } from "./types";
import { checkEnumConst, checkValues, finiteValues } from "./values";

/** Guards against pathological schemas (deeply nested, or recursion that never revisits a pair). */
const MAX_DEPTH = 200;
const MAX_STEPS = 50_000;
/** A writer with more branches than this after splitting its unions is not split (see dropUnions). */
const MAX_BRANCHES = 64;

export function sub(ctx: Ctx, reader: unknown, root: Root, path: string, writer: Conj): Incompatibility[] {
  if (writer === null) return [];
  const rConj = flatten(ctx, reader, root, path, path, "reader");
  if (rConj === null) return isEmpty(writer) ? [] : [issue(path, "FALSE_SCHEMA", "the reader's schema is false here, but the writer may write a value")];
  const active = rConj.filter((s) => hasAssertions(s.node));
  if (active.length === 0 || isEmpty(writer)) return [];
  const keys = (c: Sch[]) => [...new Set(c.map((s) => s.key))].sort((a, b) => a - b).join(",");
  const key = `${keys(active)}|${keys(writer)}`;
  if (ctx.inProgress.has(key)) return [];
  if (++ctx.steps > MAX_STEPS || ctx.depth >= MAX_DEPTH) return [issue(path, "RECURSION_LIMIT", "the schemas are too deep or too large to compare; treated as incompatible")];
  ctx.inProgress.add(key);
  ctx.depth++;
  try {
    return dedupe(active.flatMap((r) => checkNode(ctx, r, rConj, writer)));
  } finally {
    ctx.inProgress.delete(key);
    ctx.depth--;
  }
}

/** The writer can write nothing: its types exclude each other, or no enumerated value survives. */
function isEmpty(W: Sch[]): boolean {
  return writerKinds(W).size === 0 || finiteValues(W)?.length === 0;
}

function checkNode(ctx: Ctx, r: Sch, rConj: Sch[], W: Sch[]): Incompatibility[] {
  if (UNRESOLVED in r.node) return [issue(r.path, "REF_UNRESOLVED", `the reader's $ref ${JSON.stringify(r.node[UNRESOLVED])} points outside the schema document, so nothing can be proven about it`)];
  // The same node on both sides: equal JSON means equal meaning unless it has a $ref (which may
  // resolve differently in the two documents) or unevaluated* (which depend on sibling nodes).
  const selfContained = !containsRef(r.node) && !("unevaluatedProperties" in r.node) && !("unevaluatedItems" in r.node);
  if (selfContained && W.some((w) => deepEqual(r.node, w.node))) return [];
  const oneOfDone = Array.isArray(r.node.oneOf) && sameOneOf(ctx, r, W);
  const branches = splitUnions(ctx, W);
  const found = branches.flatMap((branch) => {
    if (isEmpty(branch)) return [];
    const values = finiteValues(branch);
    const decided = values && checkValues(r, values);
    return decided ?? checkPlain(ctx, r, rConj, branch, values, oneOfDone);
  });
  if (branches.length === 1) return found;
  // Several writer branches failing one reader keyword are one finding, worded by the first.
  const seen = new Set<string>();
  return found.filter((i) => !seen.has(`${i.path} ${i.rule}`) && (seen.add(`${i.path} ${i.rule}`), true));
}

function checkPlain(ctx: Ctx, r: Sch, rConj: Sch[], W: Sch[], values: unknown[] | undefined, oneOfDone: boolean): Incompatibility[] {
  const wk = writerKinds(W, values);
  const common = intersect(wk, kindsOf(r.node.type) ?? allKinds());
  const out = [...checkType(r, wk), ...checkEnumConst(r, values)];
  if (common.has("integer") || common.has("fraction")) out.push(...checkNumbers(r, W, !common.has("fraction")));
  if (common.has("string")) out.push(...checkStrings(r, W));
  if (common.has("object")) out.push(...checkProperties(ctx, r, rConj, W), ...checkObjectConstraints(ctx, r, rConj, W));
  if (common.has("array")) out.push(...checkArrays(ctx, r, rConj, W));
  out.push(...checkCombined(ctx, r, W, wk, oneOfDone));
  return out;
}

/**
 * The writer's anyOf/oneOf as separate conjunctions, one per branch; every branch must be read.
 * A oneOf branch also carries the negation of its siblings (oneOf: exactly one passes), which
 * `flatten` turns into a bound when the sibling is a single one.
 */
export function splitUnions(ctx: Ctx, W: Sch[]): Sch[][] {
  let branches: Sch[][] = [W];
  for (;;) {
    let split = false;
    const next: Sch[][] = [];
    for (const conj of branches) {
      const i = conj.findIndex((s) => Array.isArray(s.node.anyOf) || Array.isArray(s.node.oneOf));
      if (i < 0) {
        next.push(conj);
        continue;
      }
      split = true;
      const s = conj[i]!;
      const keyword = Array.isArray(s.node.anyOf) ? "anyOf" : "oneOf";
      const members = s.node[keyword] as unknown[];
      const stripped = ctx.derive(s.node, `without:${keyword}`, () => Object.fromEntries(Object.entries(s.node).filter(([k]) => k !== keyword)));
      const base = [...conj.slice(0, i), { ...s, node: stripped, key: ctx.keyOf(stripped) }, ...conj.slice(i + 1)];
      members.forEach((m, j) => {
        const own = flatten(ctx, m, s.root, `${s.path}/${keyword}/${j}`, `${s.scope}/${keyword}/${j}`, "writer");
        const negations = keyword === "oneOf" ? members.filter((_, k) => k !== j).map((o) => negate(ctx, o, s)) : [];
        if (own === null || negations.includes(null)) return; // this branch writes nothing
        next.push([...base, ...own, ...(negations as Sch[][]).flat()]);
      });
    }
    if (!split) return branches;
    if (next.length > MAX_BRANCHES) return [W.flatMap((s) => dropUnions(ctx, s))];
    branches = next;
  }
}

/** ¬o as a writer conjunction: `not true` writes nothing, `not false` everything. */
function negate(ctx: Ctx, o: unknown, s: Sch): Conj {
  if (o === true) return null;
  if (!isObj(o)) return [];
  return flatten(ctx, ctx.derive(o, "negated", () => ({ not: o })), s.root, s.path, s.scope, "writer");
}

/**
 * Past MAX_BRANCHES a union is not split but replaced by its type hull: the JSON types any branch
 * can produce (a larger writer, so still sound, and it keeps what most readers check first).
 */
function dropUnions(ctx: Ctx, s: Sch): Sch[] {
  if (!("anyOf" in s.node) && !("oneOf" in s.node)) return [s];
  const node = ctx.derive(s.node, "without:unions", () => Object.fromEntries(Object.entries(s.node).filter(([k]) => k !== "anyOf" && k !== "oneOf")));
  const hulls = (["anyOf", "oneOf"] as const).filter((k) => Array.isArray(s.node[k])).map((k) => {
    const kinds = new Set((s.node[k] as unknown[]).flatMap((b) => {
      const f = flatten(ctx, b, s.root, s.path, s.scope, "writer");
      return f === null ? [] : [...writerKinds(f)];
    }));
    return synthetic(ctx, { type: typePieces(kinds) }, s.root);
  });
  return [{ ...s, node, key: ctx.keyOf(node) }, ...hulls];
}
