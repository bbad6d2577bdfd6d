/**
 * Schema compatibility modes exactly as Confluent Schema Registry defines them. A mode only
 * decides which (reader, writer) pairs must work; whether one schema can read data written
 * with another is each schema type's own resolution rules (JSON Schema, Avro, Protobuf).
 */

export const SCHEMA_TYPES = ["JSON", "AVRO", "PROTOBUF"] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

export const COMPATIBILITY_MODES = ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"] as const;
export type CompatibilityMode = (typeof COMPATIBILITY_MODES)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityMode = "BACKWARD";

/** One named reason a reader cannot read a writer's data: where, which rule, in words. */
export type Incompatibility = { path: string; rule: string; message: string };

/** Can data written with `writer` be read with `reader`? Empty list = yes. Pure, per schema type. */
export type CanRead = (reader: unknown, writer: unknown) => Incompatibility[];

export type CompatibilityResult = { compatible: boolean; messages: (Incompatibility & { version?: number; direction: "backward" | "forward" })[] };

/**
 * `previous` holds the subject's live versions, oldest first, each with its version number.
 * BACKWARD: the candidate reads data of the latest (all, if transitive). FORWARD: the latest
 * (all) read the candidate's data. FULL: both. NONE: anything goes.
 */
export function checkCompatibility(canRead: CanRead, candidate: unknown, previous: readonly { version: number; schema: unknown }[], mode: CompatibilityMode): CompatibilityResult {
  if (mode === "NONE" || previous.length === 0) return { compatible: true, messages: [] };
  const against = mode.endsWith("_TRANSITIVE") ? previous : previous.slice(-1);
  const backward = mode.startsWith("BACKWARD") || mode.startsWith("FULL");
  const forward = mode.startsWith("FORWARD") || mode.startsWith("FULL");
  const messages: CompatibilityResult["messages"] = [];
  for (const { version, schema } of against) {
    if (backward) messages.push(...canRead(candidate, schema).map((m) => ({ ...m, version, direction: "backward" as const })));
    if (forward) messages.push(...canRead(schema, candidate).map((m) => ({ ...m, version, direction: "forward" as const })));
  }
  return { compatible: messages.length === 0, messages };
}
