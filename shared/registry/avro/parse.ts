/**
 * Parse an Avro schema (JSON text or an already-parsed JSON value) into the normalized form of
 * ./schema.ts, or say in one line, with a JSON-pointer location, why it is not a valid schema.
 * Rules are the Avro 1.11 specification's "Schema Declaration", "Complex Types" and "Names".
 */
import { checkDefault } from "./default-value";
import { AVRO_PRIMITIVES, type AvroField, type AvroNamed, type AvroParseResult, type AvroPrimitive, type AvroProps, type AvroSchema, type AvroType } from "./schema";

/** § Names: a name part starts with [A-Za-z_] and then holds only [A-Za-z0-9_]. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PRIMITIVES = new Set<string>(AVRO_PRIMITIVES);
/** Deeper than this is an attack or a mistake; refusing it keeps the stack safe in a Worker. */
const MAX_DEPTH = 128;

/** Attributes with a meaning of their own per kind; everything else is carried in `props`. */
const RESERVED: Record<string, readonly string[]> = {
  primitive: ["type", "logicalType"],
  record: ["type", "name", "namespace", "aliases", "doc", "fields", "logicalType"],
  enum: ["type", "name", "namespace", "aliases", "doc", "symbols", "default", "logicalType"],
  fixed: ["type", "name", "namespace", "aliases", "doc", "size", "logicalType"],
  array: ["type", "items", "logicalType"],
  map: ["type", "values", "logicalType"],
  field: ["name", "type", "default", "order", "aliases", "doc"],
};

class SchemaError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

type Ctx = { named: Record<string, AvroNamed>; defaults: { type: AvroType; value: unknown; path: string }[] };

