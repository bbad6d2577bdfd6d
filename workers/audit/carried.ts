/**
 * Audit entries that ride on delivery messages (durable-objects/outbox.ts). The delivery consumer
 * writes them with the audit consumer's own segment writer before it delivers anything: a message
 * whose entry is not in R2 is not delivered in that invocation. The delivery DLQ hands back to the
 * audit queue the entries it cannot find in R2, so a dead message never takes its entry with it.
 */
import { carriedAudit, type DeliverMessage } from "../../shared/delivery/message";
import { splitForSendBatch, toAuditMessages, type AuditMessage } from "../../shared/audit/shipping";
import { chunksAlreadyWritten, writeChunks } from "./segment-writer";

/** A DLQ message may be younger than the write it follows (it is a new message): look back this far. */
const DLQ_LOOKBACK_MS = 6 * 3_600_000;

/** The audit-queue message the entry would have been on its own: same chunk id (record, seq, seq). */
export function chunkOfCarried(m: DeliverMessage): AuditMessage | null {
  const entry = carriedAudit(m);
  if (m.audit !== undefined && entry === null) console.error("delivery message carries a malformed audit entry; ignored", m.tenant, m.event?.id);
  return entry ? toAuditMessages(m.tenant, [[entry]])[0]! : null;
}

/**
 * Writes the entries the batch's messages carry (one segment per tenant); answers the messages
 * whose entry is not in R2 (the write failed), which must not be delivered now.
 */
export async function writeCarriedAudit(bucket: R2Bucket, messages: readonly Message<DeliverMessage>[], nowMs: number): Promise<Set<Message<DeliverMessage>>> {
  const carrying = messages.flatMap((message) => {
    const chunk = chunkOfCarried(message.body);
    return chunk ? [{ message, chunk }] : [];
  });
  if (carrying.length === 0) return new Set();
  const fates = await writeChunks(bucket, carrying.map(({ message, chunk }) => ({ chunk, attempts: message.attempts, timestamp: message.timestamp })), nowMs);
  return new Set(carrying.filter(({ chunk }) => fates.get(chunk.chunkId) === "failed").map(({ message }) => message));
}

/**
 * For the delivery DLQ: the carried entries not found in R2 go to the audit queue as the object
 * would have sent them. The audit consumer writes a fresh message without looking, so the lookup
 * is made here (a list per hour prefix and tenant, on this rare path only).
 */
export async function returnCarriedAudit(env: Env, messages: readonly { body: DeliverMessage; timestamp: Date }[], nowMs: number): Promise<number> {
  const chunks = messages.flatMap((m) => {
    const chunk = chunkOfCarried(m.body);
    return chunk ? [{ chunk, sentAt: m.timestamp.getTime() }] : [];
  });
  if (chunks.length === 0) return 0;
  const oldest = Math.min(...chunks.map((c) => c.sentAt)) - DLQ_LOOKBACK_MS;
  const written = await chunksAlreadyWritten(env.AUDIT_BUCKET, new Set(chunks.map((c) => c.chunk.tenant)), oldest, nowMs);
  const missing = [...new Map(chunks.filter((c) => !written.has(c.chunk.chunkId)).map((c) => [c.chunk.chunkId, c.chunk])).values()];
  for (const call of splitForSendBatch(missing.map((m) => ({ item: m, bytes: JSON.stringify(m).length + 200 })))) {
    await env.AUDIT_QUEUE.sendBatch(call.map((body) => ({ body, contentType: "json" as const })));
  }
  return missing.length;
}
