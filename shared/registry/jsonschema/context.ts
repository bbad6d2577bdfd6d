/**
 * The checker's shared vocabulary: a schema node with the document it lives in, the writer as a
 * conjunction of nodes, the per-call context (cycle guard, stable node keys), and how a finding
 * is worded. Nothing here knows a keyword's meaning.
 */
import type { Incompatibility } from "../compatibility";
import type { JsonSchemaRule } from "./index";

export type Obj = Record<string, unknown>;

/** One schema document: its draft decides `$ref` sibling semantics; anchors and ids index its `$id`/`$anchor`s. */
export type Root = { doc: unknown; draft: number; anchors: Map<string, unknown>; ids: Map<string, unknown> };

/**
 * One object schema node. `path` is where a finding is reported (the reader's structure, walking
 * through `$ref` as if inlined); `scope` is the same walk but marks `$ref` hops, so a node knows
 * which other nodes are its own in-place applicators (for unevaluated*); `key` names the node for
 * the cycle guard and is stable for the whole check.
 */
export type Sch = { node: Obj; root: Root; path: string; scope: string; key: number };

/** All nodes must hold (a conjunction). `null` is the empty set: the schema `false`. */
export type Conj = Sch[] | null;

export type Ctx = {
  steps: number;
  depth: number;
  /** (reader, writer) pairs being checked: meeting one again is a cycle, assumed to hold (co-induction). */
  inProgress: Set<string>;
  keyOf: (o: object) => number;
  /** A derived node (a copy without some keywords, a rewritten `not`), made once per base so its key is stable. */
  derive: <T>(base: object, tag: string, make: () => T) => T;
  /** Does every document valid against `writer` validate against `reader`? The recursion every module uses. */
  sub: (reader: unknown, root: Root, path: string, writer: Conj) => Incompatibility[];
};

export function createContext(sub: (ctx: Ctx, reader: unknown, root: Root, path: string, writer: Conj) => Incompatibility[]): Ctx {
  const keys = new WeakMap<object, number>();
  const derived = new WeakMap<object, Map<string, unknown>>();
  let next = 0;
  const ctx: Ctx = {
    steps: 0,
    depth: 0,
    inProgress: new Set(),
    keyOf(o) {
      let k = keys.get(o);
      if (k === undefined) keys.set(o, (k = ++next));
      return k;
    },
    derive<T>(base: object, tag: string, make: () => T): T {
      let byTag = derived.get(base);
      if (!byTag) derived.set(base, (byTag = new Map()));
      if (!byTag.has(tag)) byTag.set(tag, make());
      return byTag.get(tag) as T;
    },
    sub: (reader, root, path, writer) => sub(ctx, reader, root, path, writer),
  };
  return ctx;
}

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** `#/properties/a~1b`: RFC 6901 escaping of each segment. */
export function child(path: string, ...segments: (string | number)[]): string {
  return path + segments.map((s) => "/" + String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

export const issue = (path: string, rule: JsonSchemaRule, message: string): Incompatibility => ({ path, rule, message });

/** One finding for a slot (a property, an item position) that stands for the first inner reason. */
export function summarize(path: string, rule: JsonSchemaRule, message: string, inner: Incompatibility[]): Incompatibility[] {
  if (inner.length === 0) return [];
  const more = inner.length > 1 ? ` (and ${inner.length - 1} more)` : "";
  return [issue(path, rule, `${message}: ${inner[0]!.message}${more}`)];
}

export function dedupe(list: Incompatibility[]): Incompatibility[] {
  const seen = new Set<string>();
  return list.filter((i) => {
    const k = `${i.path}\u0000${i.rule}\u0000${i.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** JSON equality: key order never matters, 1 and 1.0 are one number (JSON Schema's `enum`/`const` rule). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (!isObj(a) || !isObj(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

export function containsRef(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(containsRef);
  if (!isObj(v)) return false;
  return Object.entries(v).some(([k, x]) => k === "$ref" || k === "$dynamicRef" || k === "$recursiveRef" || containsRef(x));
}

export const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

const regexCache = new Map<string, RegExp | null>();
/**
 * JSON Schema patterns are ECMA-262 regexes (draft 2020-12 validation §6.3.3), compiled with the
 * `u` flag as validators do; one that compiles only without it is still tried. null = neither.
 * The cache holds compiled constants only, so it does not make results depend on call order.
 */
export function regex(pattern: string): RegExp | null {
  if (!regexCache.has(pattern)) {
    let re: RegExp | null = null;
    for (const flags of ["u", ""]) {
      try {
        re = new RegExp(pattern, flags);
        break;
      } catch {
        /* try the next flavour */
      }
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return regexCache.get(pattern)!;
}
