/**
 * Protobuf for the schema registry: parse and validate a .proto (422 on failure) and decide
 * whether a reader schema can read a writer's messages (wire compatibility, Confluent's rules).
 */
export { PROTOBUF_RULES, canReadProtobuf } from "./can-read";
export { parseProto } from "./parse";
export type { ProtoEnum, ProtoField, ProtoMessage, ProtoParseResult, ProtoSchema, ProtoTypeRef } from "./schema";
