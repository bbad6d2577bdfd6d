/**
 * Parse a .proto file into the normalized form of ./schema.ts, or say in one line why it is
 * not a valid schema. protobufjs's parser reads the text (it builds reflection objects only:
 * no code generation, so it runs in workerd); this module resolves type names by the
 * Language Specification's scoping rules and adds the checks protoc makes that protobufjs skips.
 */
import protobuf from "protobufjs";
import { PROTO_SCALARS, type ProtoEnum, type ProtoField, type ProtoLabel, type ProtoMessage, type ProtoParseResult, type ProtoReserved, type ProtoScalar, type ProtoSchema, type ProtoTypeRef } from "./schema";

const SCALARS = new Set<string>(PROTO_SCALARS);
/** Field numbers: 1 … 2^29-1, except 19000-19999, reserved for the implementation (Language Guide, "Assigning Field Numbers"). */
const MAX_FIELD_NUMBER = 2 ** 29 - 1;
const IMPLEMENTATION_RESERVED: [number, number] = [19000, 19999];

class ProtoError extends Error {}

export function parseProto(text: string): ProtoParseResult {
  const syntax = syntaxOf(text);
  if (!syntax.ok) return { ok: false, error: syntax.error };
  let parsed: protobuf.IParserResult;
  try {
    parsed = protobuf.parse(text, new protobuf.Root(), { keepCase: true });
  } catch (err) {
    return { ok: false, error: `invalid .proto: ${err instanceof Error ? err.message : String(err)}` };
  }
  const imports = [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])];
  try {
    const top = topLevel(parsed.root);
    const names = new Map<string, "message" | "enum">();
    const index = (types: protobuf.ReflectionObject[]) => {
      for (const t of types) {
        if (t instanceof protobuf.Type) {
          names.set(fullName(t), "message");
          index(t.nestedArray);
        } else if (t instanceof protobuf.Enum) names.set(fullName(t), "enum");
      }
    };
    index(top);
    const ctx: Ctx = { syntax: syntax.value, names, external: imports.length > 0 };
    const schema: ProtoSchema = {
      format: "protobuf",
      syntax: syntax.value,
      package: parsed.package ?? "",
      imports,
      messages: top.filter((t): t is protobuf.Type => t instanceof protobuf.Type).map((t) => message(t, ctx)),
      enums: top.filter((t): t is protobuf.Enum => t instanceof protobuf.Enum).map((e) => enumOf(e, ctx)),
    };
    return { ok: true, schema };
  } catch (err) {
    if (err instanceof ProtoError) return { ok: false, error: err.message };
    throw err;
  }
}

type Ctx = { syntax: string; names: Map<string, "message" | "enum">; external: boolean };

/**
 * The `syntax` or `edition` statement, which must come first; none means proto2 (as protoc
 * reads it). protobufjs accepts any syntax string, so it is checked here.
 */
function syntaxOf(text: string): { ok: true; value: string } | { ok: false; error: string } {
  let rest = text.replace(/^\uFEFF/, "");
  for (let m = /^(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest); m; m = /^(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest)) rest = rest.slice(m[0].length);
  const s = /^(syntax|edition)\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(rest);
  if (!s) return { ok: true, value: "proto2" };
  const value = s[2] ?? s[3] ?? "";
  if (s[1] === "syntax" && value !== "proto2" && value !== "proto3") return { ok: false, error: `invalid .proto: unknown syntax "${value}" (proto2 or proto3; editions use edition = "2023")` };
  return { ok: true, value };
}

/** Messages and enums declared at file level (inside the package's namespaces). */
function topLevel(ns: protobuf.NamespaceBase): protobuf.ReflectionObject[] {
  return ns.nestedArray.flatMap((child) => (child instanceof protobuf.Type || child instanceof protobuf.Enum ? [child] : child instanceof protobuf.Namespace && !(child instanceof protobuf.Service) ? topLevel(child) : []));
}

function fullName(o: protobuf.ReflectionObject): string {
  return o.fullName.replace(/^\./, "");
}

