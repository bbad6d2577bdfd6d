/**
 * canReadProtobuf: can a reader with one .proto read every message written with another? Fields
 * are matched by number (names are free), types by wire compatibility (Language Guide, "Updating
 * A Message Type"), with the rule names and paths ("#/Message/oneof/3") of Confluent's
 * ProtobufSchema diff, where writer = the older schema and reader = the newer one.
 */
import type { CanRead, Incompatibility } from "../compatibility";
import { parseProto } from "./parse";
import { describeType, indexTypes, isProtoSchema, isReserved, type ProtoEnum, type ProtoField, type ProtoLabel, type ProtoMessage, type ProtoSchema, type ProtoTypeRef } from "./schema";

export const PROTOBUF_RULES = {
  PACKAGE_CHANGED: "PACKAGE_CHANGED",
  MESSAGE_REMOVED: "MESSAGE_REMOVED",
  FIELD_KIND_CHANGED: "FIELD_KIND_CHANGED",
  FIELD_SCALAR_KIND_CHANGED: "FIELD_SCALAR_KIND_CHANGED",
  FIELD_NAMED_TYPE_CHANGED: "FIELD_NAMED_TYPE_CHANGED",
  FIELD_NUMERIC_LABEL_CHANGED: "FIELD_NUMERIC_LABEL_CHANGED",
  REQUIRED_FIELD_ADDED: "REQUIRED_FIELD_ADDED",
  REQUIRED_FIELD_REMOVED: "REQUIRED_FIELD_REMOVED",
  ONEOF_FIELD_REMOVED: "ONEOF_FIELD_REMOVED",
  MULTIPLE_FIELDS_MOVED_TO_ONEOF: "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
  FIELD_MOVED_TO_EXISTING_ONEOF: "FIELD_MOVED_TO_EXISTING_ONEOF",
  RESERVED_FIELD_NUMBER_REUSED: "RESERVED_FIELD_NUMBER_REUSED",
  RESERVED_ENUM_NUMBER_REUSED: "RESERVED_ENUM_NUMBER_REUSED",
  INVALID_SCHEMA: "INVALID_SCHEMA",
} as const;
type Rule = keyof typeof PROTOBUF_RULES;

/**
 * Wire-compatible scalar groups (Language Guide, "Updating A Message Type"): varints (enums are
 * varints too), zigzag varints, 4-byte, 8-byte, length-delimited text; float and double alone.
 */
const SCALAR_KIND: Record<string, string> = {
  int32: "varint", int64: "varint", uint32: "varint", uint64: "varint", bool: "varint",
  sint32: "zigzag", sint64: "zigzag",
  fixed32: "fixed32", sfixed32: "fixed32",
  fixed64: "fixed64", sfixed64: "fixed64",
  string: "string-or-bytes", bytes: "string-or-bytes",
  float: "float", double: "double",
};

/** Either argument may be .proto text or parseProto's normalized schema. */
export const canReadProtobuf: CanRead = (reader, writer) => {
  const r = load(reader);
  const w = load(writer);
  const invalid: Incompatibility[] = [];
  if (!r.ok) invalid.push({ path: "#/", rule: "INVALID_SCHEMA", message: `the reader's schema is not a valid .proto: ${r.error}` });
  if (!w.ok) invalid.push({ path: "#/", rule: "INVALID_SCHEMA", message: `the writer's schema is not a valid .proto: ${w.error}` });
  if (!r.ok || !w.ok) return invalid;
  return new Diff(r.schema, w.schema).run();
};

function load(value: unknown): { ok: true; schema: ProtoSchema } | { ok: false; error: string } {
  if (isProtoSchema(value)) return { ok: true, schema: value };
  return typeof value === "string" ? parseProto(value) : { ok: false, error: "expected .proto text" };
}

class Diff {
  readonly #readerTypes: Map<string, ProtoMessage | ProtoEnum>;
  readonly #writerTypes: Map<string, ProtoMessage | ProtoEnum>;
  /** Message pairs being compared (recursive types add nothing new) and those already done. */
  readonly #inProgress = new Set<string>();
  readonly #done = new Map<string, Incompatibility[]>();

  constructor(
    readonly reader: ProtoSchema,
    readonly writer: ProtoSchema,
  ) {
    this.#readerTypes = indexTypes(reader);
    this.#writerTypes = indexTypes(writer);
  }

