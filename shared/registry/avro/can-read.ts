/**
 * canReadAvro: can a reader with one Avro schema read every datum written with another? The
 * Avro 1.11 specification's "Schema Resolution" section applied to the two schema documents,
 * reporting each failure with a rule name (Java's SchemaCompatibility names) and a JSON-pointer
 * path into the reader's schema ("/fields/2/type/items").
 */
import type { CanRead, Incompatibility } from "../compatibility";
import { parseAvroSchema } from "./parse";
import { deref, describe, isAvroSchema, simpleName, type AvroNamed, type AvroPrimitive, type AvroSchema, type AvroType } from "./schema";

export const AVRO_RULES = {
  TYPE_MISMATCH: "TYPE_MISMATCH",
  NAME_MISMATCH: "NAME_MISMATCH",
  FIXED_SIZE_MISMATCH: "FIXED_SIZE_MISMATCH",
  MISSING_ENUM_SYMBOLS: "MISSING_ENUM_SYMBOLS",
  READER_FIELD_MISSING_DEFAULT_VALUE: "READER_FIELD_MISSING_DEFAULT_VALUE",
  MISSING_UNION_BRANCH: "MISSING_UNION_BRANCH",
  DECIMAL_MISMATCH: "DECIMAL_MISMATCH",
  INVALID_SCHEMA: "INVALID_SCHEMA",
} as const;

/** § Schema Resolution: the writer's type (key) may be promoted to each of the reader's types listed. */
const PROMOTIONS: Partial<Record<AvroPrimitive, readonly AvroPrimitive[]>> = {
  int: ["long", "float", "double"],
  long: ["float", "double"],
  float: ["double"],
  string: ["bytes"],
  bytes: ["string"],
};

type Concrete = Exclude<AvroType, { kind: "ref" }>;

/** Either argument may be schema text, a parsed JSON schema, or parseAvroSchema's normalized schema. */
export const canReadAvro: CanRead = (reader, writer) => {
  const r = load(reader);
  const w = load(writer);
  const invalid: Incompatibility[] = [];
  if (!r.ok) invalid.push({ path: "/", rule: AVRO_RULES.INVALID_SCHEMA, message: `the reader's schema is not valid Avro: ${r.error}` });
  if (!w.ok) invalid.push({ path: "/", rule: AVRO_RULES.INVALID_SCHEMA, message: `the writer's schema is not valid Avro: ${w.error}` });
  if (!r.ok || !w.ok) return invalid;
  return new Resolution(r.schema, w.schema).resolve(r.schema.root, w.schema.root, "");
};

function load(value: unknown): { ok: true; schema: AvroSchema } | { ok: false; error: string } {
  return isAvroSchema(value) ? { ok: true, schema: value } : parseAvroSchema(value);
}

class Resolution {
  /** Record pairs being resolved: meeting one again (a recursive type) adds nothing new. */
  readonly #inProgress = new Set<string>();

  constructor(
    readonly reader: AvroSchema,
    readonly writer: AvroSchema,
  ) {}

  resolve(readerType: AvroType, writerType: AvroType, path: string): Incompatibility[] {
    const r = deref(this.reader, readerType);
    const w = deref(this.writer, writerType);
    // "if writer's is a union": any branch may be the selected one, so every branch must resolve.
    if (w.kind === "union") return w.branches.flatMap((branch) => this.resolve(r, branch, path));
    // "if reader's is a union": the first branch that matches is resolved against the writer's.
    if (r.kind === "union") {
      const j = this.pickBranch(r.branches, w);
      if (j === -1) return [issue(path, "MISSING_UNION_BRANCH", `the reader's union has no branch that matches the writer's ${describe(w)}`)];
      return this.resolve(r.branches[j]!, w, `${path}/${j}`);
    }
    return this.resolveMatching(r, w, path);
  }

  /**
   * "The first schema in the reader's union that matches". A union may hold two named types
   * with one unqualified name (in two namespaces): the one with the writer's full name is taken
   * first, as Java's resolver does, so the choice never depends on branch order alone.
   */
  pickBranch(branches: AvroType[], w: Concrete): number {
    const concrete = branches.map((b) => deref(this.reader, b));
    const exact = concrete.findIndex((b) => isNamed(b) && isNamed(w) && b.kind === w.kind && b.name === w.name);
    return exact !== -1 ? exact : concrete.findIndex((b) => this.matches(b, w));
  }

  /** § Schema Resolution "to match, one of the following must hold" (unions handled by the caller). */
  matches(r: Concrete, w: Concrete): boolean {
    if (r.kind === "primitive" && w.kind === "primitive") return (r.type === w.type && decimalsMatch(r, w)) || (PROMOTIONS[w.type]?.includes(r.type) ?? false);
    if (r.kind !== w.kind) return false;
    if (r.kind === "array" || r.kind === "map") return true;
    if (r.kind === "fixed" && w.kind === "fixed") return namesMatch(r, w) && r.size === w.size && decimalsMatch(r, w);
    return isNamed(r) && isNamed(w) && namesMatch(r, w);
  }

