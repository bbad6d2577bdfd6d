/**
 * R2 audit segments (shared/audit/segment.ts): idempotent keys, a manifest that accounts for
 * every entry, custom metadata within R2's 2,048-byte limit, bounded hour scans, and grouping.
 */
import { describe, expect, it } from "vitest";
import type { AuditEntry } from "./entry";
import { sha256Hex } from "./entry";
import { buildSegment, chunksFromMetadata, hourPrefix, hourPrefixesBetween, MAX_CHUNKS_PER_SEGMENT, planSegments } from "./segment";
import { chunkIdFor, type AuditMessage } from "./shipping";

const NOW = Date.parse("2026-03-01T08:15:00.000Z");
const HOUR = 3_600_000;

/** Entries carry only what segments read, plus a payload field to make lines distinct. */
const entry = (recordId: string, sequence: number): AuditEntry => ({ recordType: "customer", recordId, sequence, hash: sha256Hex(`${recordId}#${sequence}`), changeId: `chg-${sequence}` }) as AuditEntry;

function message(tenant: string, recordId: string, first: number, last: number): AuditMessage {
  const entries = Array.from({ length: last - first + 1 }, (_, i) => entry(recordId, first + i));
  return { v: 1, kind: "audit", tenant, chunkId: chunkIdFor(tenant, "customer", recordId, first, last), entries };
}

const utf8 = (s: string) => new TextEncoder().encode(s).length;

describe("buildSegment", () => {
  const messages = [message("acme", "c1", 1, 3), message("acme", "c2", 1, 1), message("acme", "c1", 4, 5)];

  it("the key depends only on the set of chunks, not on message order", () => {
    const a = buildSegment("acme", messages, NOW);
    const b = buildSegment("acme", [messages[2]!, messages[0]!, messages[1]!], NOW);
    expect(b.key).toBe(a.key);
    expect(a.key).toMatch(/^audit\/v1\/acme\/2026\/03\/01\/08\/[0-9a-f]{32}\.ndjson$/);
    expect(b.manifest.chunks).toEqual(a.manifest.chunks);
  });

  it.each([
    { name: "a chunk fewer", other: messages.slice(0, 2) },
    { name: "a different chunk", other: [...messages.slice(0, 2), message("acme", "c1", 4, 6)] },
  ])("the key changes with $name", ({ other }) => {
    expect(buildSegment("acme", other, NOW).key).not.toBe(buildSegment("acme", messages, NOW).key);
  });

  it("the manifest lists every entry's hash, in body order, and its chunks sorted", () => {
    const { manifest } = buildSegment("acme", messages, NOW);
    const all = messages.flatMap((m) => m.entries);
    expect(manifest).toMatchObject({ kind: "manifest", v: 1, tenant: "acme", writtenAt: "2026-03-01T08:15:00.000Z" });
    expect(manifest.entries).toEqual(all.map((e) => ({ recordType: e.recordType, recordId: e.recordId, sequence: e.sequence, hash: e.hash })));
    expect(manifest.chunks).toEqual(messages.map((m) => m.chunkId).sort());
  });

  it("the body is NDJSON: one line per entry, then the manifest; bodyHash covers the entry lines", () => {
    const segment = buildSegment("acme", messages, NOW);
    expect(segment.body.endsWith("\n")).toBe(true);
    const lines = segment.body.slice(0, -1).split("\n");
    const all = messages.flatMap((m) => m.entries);
    expect(lines).toHaveLength(all.length + 1);
    expect(lines.slice(0, -1).map((l) => JSON.parse(l))).toEqual(all);
    expect(JSON.parse(lines[lines.length - 1]!)).toEqual(segment.manifest);
    expect(segment.manifest.bodyHash).toBe(sha256Hex(lines.slice(0, -1).join("\n")));
  });

  it("metadata names the format version, the chunks and the entry count; chunksFromMetadata reads them back", () => {
    const segment = buildSegment("acme", messages, NOW);
    expect(segment.metadata).toEqual({ v: "1", chunks: segment.manifest.chunks.join(","), entries: "6" });
    expect(chunksFromMetadata(segment.metadata)).toEqual(segment.manifest.chunks);
  });

  it.each<{ name: string; metadata: Record<string, string> | undefined }>([
    { name: "no metadata", metadata: undefined },
    { name: "no chunks key", metadata: {} },
    { name: "empty chunks", metadata: { chunks: "" } },
  ])("chunksFromMetadata of $name is empty", ({ metadata }) => {
    expect(chunksFromMetadata(metadata)).toEqual([]);
  });

  it(`metadata fits R2's 2,048-byte custom metadata limit at MAX_CHUNKS_PER_SEGMENT (${MAX_CHUNKS_PER_SEGMENT}) chunks`, () => {
    const full = Array.from({ length: MAX_CHUNKS_PER_SEGMENT }, (_, i) => message("acme", `record-${i}`, 1_000_000 + i, 1_000_100 + i));
    const { metadata } = buildSegment("acme", full, NOW);
    expect(chunksFromMetadata(metadata)).toHaveLength(MAX_CHUNKS_PER_SEGMENT);
    expect(metadata.entries).toBe(String(MAX_CHUNKS_PER_SEGMENT * 101));
    const bytes = Object.entries(metadata).reduce((sum, [k, v]) => sum + utf8(k) + utf8(v), 0);
    expect(bytes).toBeLessThanOrEqual(2_048);
  });
});

