/**
 * The normalized form of a .proto file that compatibility needs: messages, enums, fields by
 * number with their resolved types, oneofs and reserved numbers (Protocol Buffers Language
 * Specification, proto2/proto3). Plain JSON: it can be stored, cloned or sent over RPC.
 */

export const PROTO_SCALARS = ["double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes"] as const;
export type ProtoScalar = (typeof PROTO_SCALARS)[number];

/**
 * A field's type. Named types are resolved to full names without the leading dot; a name that
 * does not resolve inside the file, in a file that imports others, is `external` (as written):
 * its definition lives in a schema reference this registry does not hold.
 */
export type ProtoTypeRef =
  | { kind: "scalar"; name: ProtoScalar }
  | { kind: "message"; name: string }
  | { kind: "enum"; name: string }
  | { kind: "external"; name: string }
  | { kind: "map"; key: ProtoScalar; value: ProtoTypeRef };

/**
 * null = proto3's implicit presence (or a oneof member, or a map); "optional" = proto2's
 * optional or proto3's explicit `optional`. Only repeated-versus-singular and required matter
 * on the wire.
 */
export type ProtoLabel = "optional" | "required" | "repeated" | null;

export type ProtoField = { name: string; number: number; label: ProtoLabel; type: ProtoTypeRef; oneof?: string };
/** Inclusive ranges of reserved numbers, and reserved names. */
export type ProtoReserved = { ranges: [number, number][]; names: string[] };
export type ProtoEnum = { name: string; fullName: string; values: { name: string; number: number }[]; reserved: ProtoReserved };
export type ProtoMessage = {
  name: string;
  fullName: string;
  fields: ProtoField[];
  /** Declared oneofs only: the synthetic ones protobufjs makes for proto3 `optional` are dropped. */
  oneofs: string[];
  reserved: ProtoReserved;
  messages: ProtoMessage[];
  enums: ProtoEnum[];
};

export type ProtoSchema = {
  format: "protobuf";
  /** "proto2", "proto3" or an edition ("2023", "2024"). */
  syntax: string;
  package: string;
  imports: string[];
  messages: ProtoMessage[];
  enums: ProtoEnum[];
};

export type ProtoParseResult = { ok: true; schema: ProtoSchema } | { ok: false; error: string };

export function isProtoSchema(value: unknown): value is ProtoSchema {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<ProtoSchema>;
  return v.format === "protobuf" && Array.isArray(v.messages) && Array.isArray(v.enums) && typeof v.package === "string";
}

export function isReserved(reserved: ProtoReserved, n: number): boolean {
  return reserved.ranges.some(([from, to]) => n >= from && n <= to);
}

/** "scalar int32", "message a.B", "map<string, message a.B>": for messages. */
export function describeType(t: ProtoTypeRef): string {
  return t.kind === "map" ? `map<${t.key}, ${describeType(t.value)}>` : `${t.kind} ${t.name}`;
}

/** Every message and enum of the file by full name, nested ones included. */
export function indexTypes(schema: ProtoSchema): Map<string, ProtoMessage | ProtoEnum> {
  const out = new Map<string, ProtoMessage | ProtoEnum>();
  const visit = (messages: ProtoMessage[], enums: ProtoEnum[]) => {
    for (const e of enums) out.set(e.fullName, e);
    for (const m of messages) {
      out.set(m.fullName, m);
      visit(m.messages, m.enums);
    }
  };
  visit(schema.messages, schema.enums);
  return out;
}
