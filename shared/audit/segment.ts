/**
 * R2 audit segments: one NDJSON object per consumer batch and tenant, never overwritten.
 * Lines are the entries (canonical JSON), then one manifest line listing every entry hash
 * and the chunk ids the segment holds. The chunk ids are also in the object's custom
 * metadata, so a redelivered message can be recognised by listing, without reading bodies.
 */
import canonicalize from "canonicalize";
import type { AuditEntry } from "./entry";
import { sha256Hex } from "./entry";
import type { AuditMessage } from "./shipping";

export const SEGMENT_FORMAT_VERSION = 1;
/** R2 custom metadata is capped at 2 KiB: 16-hex chunk ids, comma-separated, fit 100 at most. */
export const MAX_CHUNKS_PER_SEGMENT = 100;

export type SegmentManifest = {
  kind: "manifest";
  v: typeof SEGMENT_FORMAT_VERSION;
  tenant: string;
  writtenAt: string;
  chunks: string[];
  entries: { recordType: string; recordId: string; sequence: number; hash: string }[];
  /** SHA-256 of the entry lines above the manifest, joined with "\n". */
  bodyHash: string;
};

export type Segment = { key: string; body: string; metadata: Record<string, string>; manifest: SegmentManifest };

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

export function hourPrefix(tenant: string, ms: number): string {
  const d = new Date(ms);
  return `audit/v${SEGMENT_FORMAT_VERSION}/${tenant}/${d.getUTCFullYear()}/${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}/${pad2(d.getUTCHours())}/`;
}

/** Every hour prefix from `fromMs` to `toMs` (inclusive), capped so a stale message cannot fan out a scan. */
export function hourPrefixesBetween(tenant: string, fromMs: number, toMs: number, maxHours = 48): string[] {
  const hour = 3_600_000;
  const start = Math.max(Math.floor(fromMs / hour), Math.floor(toMs / hour) - maxHours + 1);
  const out: string[] = [];
  for (let h = start; h <= Math.floor(toMs / hour); h++) out.push(hourPrefix(tenant, h * hour));
  return out;
}

export function buildSegment(tenant: string, messages: readonly AuditMessage[], nowMs: number): Segment {
  const chunks = messages.map((m) => m.chunkId).sort();
  const entries: AuditEntry[] = messages.flatMap((m) => m.entries);
  const lines = entries.map((e) => canonicalize(e) ?? "");
  const manifest: SegmentManifest = {
    kind: "manifest",
    v: SEGMENT_FORMAT_VERSION,
    tenant,
    writtenAt: new Date(nowMs).toISOString(),
    chunks,
    entries: entries.map((e) => ({ recordType: e.recordType, recordId: e.recordId, sequence: e.sequence, hash: e.hash })),
    bodyHash: sha256Hex(lines.join("\n")),
  };
  // Same chunks → same key: a retried write of the same batch hits the conditional put.
  const segmentId = sha256Hex(chunks.join(",")).slice(0, 32);
  return {
    key: `${hourPrefix(tenant, nowMs)}${segmentId}.ndjson`,
    body: [...lines, JSON.stringify(manifest)].join("\n") + "\n",
    metadata: { v: String(SEGMENT_FORMAT_VERSION), chunks: chunks.join(","), entries: String(entries.length) },
    manifest,
  };
}

export function chunksFromMetadata(metadata: Record<string, string> | undefined): string[] {
  return metadata?.chunks ? metadata.chunks.split(",") : [];
}

/** Group messages by tenant and cut each group to what one segment's metadata can list. */
export function planSegments(messages: readonly AuditMessage[]): AuditMessage[][] {
  const byTenant = new Map<string, AuditMessage[]>();
  for (const m of messages) byTenant.set(m.tenant, [...(byTenant.get(m.tenant) ?? []), m]);
  const out: AuditMessage[][] = [];
  for (const group of byTenant.values()) {
    for (let i = 0; i < group.length; i += MAX_CHUNKS_PER_SEGMENT) out.push(group.slice(i, i + MAX_CHUNKS_PER_SEGMENT));
  }
  return out;
}