function message(t: protobuf.Type, ctx: Ctx): ProtoMessage {
  const name = fullName(t);
  const synthetic = new Set(t.oneofsArray.filter((o) => o.fieldsArray.length === 1 && o.fieldsArray[0]!.options?.proto3_optional === true).map((o) => o.name));
  const fields = t.fieldsArray.map((f) => field(f, name, synthetic, ctx));
  const reserved = reservedOf(t.reserved);
  for (const f of fields) {
    if (f.number < 1 || f.number > MAX_FIELD_NUMBER) throw new ProtoError(`invalid .proto: ${name}.${f.name}: field number ${f.number} is outside 1 … ${MAX_FIELD_NUMBER}`);
    if (f.number >= IMPLEMENTATION_RESERVED[0] && f.number <= IMPLEMENTATION_RESERVED[1]) throw new ProtoError(`invalid .proto: ${name}.${f.name}: field numbers 19000-19999 are reserved for the protobuf implementation`);
  }
  return {
    name: t.name,
    fullName: name,
    fields,
    oneofs: t.oneofsArray.filter((o) => !synthetic.has(o.name)).map((o) => o.name),
    reserved,
    messages: t.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type).map((n) => message(n, ctx)),
    enums: t.nestedArray.filter((n): n is protobuf.Enum => n instanceof protobuf.Enum).map((n) => enumOf(n, ctx)),
  };
}

function field(f: protobuf.Field, scope: string, synthetic: Set<string>, ctx: Ctx): ProtoField {
  const oneof = f.partOf && !synthetic.has(f.partOf.name) ? f.partOf.name : undefined;
  const at = `${scope}.${f.name}`;
  let type: ProtoTypeRef;
  if (f instanceof protobuf.MapField) type = { kind: "map", key: f.keyType as ProtoScalar, value: typeRef(f.type, scope, at, ctx) };
  else type = typeRef(f.type, scope, at, ctx);
  let label: ProtoLabel = null;
  if (f.rule === "repeated" || f.rule === "required") label = f.rule;
  else if (f.options?.proto3_optional === true || (ctx.syntax === "proto2" && !oneof && type.kind !== "map")) label = "optional";
  return { name: f.name, number: f.id, label, type, ...(oneof ? { oneof } : {}) };
}

/**
 * Language Specification, name resolution: a relative name is looked up in the innermost scope
 * first, then outwards to the file's package and its parents; a leading dot makes it absolute.
 */
function typeRef(name: string, scope: string, at: string, ctx: Ctx): ProtoTypeRef {
  if (SCALARS.has(name)) return { kind: "scalar", name: name as ProtoScalar };
  if (name.startsWith(".")) {
    const kind = ctx.names.get(name.slice(1));
    if (kind) return { kind, name: name.slice(1) };
  } else {
    const parts = scope.split(".");
    for (let i = parts.length; i >= 0; i--) {
      const candidate = [...parts.slice(0, i), name].join(".");
      const kind = ctx.names.get(candidate);
      if (kind) return { kind, name: candidate };
    }
  }
  if (ctx.external) return { kind: "external", name: name.replace(/^\./, "") };
  throw new ProtoError(`invalid .proto: ${at}: unknown type "${name}" (the file imports nothing that could define it)`);
}

function enumOf(e: protobuf.Enum, ctx: Ctx): ProtoEnum {
  const values = Object.entries(e.values).map(([name, number]) => ({ name, number }));
  // proto3 (Language Guide, "Enumerations"): the first value must be zero, the implicit default.
  if (ctx.syntax === "proto3" && values.length > 0 && values[0]!.number !== 0) throw new ProtoError(`invalid .proto: ${fullName(e)}: the first enum value must be zero in proto3`);
  return { name: e.name, fullName: fullName(e), values, reserved: reservedOf(e.reserved) };
}

function reservedOf(reserved: (number[] | string)[] | undefined): ProtoReserved {
  const out: ProtoReserved = { ranges: [], names: [] };
  for (const r of reserved ?? []) {
    if (typeof r === "string") out.names.push(r);
    else out.ranges.push([r[0]!, r[1] ?? r[0]!]);
  }
  return out;
}
