/**
 * Does a plain JSON value (a location's `data`) fit an Avro schema? Structural, per the Avro 1.11
 * specification's types: records are closed objects, primitives map onto JSON types, unions take
 * a value of any branch (or Avro's JSON-encoding wrapper `{"<branch>": value}`, § JSON Encoding).
 */
import { deref, type AvroField, type AvroSchema, type AvroType } from "../registry/avro/schema";
import type { Violation } from "./violation";

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
/** Data nested deeper than this is refused rather than risking the Worker's stack. */
const MAX_DEPTH = 128;
/** Enough to name the first few; a wholly wrong image would otherwise list every field. */
const MAX_VIOLATIONS = 10;

type Path = (string | number)[];
type Sink = { out: Violation[] };

export function checkAvroJson(schema: AvroSchema, value: unknown): Violation[] {
  const sink: Sink = { out: [] };
  visit(schema, schema.root, value, [], sink, 0);
  return sink.out;
}

function visit(schema: AvroSchema, type: AvroType, v: unknown, path: Path, sink: Sink, depth: number): void {
  if (sink.out.length >= MAX_VIOLATIONS) return;
  const report = (keyword: string, message: string, at: Path = path) => void sink.out.push({ path: at, keyword, message });
  if (depth > MAX_DEPTH) return report("depth", `nested deeper than ${MAX_DEPTH} levels`);
  const t = deref(schema, type);
  switch (t.kind) {
    case "primitive": {
      const problem = primitiveProblem(t.type, v);
      if (problem) report(problem.keyword, problem.message);
      return;
    }
    case "enum":
      if (typeof v !== "string") return report("type", `${kindOf(v)} is not a string (enum ${t.name})`);
      if (!t.symbols.includes(v)) report("enum", `"${v}" is not a symbol of enum ${t.name} (${t.symbols.join(", ")})`);
      return;
    case "fixed":
      // § JSON Encoding: fixed (and bytes) are strings whose code points 0–255 are the bytes.
      if (typeof v !== "string") return report("type", `${kindOf(v)} is not a string (fixed ${t.name})`);
      if (v.length !== t.size || !isByteString(v)) report("size", `fixed ${t.name} takes exactly ${t.size} bytes, as characters U+0000–U+00FF`);
      return;
    case "array":
      if (!Array.isArray(v)) return report("type", `${kindOf(v)} is not an array`);
      v.forEach((item, i) => visit(schema, t.items, item, [...path, i], sink, depth + 1));
      return;
    case "map":
      if (!isPlainObject(v)) return report("type", `${kindOf(v)} is not an object (map)`);
      for (const [key, item] of Object.entries(v)) visit(schema, t.values, item, [...path, key], sink, depth + 1);
      return;
    case "record": {
      if (!isPlainObject(v)) return report("type", `${kindOf(v)} is not an object (record ${t.name})`);
      const names = new Set(t.fields.map((f) => f.name));
      for (const field of t.fields) {
        if (Object.hasOwn(v, field.name)) visit(schema, field.type, v[field.name], [...path, field.name], sink, depth + 1);
        else if (!mayBeAbsent(schema, field)) report("required", `record ${t.name} requires field "${field.name}" (no default, not nullable)`, [...path, field.name]);
      }
      // A record is closed: data the schema cannot name could not be written with it.
      for (const key of Object.keys(v)) if (!names.has(key)) report("unknown-field", `record ${t.name} has no field "${key}"`, [...path, key]);
      return;
    }
    case "union": {
      if (t.branches.some((b) => fits(schema, b, v, depth))) return;
      const wrapped = isPlainObject(v) ? Object.keys(v) : [];
      if (wrapped.length === 1) {
        const branch = t.branches.find((b) => branchName(schema, b) === wrapped[0]);
        if (branch) return visit(schema, branch, (v as Record<string, unknown>)[wrapped[0]!], [...path, wrapped[0]!], sink, depth + 1);
      }
      report("union", `${kindOf(v)} matches none of the union's branches (${t.branches.map((b) => branchName(schema, b)).join(", ")})`);
      return;
    }
  }
}

function fits(schema: AvroSchema, type: AvroType, v: unknown, depth: number): boolean {
  const sink: Sink = { out: [] };
  visit(schema, type, v, [], sink, depth + 1);
  return sink.out.length === 0;
}

function primitiveProblem(type: string, v: unknown): Violation | null {
  const wrong = (expected: string): Violation => ({ path: [], keyword: "type", message: `${kindOf(v)} is not ${expected} (${type})` });
  switch (type) {
    case "null":
      return v === null ? null : wrong("null");
    case "boolean":
      return typeof v === "boolean" ? null : wrong("a boolean");
    case "int":
      if (!Number.isInteger(v)) return wrong("an integer");
      return (v as number) >= INT_MIN && (v as number) <= INT_MAX ? null : { path: [], keyword: "range", message: `${v} is outside int's 32-bit range` };
    case "long":
      return Number.isInteger(v) ? null : wrong("an integer");
    case "float":
    case "double":
      return typeof v === "number" ? null : wrong("a number");
    case "bytes":
      return typeof v === "string" ? null : wrong("a string");
    case "string":
      return typeof v === "string" ? null : wrong("a string");
  }
  return null;
}

/**
 * A missing field is fine when the reader fills it in (a default) or when JSON's usual "absent =
 * null" holds (its type admits null): relays commonly leave null columns out.
 */
function mayBeAbsent(schema: AvroSchema, field: AvroField): boolean {
  if (field.default !== undefined) return true;
  const t = deref(schema, field.type);
  if (t.kind === "primitive") return t.type === "null";
  return t.kind === "union" && t.branches.some((b) => {
    const d = deref(schema, b);
    return d.kind === "primitive" && d.type === "null";
  });
}

/** The name a union branch goes by in Avro's JSON encoding: the type name, or the full name. */
function branchName(schema: AvroSchema, type: AvroType): string {
  const t = deref(schema, type);
  switch (t.kind) {
    case "primitive":
      return t.type;
    case "record":
    case "enum":
    case "fixed":
      return t.name;
    default:
      return t.kind;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isByteString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "number") return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  return `a ${typeof v}`;
}
