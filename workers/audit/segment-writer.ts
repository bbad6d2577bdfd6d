/**
 * Audit queue consumer: one R2 segment per consumer batch and tenant (conditional put, never
 * overwritten). Redelivered messages whose chunk is already in a segment are acknowledged
 * without writing it again, so a segment set never holds an entry twice.
 */
import { buildSegment, chunksFromMetadata, hourPrefixesBetween, planSegments } from "../../shared/audit/segment";
import { AUDIT_MESSAGE_VERSION, type AuditMessage } from "../../shared/audit/shipping";

const RETRY_DELAY_SECONDS = 10;

export function isAuditMessage(body: unknown): body is AuditMessage {
  const m = body as AuditMessage;
  return typeof m === "object" && m !== null && m.v === AUDIT_MESSAGE_VERSION && m.kind === "audit" && typeof m.tenant === "string" && typeof m.chunkId === "string" && Array.isArray(m.entries);
}

/** Chunk ids already in segments written between the oldest redelivered message and now. */
async function chunksAlreadyWritten(bucket: R2Bucket, tenants: Set<string>, fromMs: number, nowMs: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (const tenant of tenants) {
    for (const prefix of hourPrefixesBetween(tenant, fromMs, nowMs)) {
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ prefix, cursor, include: ["customMetadata"] });
        for (const obj of page.objects) chunksFromMetadata(obj.customMetadata).forEach((id) => seen.add(id));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
    }
  }
  return seen;
}

export async function writeAuditSegments(batch: MessageBatch, env: Env, nowMs = Date.now()): Promise<void> {
  const pending = new Map<string, Message<AuditMessage>>();
  for (const message of batch.messages) {
    if (!isAuditMessage(message.body)) {
      // Poison: keep it for inspection instead of retrying something that can never succeed.
      await env.AUDIT_BUCKET.put(`audit/v1/_unreadable/${message.id}.json`, JSON.stringify({ id: message.id, timestamp: message.timestamp, body: message.body }));
      message.ack();
      continue;
    }
    if (pending.has(message.body.chunkId)) message.ack(); // the same chunk shipped twice
    else pending.set(message.body.chunkId, message as Message<AuditMessage>);
  }

  const redelivered = [...pending.values()].filter((m) => m.attempts > 1);
  if (redelivered.length > 0) {
    const oldest = Math.min(...redelivered.map((m) => m.timestamp.getTime()));
    const written = await chunksAlreadyWritten(env.AUDIT_BUCKET, new Set(redelivered.map((m) => m.body.tenant)), oldest, nowMs);
    for (const [chunkId, message] of pending) {
      if (written.has(chunkId)) {
        message.ack();
        pending.delete(chunkId);
      }
    }
  }

  const byChunk = pending;
  for (const group of planSegments([...byChunk.values()].map((m) => m.body))) {
    const segment = buildSegment(group[0]!.tenant, group, nowMs);
    const messages = group.map((m) => byChunk.get(m.chunkId)!);
    try {
      // null = the key exists: this very batch was written before (same chunks → same key).
      await env.AUDIT_BUCKET.put(segment.key, segment.body, {
        onlyIf: new Headers({ "if-none-match": "*" }),
        customMetadata: segment.metadata,
        httpMetadata: { contentType: "application/x-ndjson" },
      });
      messages.forEach((m) => m.ack());
    } catch (err) {
      console.error("audit segment write failed; retrying its messages", err);
      messages.forEach((m) => m.retry({ delaySeconds: RETRY_DELAY_SECONDS }));
    }
  }
}
