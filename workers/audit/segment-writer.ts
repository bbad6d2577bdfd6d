/**
 * R2 audit segments, for both ways an entry travels: the audit queue's consumer (here) and the
 * delivery consumer, for entries that ride on delivery messages (workers/audit/carried.ts). One
 * segment per consumer batch and tenant (conditional put, never overwritten). A redelivered
 * chunk already in a segment is not written again, so a segment set never holds an entry twice.
 */
import { buildSegment, chunksFromMetadata, hourPrefixesBetween, planSegments } from "../../shared/audit/segment";
import { AUDIT_MESSAGE_VERSION, type AuditMessage } from "../../shared/audit/shipping";

const RETRY_DELAY_SECONDS = 10;

export function isAuditMessage(body: unknown): body is AuditMessage {
  const m = body as AuditMessage;
  return typeof m === "object" && m !== null && m.v === AUDIT_MESSAGE_VERSION && m.kind === "audit" && typeof m.tenant === "string" && typeof m.chunkId === "string" && Array.isArray(m.entries);
}

/** Chunk ids already in segments written between `fromMs` and now. */
export async function chunksAlreadyWritten(bucket: R2Bucket, tenants: Set<string>, fromMs: number, nowMs: number): Promise<Set<string>> {
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

/** A chunk to write, with what its queue message says about it: a redelivery may have been written. */
export type ChunkToWrite = { chunk: AuditMessage; attempts: number; timestamp: Date };
export type ChunkFate = "written" | "already-written" | "failed";

/**
 * Writes the chunks' entries as segments; answers each chunk id's fate. Only redelivered chunks
 * (attempts > 1) are looked up in the hour prefixes since their message was sent: a first
 * delivery costs no list. A chunk given twice is written once.
 */
export async function writeChunks(bucket: R2Bucket, chunks: readonly ChunkToWrite[], nowMs: number): Promise<Map<string, ChunkFate>> {
  const fates = new Map<string, ChunkFate>();
  const pending = new Map<string, ChunkToWrite>();
  for (const c of chunks) if (!pending.has(c.chunk.chunkId)) pending.set(c.chunk.chunkId, c);

  const redelivered = [...pending.values()].filter((c) => c.attempts > 1);
  if (redelivered.length > 0) {
    try {
      const oldest = Math.min(...redelivered.map((c) => c.timestamp.getTime()));
      const written = await chunksAlreadyWritten(bucket, new Set(redelivered.map((c) => c.chunk.tenant)), oldest, nowMs);
      for (const id of [...pending.keys()]) if (written.has(id)) (fates.set(id, "already-written"), pending.delete(id));
    } catch (err) {
      // Unknown whether they are in R2: writing them could duplicate, so they wait for a retry.
      console.error("audit segment lookup failed; retrying the redelivered chunks", err);
      for (const c of redelivered) (fates.set(c.chunk.chunkId, "failed"), pending.delete(c.chunk.chunkId));
    }
  }

  for (const group of planSegments([...pending.values()].map((c) => c.chunk))) {
    const segment = buildSegment(group[0]!.tenant, group, nowMs);
    try {
      // null = the key exists: this very batch was written before (same chunks → same key).
      await bucket.put(segment.key, segment.body, {
        onlyIf: new Headers({ "if-none-match": "*" }),
        customMetadata: segment.metadata,
        httpMetadata: { contentType: "application/x-ndjson" },
      });
      group.forEach((m) => fates.set(m.chunkId, "written"));
    } catch (err) {
      console.error("audit segment write failed; its chunks will be retried", err);
      group.forEach((m) => fates.set(m.chunkId, "failed"));
    }
  }
  return fates;
}

/** The audit queue's consumer. */
export async function writeAuditSegments(batch: MessageBatch, env: Env, nowMs = Date.now()): Promise<void> {
  const readable: Message<AuditMessage>[] = [];
  for (const message of batch.messages) {
    if (isAuditMessage(message.body)) readable.push(message as Message<AuditMessage>);
    else {
      // Poison: keep it for inspection instead of retrying something that can never succeed.
      await env.AUDIT_BUCKET.put(`audit/v1/_unreadable/${message.id}.json`, JSON.stringify({ id: message.id, timestamp: message.timestamp, body: message.body }));
      message.ack();
    }
  }
  const fates = await writeChunks(env.AUDIT_BUCKET, readable.map((m) => ({ chunk: m.body, attempts: m.attempts, timestamp: m.timestamp })), nowMs);
  for (const m of readable) {
    if (fates.get(m.body.chunkId) === "failed") m.retry({ delaySeconds: RETRY_DELAY_SECONDS });
    else m.ack();
  }
}
