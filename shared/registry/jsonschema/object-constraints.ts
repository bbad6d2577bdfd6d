/**
 * Object constraints other than the content model: required (with Confluent's default rule),
 * propertyNames, min/maxProperties and dependencies (draft-07 `dependencies`, 2019-09
 * `dependentRequired`/`dependentSchemas`).
 */
import type { Incompatibility } from "../compatibility";
import { child, isObj, issue, num, strings, summarize, type Ctx, type Obj, type Root, type Sch } from "./context";
import { conjOf, flatten, synthetic } from "./conj";
import { isClosed, propsOf, writerFor } from "./objects";
import { validate } from "./validate";

const requiredOf = (W: Sch[]) => new Set(W.flatMap((s) => strings(s.node.required)));

export function checkObjectConstraints(ctx: Ctx, r: Sch, rConj: Sch[], W: Sch[]): Incompatibility[] {
  return [...checkRequired(ctx, r, rConj, W), ...checkNames(ctx, r, W), ...checkCounts(r, W), ...checkDependencies(ctx, r, W)];
}

/**
 * REQUIRED_PROPERTY_ADDED_WITHOUT_DEFAULT. A reader requiring a property the writer may omit
 * rejects that data, unless the reader's schema for it has a `default`: Confluent's
 * REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED is compatible (the reader fills the default in), so
 * this one place departs from plain validation on purpose.
 */
function checkRequired(ctx: Ctx, r: Sch, rConj: Sch[], W: Sch[]): Incompatibility[] {
  const guaranteed = requiredOf(W);
  const missing = strings(r.node.required).filter((p) => !guaranteed.has(p) && !hasDefault(ctx, rConj, p));
  return missing.map((p) => issue(child(r.path, "required"), "REQUIRED_PROPERTY_ADDED_WITHOUT_DEFAULT", `the reader requires "${p}", which the writer may omit, and its schema has no default`));
}

function hasDefault(ctx: Ctx, rConj: Sch[], name: string): boolean {
  return rConj.some((s) => {
    const p = propsOf(s.node)[name];
    if (p === undefined) return false;
    const f = flatten(ctx, p, s.root, "#", "#", "reader");
    return f !== null && f.some((x) => "default" in x.node);
  });
}

/** PROPERTY_NAMES_NARROWED: the writer's names must pass the reader's propertyNames (names are strings). */
function checkNames(ctx: Ctx, r: Sch, W: Sch[]): Incompatibility[] {
  const pn = r.node.propertyNames;
  if (pn === undefined || pn === true) return [];
  const at = child(r.path, "propertyNames");
  const theirs = conjOf(ctx, W.filter((s) => s.node.propertyNames !== undefined).map((s) => [s.node.propertyNames, s.root] as [unknown, Root]));
  if (theirs === null) return []; // the writer's objects have no properties at all
  const inner = ctx.sub(pn, r.root, at, [...theirs, synthetic(ctx, { type: "string" }, r.root)]);
  if (!inner.length) return [];
  // A closed writer lists every name it can write: try each one.
  const closed = W.find((s) => isClosed(s.node));
  if (closed) {
    const names = Object.entries(propsOf(closed.node)).filter(([n, schema]) => schema !== false && writerFor(ctx, W, n).conj !== null).map(([n]) => n);
    if (names.every((n) => validate(n, pn, r.root, at, { reader: true }).ok === true)) return [];
  }
  return summarize(at, "PROPERTY_NAMES_NARROWED", "the writer may write property names the reader's propertyNames rejects", inner);
}

/** MIN_PROPERTIES_INCREASED, MAX_PROPERTIES_DECREASED: required names count towards the writer's minimum; a closed model caps its maximum. */
function checkCounts(r: Sch, W: Sch[]): Incompatibility[] {
  const out: Incompatibility[] = [];
  const rMin = num(r.node.minProperties) ?? 0;
  const wMin = Math.max(requiredOf(W).size, ...W.map((s) => num(s.node.minProperties) ?? 0));
  if (wMin < rMin) out.push(issue(child(r.path, "minProperties"), "MIN_PROPERTIES_INCREASED", `the reader requires at least ${rMin} properties but the writer guarantees ${wMin}`));
  const rMax = num(r.node.maxProperties);
  const wMax = Math.min(Infinity, ...W.map((s) => num(s.node.maxProperties) ?? Infinity), ...W.filter((s) => isClosed(s.node)).map((s) => Object.keys(propsOf(s.node)).length));
  if (rMax !== undefined && wMax > rMax) out.push(issue(child(r.path, "maxProperties"), "MAX_PROPERTIES_DECREASED", `the reader allows at most ${rMax} properties but the writer allows ${wMax === Infinity ? "any number" : wMax}`));
  return out;
}

/** Entries of `dependencies` (either form), `dependentRequired` and `dependentSchemas`, with the keyword each came from. */
function dependenciesOf(node: Obj): { keyword: string; name: string; names?: string[]; schema?: unknown }[] {
  const out: { keyword: string; name: string; names?: string[]; schema?: unknown }[] = [];
  for (const keyword of ["dependencies", "dependentRequired", "dependentSchemas"]) {
    const deps = node[keyword];
    if (!isObj(deps)) continue;
    for (const [name, d] of Object.entries(deps)) out.push(Array.isArray(d) ? { keyword, name, names: strings(d) } : { keyword, name, schema: d });
  }
  return out;
}

/**
 * DEPENDENT_REQUIRED_ADDED: when the writer writes `p`, the reader needs `q`; the writer must always
 * write `q`, or write it whenever it writes `p`, or never write `p`. A dependent schema is checked
 * against the writer's data that has `p` (the writer's own dependent schema for `p` included);
 * its findings keep their own rules under #/dependentSchemas/p.
 */
function checkDependencies(ctx: Ctx, r: Sch, W: Sch[]): Incompatibility[] {
  const out: Incompatibility[] = [];
  const always = requiredOf(W);
  const writerDeps = W.flatMap((s) => dependenciesOf(s.node).map((d) => ({ ...d, root: s.root })));
  for (const dep of dependenciesOf(r.node)) {
    if (writerFor(ctx, W, dep.name).conj === null) continue; // the writer never writes p
    const at = child(r.path, dep.keyword, dep.name);
    if (dep.names) {
      const implied = new Set(writerDeps.filter((d) => d.name === dep.name).flatMap((d) => d.names ?? []));
      const missing = dep.names.filter((q) => q !== dep.name && !always.has(q) && !implied.has(q));
      if (missing.length) out.push(issue(at, "DEPENDENT_REQUIRED_ADDED", `when "${dep.name}" is present the reader requires ${missing.map((q) => `"${q}"`).join(", ")}, which the writer may omit`));
      continue;
    }
    const mine = writerDeps.filter((d) => d.name === dep.name);
    const theirs = conjOf(ctx, mine.filter((d) => d.schema !== undefined).map((d) => [d.schema, d.root] as [unknown, Root]));
    if (theirs === null) continue; // the writer's data never has p
    const implied = [dep.name, ...mine.flatMap((d) => d.names ?? [])].map((q) => synthetic(ctx, { required: [q] }, r.root));
    out.push(...ctx.sub(dep.schema, r.root, at, [...W, ...theirs, ...implied]));
  }
  return out;
}
