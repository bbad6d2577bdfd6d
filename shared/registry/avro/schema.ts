/**
 * The normalized form of an Avro schema (Avro 1.11 specification, "Schema Declaration"): every
 * named type is defined once, where it first appears, and referred to by full name after that.
 * Plain JSON (no cycles), so it can be stored, cloned or sent over RPC as it is.
 */

export const AVRO_PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"] as const;
export type AvroPrimitive = (typeof AVRO_PRIMITIVES)[number];

/** Attributes the specification does not define: metadata, carried through untouched (§ Schema Declaration). */
export type AvroProps = Record<string, unknown>;

export type AvroPrimitiveType = { kind: "primitive"; type: AvroPrimitive; logicalType?: string; props?: AvroProps };
export type AvroField = {
  name: string;
  type: AvroType;
  /** Simple names (§ Aliases: field aliases have no namespace). */
  aliases: string[];
  /** Present only when the field declares one; `{ value: null }` is a null default. */
  default?: { value: unknown };
  order: "ascending" | "descending" | "ignore";
  doc?: string;
  props?: AvroProps;
};
export type AvroRecord = { kind: "record"; name: string; aliases: string[]; fields: AvroField[]; doc?: string; logicalType?: string; props?: AvroProps };
export type AvroEnum = { kind: "enum"; name: string; aliases: string[]; symbols: string[]; default?: string; doc?: string; logicalType?: string; props?: AvroProps };
export type AvroFixed = { kind: "fixed"; name: string; aliases: string[]; size: number; doc?: string; logicalType?: string; props?: AvroProps };
export type AvroArray = { kind: "array"; items: AvroType; logicalType?: string; props?: AvroProps };
export type AvroMap = { kind: "map"; values: AvroType; logicalType?: string; props?: AvroProps };
export type AvroUnion = { kind: "union"; branches: AvroType[] };
/** A use of a named type defined earlier (or of the record being defined: recursion). */
export type AvroRef = { kind: "ref"; name: string };

/** Records, enums and fixed carry full names; their aliases are full names too (§ Aliases). */
export type AvroNamed = AvroRecord | AvroEnum | AvroFixed;
export type AvroType = AvroPrimitiveType | AvroNamed | AvroArray | AvroMap | AvroUnion | AvroRef;

export type AvroSchema = {
  format: "avro";
  root: AvroType;
  /** Every named type by full name: the same objects that appear inline at their definition. */
  named: Record<string, AvroNamed>;
};

export type AvroParseResult = { ok: true; schema: AvroSchema } | { ok: false; error: string };

export function isAvroSchema(value: unknown): value is AvroSchema {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<AvroSchema>;
  return v.format === "avro" && typeof v.root === "object" && v.root !== null && typeof v.named === "object" && v.named !== null;
}

/** A reference replaced by its definition; anything else as it is. */
export function deref(schema: AvroSchema, type: AvroType): Exclude<AvroType, AvroRef> {
  if (type.kind !== "ref") return type;
  const named = schema.named[type.name];
  // The parser only emits references to names it has defined, so this is a corrupted schema.
  if (!named) throw new Error(`avro: reference to undefined name ${type.name}`);
  return named;
}

/** The unqualified part of a full name: what the resolution rules compare (§ Schema Resolution). */
export function simpleName(fullName: string): string {
  const dot = fullName.lastIndexOf(".");
  return dot === -1 ? fullName : fullName.slice(dot + 1);
}

/** A short description for messages: "int", "record a.b.C", "array", … */
export function describe(type: Exclude<AvroType, AvroRef>): string {
  switch (type.kind) {
    case "primitive":
      return type.type;
    case "record":
    case "enum":
    case "fixed":
      return `${type.kind} ${type.name}`;
    default:
      return type.kind;
  }
}