describe("hourPrefix / hourPrefixesBetween", () => {
  it.each([
    { at: "2026-03-01T08:15:00.000Z", prefix: "audit/v1/acme/2026/03/01/08/" },
    { at: "2026-12-31T23:59:59.999Z", prefix: "audit/v1/acme/2026/12/31/23/" },
    { at: "2027-01-01T00:00:00.000Z", prefix: "audit/v1/acme/2027/01/01/00/" },
  ])("hourPrefix at $at is $prefix (UTC, zero-padded)", ({ at, prefix }) => {
    expect(hourPrefix("acme", Date.parse(at))).toBe(prefix);
  });

  const hours = (tenant: string, from: string, to: string, max?: number) => hourPrefixesBetween(tenant, Date.parse(from), Date.parse(to), max).map((p) => p.slice(`audit/v1/${tenant}/`.length, -1));

  it.each([
    { name: "same hour", from: "2026-03-01T08:00:00.000Z", to: "2026-03-01T08:59:59.999Z", expected: ["2026/03/01/08"] },
    { name: "one millisecond across the hour", from: "2026-03-01T08:59:59.999Z", to: "2026-03-01T09:00:00.000Z", expected: ["2026/03/01/08", "2026/03/01/09"] },
    { name: "across a year boundary", from: "2026-12-31T22:30:00Z", to: "2027-01-01T01:10:00Z", expected: ["2026/12/31/22", "2026/12/31/23", "2027/01/01/00", "2027/01/01/01"] },
    { name: "from after to", from: "2026-03-01T09:00:00Z", to: "2026-03-01T08:00:00Z", expected: [] },
  ])("$name", ({ from, to, expected }) => {
    expect(hours("acme", from, to)).toEqual(expected);
  });

  it.each([
    { name: "48 hours inclusive: not capped", spanHours: 47, max: undefined, count: 48 },
    { name: "49 hours: capped to the newest 48", spanHours: 48, max: undefined, count: 48 },
    { name: "a month-old message: capped to 48", spanHours: 24 * 30, max: undefined, count: 48 },
    { name: "custom cap", spanHours: 10, max: 3, count: 3 },
  ])("$name", ({ spanHours, max, count }) => {
    const to = NOW;
    const prefixes = hourPrefixesBetween("acme", to - spanHours * HOUR, to, max);
    expect(prefixes).toHaveLength(count);
    expect(prefixes[prefixes.length - 1]).toBe(hourPrefix("acme", to)); // the newest hour is always scanned
    expect(prefixes[0]).toBe(hourPrefix("acme", to - (count - 1) * HOUR));
    expect([...prefixes].sort()).toEqual(prefixes); // ascending
    expect(new Set(prefixes).size).toBe(count);
  });
});

describe("planSegments: grouped by tenant, each group at most MAX_CHUNKS_PER_SEGMENT", () => {
  const m = (tenant: string, i: number) => message(tenant, `r${i}`, i, i);

  it("empty in, empty out", () => {
    expect(planSegments([])).toEqual([]);
  });

  it("interleaved tenants are grouped, keeping each tenant's message order", () => {
    const [a1, b1, a2, c1, b2] = [m("a", 1), m("b", 1), m("a", 2), m("c", 1), m("b", 2)];
    expect(planSegments([a1!, b1!, a2!, c1!, b2!])).toEqual([[a1, a2], [b1, b2], [c1]]);
  });

  it.each([
    { name: "exactly the cap", counts: { acme: MAX_CHUNKS_PER_SEGMENT }, sizes: [100] },
    { name: "250 for one tenant", counts: { acme: 250 }, sizes: [100, 100, 50] },
    { name: "two tenants over the cap", counts: { acme: 101, beta: 150 }, sizes: [100, 1, 100, 50] },
  ])("$name → groups of $sizes", ({ counts, sizes }) => {
    const messages = Object.entries(counts).flatMap(([tenant, n]) => Array.from({ length: n }, (_, i) => m(tenant, i)));
    const plan = planSegments(messages);
    expect(plan.map((g) => g.length)).toEqual(sizes);
    for (const group of plan) expect(new Set(group.map((x) => x.tenant)).size).toBe(1);
    expect(plan.flat()).toHaveLength(messages.length);
    expect(new Set(plan.flat())).toEqual(new Set(messages));
  });
});
