/** changecast receiver kit: verify, dedupe, order-check and handle changecast webhooks with Web APIs only (Node ≥ 20, Workers, Deno). */
export { createReceiver, DEFAULT_MAX_BODY_BYTES, type DeliveryMeta, type ReceiverOptions } from "./receiver";
export { verifyWebhook, DEFAULT_TOLERANCE_SECONDS, type VerifyFailure, type VerifyOptions, type VerifyResult } from "./verify";
export { MemoryDedupeStore, DEFAULT_DEDUPE_TTL_SECONDS, type DedupeStore, type MemoryDedupeOptions } from "./dedupe";
export {
  MemorySequenceStore,
  SequenceTracker,
  sequencePosition,
  type SequenceKind,
  type SequenceReport,
  type SequenceStore,
  type SequenceTrackerOptions,
  type SequencedEvent,
} from "./sequence";
export { answerHandshake, type HandshakeOptions } from "./handshake";
export { decodeHeaderValue, parseCloudEvent, type CloudEvent, type ContentMode, type ParseResult } from "./cloudevent";
export type { HeadersLike } from "./headers";