/** A string is schema text (JSON); anything else is taken as the parsed JSON of a schema. */
export function parseAvroSchema(input: unknown): AvroParseResult {
  let json = input;
  if (typeof input === "string") {
    try {
      json = JSON.parse(input);
    } catch (err) {
      return { ok: false, error: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  const ctx: Ctx = { named: {}, defaults: [] };
  try {
    const root = parseType(json, "", "", ctx, 0);
    const schema: AvroSchema = { format: "avro", root, named: ctx.named };
    // Defaults are checked once every name is complete: a recursive record's default may use it.
    for (const d of ctx.defaults) {
      const problem = checkDefault(schema, d.type, d.value);
      if (problem) throw new SchemaError(d.path, `invalid default value: ${problem}`);
    }
    return { ok: true, schema };
  } catch (err) {
    if (err instanceof SchemaError) return { ok: false, error: `${err.path || "/"}: ${err.message}` };
    throw err;
  }
}

function parseType(json: unknown, namespace: string, path: string, ctx: Ctx, depth: number): AvroType {
  if (depth > MAX_DEPTH) throw new SchemaError(path, `nested deeper than ${MAX_DEPTH} levels`);
  if (typeof json === "string") return reference(json, namespace, path, ctx);
  if (Array.isArray(json)) return parseUnion(json, namespace, path, ctx, depth);
  if (!isObject(json)) throw new SchemaError(path, "a schema is a JSON string (a type name), object or array (a union)");
  const type = json.type;
  if (type === undefined) throw new SchemaError(path, 'missing "type"');
  if (typeof type !== "string") throw new SchemaError(`${path}/type`, '"type" must be a string');
  if (PRIMITIVES.has(type)) return { kind: "primitive", type: type as AvroPrimitive, ...extras(json, "primitive") };
  switch (type) {
    case "record":
    case "error": // § Protocol Declaration: an error is a record
      return parseRecord(json, namespace, path, ctx, depth);
    case "enum":
      return parseEnum(json, namespace, path, ctx);
    case "fixed":
      return parseFixed(json, namespace, path, ctx);
    case "array":
      if (!("items" in json)) throw new SchemaError(path, 'an array needs "items"');
      return { kind: "array", items: parseType(json.items, namespace, `${path}/items`, ctx, depth + 1), ...extras(json, "array") };
    case "map":
      if (!("values" in json)) throw new SchemaError(path, 'a map needs "values"');
      return { kind: "map", values: parseType(json.values, namespace, `${path}/values`, ctx, depth + 1), ...extras(json, "map") };
    default:
      // {"type": "Name"} uses a defined name, as Java's parser accepts.
      return reference(type, namespace, `${path}/type`, ctx);
  }
}

/** § Names: a dotted name is a full name; a simple one is looked up in the enclosing namespace. */
function reference(name: string, namespace: string, path: string, ctx: Ctx): AvroType {
  if (PRIMITIVES.has(name)) return { kind: "primitive", type: name as AvroPrimitive };
  const full = name.includes(".") || namespace === "" ? name : `${namespace}.${name}`;
  if (ctx.named[full]) return { kind: "ref", name: full };
  // Java's parser falls back to the null namespace; schemas in the wild rely on it.
  if (!name.includes(".") && ctx.named[name]) return { kind: "ref", name };
  throw new SchemaError(path, `undefined name "${name}" (a named type must be defined before it is used)`);
}

function parseUnion(json: unknown[], namespace: string, path: string, ctx: Ctx, depth: number): AvroType {
  const branches = json.map((b, i) => parseType(b, namespace, `${path}/${i}`, ctx, depth + 1));
  const seen = new Set<string>();
  branches.forEach((b, i) => {
    // § Unions: no union directly inside a union; at most one branch of each unnamed type.
    if (b.kind === "union") throw new SchemaError(`${path}/${i}`, "a union may not immediately contain another union");
    const key = b.kind === "primitive" ? b.type : b.kind === "array" || b.kind === "map" ? b.kind : `name:${b.name}`;
    if (seen.has(key)) throw new SchemaError(`${path}/${i}`, `the union already has a branch of type ${key.replace(/^name:/, "")}`);
    seen.add(key);
  });
  return { kind: "union", branches };
}

/** § Names: full name and namespace of a named type; it is registered before its body is read. */
function defineName(json: Record<string, unknown>, enclosing: string, path: string, ctx: Ctx): { full: string; namespace: string; aliases: string[] } {
  const name = json.name;
  if (typeof name !== "string") throw new SchemaError(`${path}/name`, 'a named type needs a string "name"');
  let namespace: string;
  if (name.includes(".")) namespace = name.slice(0, name.lastIndexOf("."));
  else if (json.namespace === undefined || json.namespace === null) namespace = enclosing;
  else if (typeof json.namespace === "string") namespace = json.namespace;
  else throw new SchemaError(`${path}/namespace`, '"namespace" must be a string');
  const simple = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1) : name;
  checkFullName(simple, namespace, `${path}/name`);
  // § Names: primitive type names may not be defined in any namespace.
  if (PRIMITIVES.has(simple)) throw new SchemaError(`${path}/name`, `"${simple}" is a primitive type name and cannot be defined`);
  const full = namespace === "" ? simple : `${namespace}.${simple}`;
  if (ctx.named[full]) throw new SchemaError(`${path}/name`, `"${full}" is defined twice`);
  return { full, namespace, aliases: parseAliases(json, namespace, path, true) };
}

function checkFullName(simple: string, namespace: string, path: string): void {
  if (!NAME.test(simple)) throw new SchemaError(path, `"${simple}" is not a valid name ([A-Za-z_][A-Za-z0-9_]*)`);
  if (namespace !== "" && !namespace.split(".").every((part) => NAME.test(part))) throw new SchemaError(path, `"${namespace}" is not a valid namespace`);
}

/** § Aliases: a type alias is full, or relative to the type's namespace; field aliases are simple. */
function parseAliases(json: Record<string, unknown>, namespace: string, path: string, qualified: boolean): string[] {
  if (json.aliases === undefined) return [];
  if (!Array.isArray(json.aliases)) throw new SchemaError(`${path}/aliases`, '"aliases" must be an array of strings');
  return json.aliases.map((alias, i) => {
    const at = `${path}/aliases/${i}`;
    if (typeof alias !== "string") throw new SchemaError(at, "an alias must be a string");
    if (!qualified) {
      if (!NAME.test(alias)) throw new SchemaError(at, `"${alias}" is not a valid name`);
      return alias;
    }
    const dot = alias.lastIndexOf(".");
    const [space, simple] = dot === -1 ? [namespace, alias] : [alias.slice(0, dot), alias.slice(dot + 1)];
    checkFullName(simple, space, at);
    return space === "" ? simple : `${space}.${simple}`;
  });
}

function parseRecord(json: Record<string, unknown>, enclosing: string, path: string, ctx: Ctx, depth: number): AvroNamed {
  const { full, namespace, aliases } = defineName(json, enclosing, path, ctx);
  if (!Array.isArray(json.fields)) throw new SchemaError(`${path}/fields`, 'a record needs a "fields" array');
  const record: AvroNamed = { kind: "record", name: full, aliases, fields: [], ...doc(json), ...extras(json, "record") };
  ctx.named[full] = record; // before the fields: a field may refer to the record itself
  const names = new Set<string>();
  json.fields.forEach((f, i) => {
    const at = `${path}/fields/${i}`;
    if (!isObject(f)) throw new SchemaError(at, "a field is an object");
    if (typeof f.name !== "string" || !NAME.test(f.name)) throw new SchemaError(`${at}/name`, "a field needs a valid name ([A-Za-z_][A-Za-z0-9_]*)");
    if (names.has(f.name)) throw new SchemaError(`${at}/name`, `duplicate field name "${f.name}"`);
    names.add(f.name);
    if (!("type" in f)) throw new SchemaError(at, `field "${f.name}" has no "type"`);
    const type = parseType(f.type, namespace, `${at}/type`, ctx, depth + 1);
    const order = f.order ?? "ascending";
    if (order !== "ascending" && order !== "descending" && order !== "ignore") throw new SchemaError(`${at}/order`, '"order" is "ascending", "descending" or "ignore"');
    const field: AvroField = { name: f.name, type, aliases: parseAliases(f, namespace, at, false), order, ...doc(f), ...extras(f, "field") };
    if ("default" in f) {
      field.default = { value: f.default };
      ctx.defaults.push({ type, value: f.default, path: `${at}/default` });
    }
    record.fields.push(field);
  });
  return record;
}

function parseEnum(json: Record<string, unknown>, enclosing: string, path: string, ctx: Ctx): AvroNamed {
  const { full, aliases } = defineName(json, enclosing, path, ctx);
  if (!Array.isArray(json.symbols)) throw new SchemaError(`${path}/symbols`, 'an enum needs a "symbols" array');
  const symbols: string[] = [];
  json.symbols.forEach((s, i) => {
    if (typeof s !== "string" || !NAME.test(s)) throw new SchemaError(`${path}/symbols/${i}`, "a symbol is a valid name ([A-Za-z_][A-Za-z0-9_]*)");
    if (symbols.includes(s)) throw new SchemaError(`${path}/symbols/${i}`, `duplicate symbol "${s}"`);
    symbols.push(s);
  });
  const result: AvroNamed = { kind: "enum", name: full, aliases, symbols, ...doc(json), ...extras(json, "enum") };
  if (json.default !== undefined) {
    // § Enums: the default must be one of the symbols.
    if (typeof json.default !== "string" || !symbols.includes(json.default)) throw new SchemaError(`${path}/default`, "an enum default must be one of its symbols");
    result.default = json.default;
  }
  ctx.named[full] = result;
  return result;
}

function parseFixed(json: Record<string, unknown>, enclosing: string, path: string, ctx: Ctx): AvroNamed {
  const { full, aliases } = defineName(json, enclosing, path, ctx);
  const size = json.size;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 0 || size > 2 ** 31 - 1) throw new SchemaError(`${path}/size`, 'a fixed needs an integer "size" ≥ 0');
  const result: AvroNamed = { kind: "fixed", name: full, aliases, size, ...doc(json), ...extras(json, "fixed") };
  ctx.named[full] = result;
  return result;
}

function doc(json: Record<string, unknown>): { doc?: string } {
  return typeof json.doc === "string" ? { doc: json.doc } : {};
}

/** logicalType and the attributes the specification does not define, carried through as they are. */
function extras(json: Record<string, unknown>, kind: keyof typeof RESERVED): { logicalType?: string; props?: AvroProps } {
  const out: { logicalType?: string; props?: AvroProps } = {};
  if (kind !== "field" && typeof json.logicalType === "string") out.logicalType = json.logicalType;
  const reserved = RESERVED[kind]!;
  const props = Object.entries(json).filter(([k]) => !reserved.includes(k));
  if (props.length > 0) out.props = Object.fromEntries(props);
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
