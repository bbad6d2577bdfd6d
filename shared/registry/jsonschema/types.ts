/**
 * JSON types as sets of kinds. "number" is split into integer and fraction (non-integer numbers)
 * so that integer ⊂ number is plain set inclusion (draft 2020-12 validation §6.1.1: an integer is
 * any number with a zero fractional part, so 1.0 is an integer too).
 */
import type { Incompatibility } from "../compatibility";
import { issue, child, type Obj, type Sch } from "./context";

export const KINDS = ["null", "boolean", "object", "array", "string", "integer", "fraction"] as const;
export type Kind = (typeof KINDS)[number];
export type Kinds = Set<Kind>;

const NAMES: Record<string, Kind[]> = {
  null: ["null"],
  boolean: ["boolean"],
  object: ["object"],
  array: ["array"],
  string: ["string"],
  integer: ["integer"],
  number: ["integer", "fraction"],
};

/** The kinds a `type` keyword allows; undefined when there is none (every kind). Unknown names match nothing. */
export function kindsOf(type: unknown): Kinds | undefined {
  if (type === undefined) return undefined;
  const names = Array.isArray(type) ? type : [type];
  return new Set(names.flatMap((n) => (typeof n === "string" ? (NAMES[n] ?? []) : [])));
}

export const allKinds = (): Kinds => new Set(KINDS);

export function kindOfValue(v: unknown): Kind {
  if (v === null) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "fraction";
  if (typeof v === "string") return "string";
  return Array.isArray(v) ? "array" : "object";
}

export const intersect = (a: Kinds, b: Kinds): Kinds => new Set([...a].filter((k) => b.has(k)));

/**
 * The kinds a conjunction of writer nodes can produce: the intersection of their `type`s, less the
 * fraction kind when a `multipleOf` is an integer (its multiples are integers). Known values win.
 */
export function writerKinds(W: Sch[], values?: unknown[]): Kinds {
  if (values) return new Set(values.map(kindOfValue));
  let kinds = allKinds();
  for (const s of W) {
    const k = kindsOf(s.node.type);
    if (k) kinds = intersect(kinds, k);
    if (typeof s.node.multipleOf === "number" && Number.isInteger(s.node.multipleOf)) kinds.delete("fraction");
  }
  return kinds;
}

/** "string, number" for messages; integer and fraction together read as number. */
export function describeKinds(kinds: Kinds): string {
  const names: string[] = [];
  for (const k of KINDS) {
    if (!kinds.has(k)) continue;
    if (k === "integer") names.push(kinds.has("fraction") ? "number" : "integer");
    else if (k === "fraction") {
      if (!kinds.has("integer")) names.push("non-integer number");
    } else names.push(k);
  }
  return names.join(", ") || "nothing";
}

/** The `type` keyword that allows exactly the kinds outside `type`, when one can say it (not of integer cannot). */
export function complementType(type: unknown): Obj | undefined {
  const kinds = kindsOf(type);
  if (!kinds || (kinds.has("integer") && !kinds.has("fraction"))) return undefined;
  const rest = Object.keys(NAMES).filter((n) => n !== "integer" && !NAMES[n]!.every((k) => kinds.has(k)));
  return { type: rest };
}

/** TYPE_NARROWED: the writer may produce a kind the reader's `type` rejects. */
export function checkType(r: Sch, writer: Kinds): Incompatibility[] {
  const reader = kindsOf(r.node.type);
  if (!reader) return [];
  const missing = new Set([...writer].filter((k) => !reader.has(k)));
  if (missing.size === 0) return [];
  return [issue(child(r.path, "type"), "TYPE_NARROWED", `the reader accepts ${describeKinds(reader)} but the writer may write ${describeKinds(missing)}`)];
}

/** The `type` names that split a writer's kinds into parts (integer and fraction stay together as number). */
export function typePieces(kinds: Kinds): string[] {
  const out = (["null", "boolean", "object", "array", "string"] as const).filter((k) => kinds.has(k)) as string[];
  if (kinds.has("fraction")) out.push("number");
  else if (kinds.has("integer")) out.push("integer");
  return out;
}
