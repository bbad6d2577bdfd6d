/**
 * Is a field's JSON default a value of the field's type? null = yes, else why not.
 * Avro 1.11 specification, "Complex Types" › Records, table "field default values"; a union's
 * default is a value of its first branch (§ Unions). Strings stand for bytes and fixed, as in
 * Java's validator (the registry must accept what Confluent accepts), without checking length.
 */
import { deref, describe, type AvroSchema, type AvroType } from "./schema";

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
/** Java reads a string default of a float or double field as a number ("NaN", "Infinity", …). */
const FLOAT_WORDS = new Set(["NaN", "Infinity", "-Infinity"]);
const MAX_DEPTH = 128;

export function checkDefault(schema: AvroSchema, type: AvroType, value: unknown, depth = 0): string | null {
  // A missing record field takes its own default, which can recurse without end (R.f: R = {}).
  if (depth > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
  const t = deref(schema, type);
  const wrong = `${JSON.stringify(value)} is not a ${describe(t)}`;
  switch (t.kind) {
    case "primitive":
      switch (t.type) {
        case "null":
          return value === null ? null : wrong;
        case "boolean":
          return typeof value === "boolean" ? null : wrong;
        case "int":
          return Number.isInteger(value) && (value as number) >= INT_MIN && (value as number) <= INT_MAX ? null : wrong;
        case "long":
          // JSON numbers past 2^53 lose precision in JavaScript but are still integers.
          return Number.isInteger(value) ? null : wrong;
        case "float":
        case "double":
          return typeof value === "number" || (typeof value === "string" && FLOAT_WORDS.has(value)) ? null : wrong;
        case "bytes":
        case "string":
          return typeof value === "string" ? null : wrong;
      }
      return wrong;
    case "enum":
      return typeof value === "string" && t.symbols.includes(value) ? null : wrong;
    case "fixed":
      return typeof value === "string" ? null : wrong;
    case "array": {
      if (!Array.isArray(value)) return wrong;
      for (const [i, item] of value.entries()) {
        const problem = checkDefault(schema, t.items, item, depth + 1);
        if (problem) return `item ${i}: ${problem}`;
      }
      return null;
    }
    case "map": {
      if (!isObject(value)) return wrong;
      for (const [key, item] of Object.entries(value)) {
        const problem = checkDefault(schema, t.values, item, depth + 1);
        if (problem) return `key "${key}": ${problem}`;
      }
      return null;
    }
    case "union": {
      const first = t.branches[0];
      if (!first) return "an empty union has no values";
      const problem = checkDefault(schema, first, value, depth + 1);
      return problem ? `a union's default is a value of its first branch: ${problem}` : null;
    }
    case "record": {
      if (!isObject(value)) return wrong;
      for (const field of t.fields) {
        // A missing field takes the field's own default (as Java's validator does).
        const v = field.name in value ? value[field.name] : field.default?.value;
        if (!(field.name in value) && !field.default) return `field "${field.name}" is missing and has no default`;
        const problem = checkDefault(schema, field.type, v, depth + 1);
        if (problem) return `field "${field.name}": ${problem}`;
      }
      return null;
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