  run(): Incompatibility[] {
    const out: Incompatibility[] = [];
    // Confluent counts a package change as incompatible: full names (and Any URLs) change.
    if (this.writer.package !== this.reader.package) out.push(issue([], "PACKAGE_CHANGED", `the writer's package "${this.writer.package}" is "${this.reader.package}" in the reader's schema`));
    out.push(...this.types(this.writer.messages, this.reader.messages, this.writer.enums, this.reader.enums, []));
    const seen = new Set<string>();
    return out.filter((i) => !seen.has(`${i.path} ${i.rule}`) && seen.add(`${i.path} ${i.rule}`));
  }

  /** Messages and enums matched by name at one level. Added ones, and removed enums, are harmless. */
  types(wm: ProtoMessage[], rm: ProtoMessage[], we: ProtoEnum[], re: ProtoEnum[], path: string[]): Incompatibility[] {
    const out: Incompatibility[] = [];
    for (const w of wm) {
      const r = rm.find((m) => m.name === w.name);
      // Confluent's framing names a message by its index in the file: any message may have written data.
      if (!r) out.push(issue([...path, w.name], "MESSAGE_REMOVED", `the reader's schema has no message ${w.fullName}, which the writer's defines`));
      else out.push(...this.message(w, r, [...path, w.name]));
    }
    for (const w of we) {
      const r = re.find((e) => e.name === w.name);
      if (!r) continue;
      // Values may come, go or be renamed (proto3 keeps unknown numbers); a retired number may not return.
      for (const v of r.values) {
        if (isReserved(w.reserved, v.number)) out.push(issue([...path, w.name, String(v.number)], "RESERVED_ENUM_NUMBER_REUSED", `the reader's ${r.fullName}.${v.name} uses ${v.number}, a number the writer reserved`));
      }
    }
    return out;
  }

