/**
 * Version vectors: accepted changes counted per location. Missing entries count as 0.
 * Used to tell whether a change was made with knowledge of everything the record has seen.
 */

export type VersionVector = Readonly<Record<string, number>>;

export type VectorOrder = "equal" | "before" | "after" | "concurrent";

/** Order of `a` relative to `b`: "before" means every count of a is ≤ b's and one is lower. */
export function compareVectors(a: VersionVector, b: VersionVector): VectorOrder {
  let aLower = false;
  let bLower = false;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[key] ?? 0;
    const y = b[key] ?? 0;
    if (x < y) aLower = true;
    if (y < x) bLower = true;
  }
  if (aLower && bLower) return "concurrent";
  if (aLower) return "before";
  if (bLower) return "after";
  return "equal";
}

/** True when `a` has seen at least everything `b` has (a ≥ b componentwise). */
export function dominates(a: VersionVector, b: VersionVector): boolean {
  const order = compareVectors(a, b);
  return order === "equal" || order === "after";
}

export function incrementVector(v: VersionVector, location: string): VersionVector {
  return { ...v, [location]: (v[location] ?? 0) + 1 };
}

export function mergeVectors(a: VersionVector, b: VersionVector): VersionVector {
  const out: Record<string, number> = { ...a };
  for (const [key, n] of Object.entries(b)) out[key] = Math.max(out[key] ?? 0, n);
  return out;
}