  resolveMatching(r: Concrete, w: Concrete, path: string): Incompatibility[] {
    if (r.kind === "primitive" && w.kind === "primitive") {
      if (PROMOTIONS[w.type]?.includes(r.type)) return [];
      if (r.type !== w.type) return [typeMismatch(r, w, path)];
      return decimalsMatch(r, w) ? [] : [decimalMismatch(r, w, path)];
    }
    if (r.kind !== w.kind) return [typeMismatch(r, w, path)];
    if (r.kind === "array" && w.kind === "array") return this.resolve(r.items, w.items, `${path}/items`);
    if (r.kind === "map" && w.kind === "map") return this.resolve(r.values, w.values, `${path}/values`);
    if (!isNamed(r) || !isNamed(w)) return [typeMismatch(r, w, path)];
    const out = namesMatch(r, w) ? [] : [issue(`${path}/name`, "NAME_MISMATCH", `the reader's ${describe(r)} does not match the writer's ${w.name} (neither its unqualified name nor an alias)`)];
    if (r.kind === "fixed" && w.kind === "fixed") {
      if (r.size !== w.size) out.push(issue(`${path}/size`, "FIXED_SIZE_MISMATCH", `the reader's fixed ${r.name} has size ${r.size}, the writer's ${w.size}`));
      else if (!decimalsMatch(r, w)) out.push(decimalMismatch(r, w, path));
    }
    if (r.kind === "enum" && w.kind === "enum") {
      // "if the writer's symbol is not present in the reader's enum and the reader has a default
      // value, then that value is used, otherwise an error is signalled."
      const missing = w.symbols.filter((s) => !r.symbols.includes(s));
      if (missing.length > 0 && r.default === undefined) {
        out.push(issue(`${path}/symbols`, "MISSING_ENUM_SYMBOLS", `the reader's enum ${r.name} lacks the writer's symbols ${missing.join(", ")} and has no default`));
      }
    }
    if (r.kind === "record" && w.kind === "record") out.push(...this.resolveFields(r, w, path));
    return out;
  }

  /** § "if both are records": fields matched by name (or a reader field's alias); extra writer fields are skipped. */
  resolveFields(r: Extract<AvroNamed, { kind: "record" }>, w: Extract<AvroNamed, { kind: "record" }>, path: string): Incompatibility[] {
    const key = `${r.name}\u0000${w.name}`;
    if (this.#inProgress.has(key)) return [];
    this.#inProgress.add(key);
    const out: Incompatibility[] = [];
    r.fields.forEach((field, i) => {
      const written = w.fields.find((f) => f.name === field.name) ?? w.fields.find((f) => field.aliases.includes(f.name));
      if (written) out.push(...this.resolve(field.type, written.type, `${path}/fields/${i}/type`));
      else if (!field.default) {
        out.push(issue(`${path}/fields/${i}`, "READER_FIELD_MISSING_DEFAULT_VALUE", `the reader's field "${field.name}" has no default and the writer's record ${w.name} does not write it`));
      }
    });
    this.#inProgress.delete(key);
    return out;
  }
}

function isNamed(t: Concrete): t is AvroNamed {
  return t.kind === "record" || t.kind === "enum" || t.kind === "fixed";
}

/** Unqualified names are compared (§ Schema Resolution); a reader's alias renames the writer's type (§ Aliases). */
function namesMatch(r: AvroNamed, w: AvroNamed): boolean {
  const writer = simpleName(w.name);
  return simpleName(r.name) === writer || r.aliases.some((a) => a === w.name || simpleName(a) === writer);
}

type Decimal = { precision: number; scale: number };

/**
 * § Logical Types › Decimal: "two schemas that are decimal logical types match if their scales
 * and precisions match". An invalid decimal is its underlying type, so it matches anything.
 */
function decimalsMatch(r: Concrete, w: Concrete): boolean {
  const a = decimalOf(r);
  const b = decimalOf(w);
  return !a || !b || (a.precision === b.precision && a.scale === b.scale);
}

function decimalOf(t: Concrete): Decimal | null {
  if (t.kind === "union" || t.logicalType !== "decimal" || !t.props) return null;
  if (!(t.kind === "fixed" || (t.kind === "primitive" && t.type === "bytes"))) return null;
  const { precision, scale = 0 } = t.props as { precision?: unknown; scale?: unknown };
  if (!Number.isInteger(precision) || (precision as number) <= 0) return null;
  if (!Number.isInteger(scale) || (scale as number) < 0 || (scale as number) > (precision as number)) return null;
  // A fixed of n bytes holds at most floor(log10(2^(8n-1) - 1)) digits.
  if (t.kind === "fixed" && (precision as number) > Math.floor(Math.log10(2 ** (8 * t.size - 1) - 1))) return null;
  return { precision: precision as number, scale: scale as number };
}

function issue(path: string, rule: keyof typeof AVRO_RULES, message: string): Incompatibility {
  return { path: path || "/", rule, message };
}

function typeMismatch(r: Concrete, w: Concrete, path: string): Incompatibility {
  return issue(path, "TYPE_MISMATCH", `the reader's ${describe(r)} cannot read the writer's ${describe(w)}`);
}

function decimalMismatch(r: Concrete, w: Concrete, path: string): Incompatibility {
  const [a, b] = [decimalOf(r)!, decimalOf(w)!];
  return issue(path, "DECIMAL_MISMATCH", `the reader's decimal(${a.precision}, ${a.scale}) does not match the writer's decimal(${b.precision}, ${b.scale})`);
}