  message(w: ProtoMessage, r: ProtoMessage, path: string[]): Incompatibility[] {
    const key = `${w.fullName}\u0000${r.fullName}`;
    const done = this.#done.get(key);
    if (done) return done;
    if (this.#inProgress.has(key)) return [];
    this.#inProgress.add(key);
    const out: Incompatibility[] = [];
    const wBy = new Map(w.fields.map((f) => [f.number, f]));
    const rBy = new Map(r.fields.map((f) => [f.number, f]));
    // A oneof dropped with all of its members is a plain deletion; a partial one loses members.
    const deletedOneofs = new Set(w.oneofs.filter((o) => !r.oneofs.includes(o) && !w.fields.some((f) => f.oneof === o && rBy.has(f.number))));
    for (const o of r.oneofs) {
      // Fields the writer could set together must not become mutually exclusive for the reader.
      const groups = new Set<string>();
      let movedIn = 0;
      for (const f of r.fields.filter((f) => f.oneof === o)) {
        const written = wBy.get(f.number);
        if (!written) continue;
        if (written.oneof) groups.add(`oneof ${written.oneof}`);
        else (groups.add(`field ${written.number}`), movedIn++);
      }
      if (groups.size > 1) {
        const rule = movedIn > 1 ? "MULTIPLE_FIELDS_MOVED_TO_ONEOF" : "FIELD_MOVED_TO_EXISTING_ONEOF";
        out.push(issue([...path, o], rule, `the reader's oneof ${o} joins what the writer may set together: ${[...groups].join(", ")}`));
      }
    }
    for (const n of [...new Set([...wBy.keys(), ...rBy.keys()])].sort((a, b) => a - b)) {
      const wf = wBy.get(n);
      const rf = rBy.get(n);
      const at = [...path, ...((rf ?? wf)!.oneof ? [(rf ?? wf)!.oneof!] : []), String(n)];
      if (wf && !rf) {
        if (wf.oneof && !deletedOneofs.has(wf.oneof)) out.push(issue(at, "ONEOF_FIELD_REMOVED", `the writer's field ${n} (${wf.name}) of oneof ${wf.oneof} is gone from the reader's schema`));
        if (!wf.oneof && wf.label === "required") out.push(issue(at, "REQUIRED_FIELD_REMOVED", `the writer's required field ${n} (${wf.name}) is gone from the reader's schema (required is forever)`));
      } else if (rf && !wf) {
        if (rf.label === "required") out.push(issue(at, "REQUIRED_FIELD_ADDED", `the reader requires field ${n} (${rf.name}), which the writer never writes`));
        if (isReserved(w.reserved, n)) out.push(issue(at, "RESERVED_FIELD_NUMBER_REUSED", `the reader's field ${rf.name} uses ${n}, a number the writer reserved`));
      } else if (wf && rf) out.push(...this.field(wf, rf, at));
    }
    out.push(...this.types(w.messages, r.messages, w.enums, r.enums, path));
    this.#inProgress.delete(key);
    this.#done.set(key, out);
    return out;
  }

  field(wf: ProtoField, rf: ProtoField, at: string[]): Incompatibility[] {
    const out = this.type(wf.label, rf.label, wf.type, rf.type, at, `field ${wf.number}`);
    // proto2: a reader that requires what the writer may omit fails to parse (Confluent checks this for numbers only).
    if (rf.label === "required" && wf.label !== "required") out.push(issue(at, "REQUIRED_FIELD_ADDED", `the reader requires field ${rf.number} (${rf.name}), which the writer may omit`));
    return out;
  }

  type(wl: ProtoLabel, rl: ProtoLabel, wt: ProtoTypeRef, rt: ProtoTypeRef, at: string[], what: string): Incompatibility[] {
    const wk = kindOf(wt);
    if (wk !== kindOf(rt)) return [issue(at, "FIELD_KIND_CHANGED", `${what} is a ${describeType(wt)} for the writer and a ${describeType(rt)} for the reader`)];
    if (wt.kind === "map" && rt.kind === "map") {
      return [...this.type(null, null, { kind: "scalar", name: wt.key }, { kind: "scalar", name: rt.key }, at, `${what}'s key`), ...this.type(null, null, wt.value, rt.value, at, `${what}'s value`)];
    }
    if (wk === "message") return this.messageType(wt, rt, at, what);
    const [ws, rs] = [scalarKind(wt), scalarKind(rt)];
    if (ws !== rs) return [issue(at, "FIELD_SCALAR_KIND_CHANGED", `${what}: the writer's ${describeType(wt)} and the reader's ${describeType(rt)} are not wire-compatible`)];
    // Repeated numbers are packed (proto3) and a singular reader drops them; repeated and singular
    // strings, bytes and messages share one encoding. Confluent compares the labels only when both
    // are explicit; proto3's implicit label is singular too, and packing changes the wire type.
    if (ws !== "string-or-bytes" && (wl === "repeated") !== (rl === "repeated")) {
      return [issue(at, "FIELD_NUMERIC_LABEL_CHANGED", `${what} is ${wl === "repeated" ? "repeated" : "singular"} for the writer and ${rl === "repeated" ? "repeated" : "singular"} for the reader`)];
    }
    return [];
  }

  /** Same local name (full name less the package): compare the definitions; else a different type. */
  messageType(wt: ProtoTypeRef, rt: ProtoTypeRef, at: string[], what: string): Incompatibility[] {
    const wDef = wt.kind === "message" ? this.#writerTypes.get(wt.name) : undefined;
    const rDef = rt.kind === "message" ? this.#readerTypes.get(rt.name) : undefined;
    const [wName, rName] = [localName(wt, this.writer, wDef), localName(rt, this.reader, rDef)];
    if (wName !== rName) return [issue(at, "FIELD_NAMED_TYPE_CHANGED", `${what} is message ${nameOf(wt)} for the writer and message ${nameOf(rt)} for the reader`)];
    if (!wDef || !rDef || !("fields" in wDef) || !("fields" in rDef)) return []; // defined in a reference: same name is all we can know
    const inner = this.message(wDef, rDef, wName.split("."));
    return inner.length === 0 ? [] : [...inner, issue(at, "FIELD_NAMED_TYPE_CHANGED", `${what}'s message ${rName} changed incompatibly`)];
  }
}

function kindOf(t: ProtoTypeRef): "scalar" | "message" | "map" {
  return t.kind === "scalar" || t.kind === "enum" ? "scalar" : t.kind === "map" ? "map" : "message";
}

function scalarKind(t: ProtoTypeRef): string {
  return t.kind === "scalar" ? SCALAR_KIND[t.name]! : "varint"; // enums are int32 on the wire
}

function nameOf(t: ProtoTypeRef): string {
  return t.kind === "map" ? describeType(t) : t.name;
}

/** Confluent compares message types by name less the package, so a package rename is one change, not many. */
function localName(t: ProtoTypeRef, schema: ProtoSchema, def: unknown): string {
  const name = nameOf(t);
  return def && schema.package && name.startsWith(`${schema.package}.`) ? name.slice(schema.package.length + 1) : name;
}

function issue(path: string[], rule: Rule, message: string): Incompatibility {
  return { path: `#/${path.join("/")}`, rule, message };
}
