/**
 * Avro for the schema registry: parse and validate a schema (422 on failure) and decide whether a
 * reader schema can read a writer's data (Avro 1.11 specification, "Schema Resolution").
 */
export { AVRO_RULES, canReadAvro } from "./can-read";
export { checkDefault } from "./default-value";
export { parseAvroSchema } from "./parse";
export type { AvroField, AvroNamed, AvroParseResult, AvroPrimitive, AvroSchema, AvroType } from "./schema";
