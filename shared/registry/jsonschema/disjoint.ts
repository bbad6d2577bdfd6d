/**
 * Can no document satisfy both A and B? A conservative proof (false = not proven): by finite
 * values, by JSON type, by numeric range, by length or count, or by a property one side requires
 * whose schemas on the two sides are themselves disjoint (the discriminator of a tagged union).
 * `oneOf` exclusivity and `not` rest on it.
 */
import { num, strings, type Conj, type Ctx, type Sch } from "./context";
import { onIntegers, writerLower, writerUpper, type Bound } from "./numbers-strings";
import { writerFor } from "./objects";
import { intersect, writerKinds, type Kind } from "./types";
import { validate } from "./validate";
import { finiteValues } from "./values";

const MAX_DEPTH = 4;

export function disjoint(ctx: Ctx, A: Conj, B: Conj, depth = 0): boolean {
  if (A === null || B === null) return true;
  if (depth > MAX_DEPTH) return false;
  const va = finiteValues(A);
  const vb = finiteValues(B);
  if (va && va.every((v) => rejects(B, v))) return true;
  if (vb && vb.every((v) => rejects(A, v))) return true;
  const common = intersect(writerKinds(A, va), writerKinds(B, vb));
  return [...common].every((k) => kindDisjoint(ctx, k, A, B, depth));
}

const rejects = (C: Sch[], v: unknown) => C.some((s) => validate(v, s.node, s.root, s.path, { reader: false }).ok === false);

function kindDisjoint(ctx: Ctx, k: Kind, A: Sch[], B: Sch[], depth: number): boolean {
  switch (k) {
    case "integer":
    case "fraction": {
      const int = k === "integer";
      const lo = (W: Sch[]) => (int ? onIntegers(writerLower(W), true) : writerLower(W));
      const hi = (W: Sch[]) => (int ? onIntegers(writerUpper(W), false) : writerUpper(W));
      return above(lo(A), hi(B)) || above(lo(B), hi(A));
    }
    case "string":
      return rangesApart(A, B, "minLength", "maxLength");
    case "array":
      return rangesApart(A, B, "minItems", "maxItems");
    case "object":
      return rangesApart(A, B, "minProperties", "maxProperties") || tagsApart(ctx, A, B, depth);
    default:
      return false;
  }
}

/** Every number from `lo` on lies above every number up to `hi`. */
function above(lo: Bound | undefined, hi: Bound | undefined): boolean {
  if (!lo || !hi) return false;
  return lo.value > hi.value || (lo.value === hi.value && (lo.exclusive || hi.exclusive));
}

function rangesApart(A: Sch[], B: Sch[], min: string, max: string): boolean {
  const lo = (W: Sch[]) => Math.max(0, ...W.map((s) => num(s.node[min]) ?? 0));
  const hi = (W: Sch[]) => Math.min(Infinity, ...W.map((s) => num(s.node[max]) ?? Infinity));
  return lo(A) > hi(B) || lo(B) > hi(A);
}

/** A property one side requires that the other side forbids, or whose two schemas are disjoint. */
function tagsApart(ctx: Ctx, A: Sch[], B: Sch[], depth: number): boolean {
  const ra = new Set(A.flatMap((s) => strings(s.node.required)));
  const rb = new Set(B.flatMap((s) => strings(s.node.required)));
  for (const name of new Set([...ra, ...rb])) {
    const ca = writerFor(ctx, A, name).conj;
    const cb = writerFor(ctx, B, name).conj;
    if ((ra.has(name) && cb === null) || (rb.has(name) && ca === null)) return true;
    if (ca !== null && cb !== null && disjoint(ctx, ca, cb, depth + 1)) return true;
  }
  return false;
}
