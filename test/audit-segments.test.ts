import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../workers/index";
import type { AuditMessage } from "../shared/audit/shipping";
import { change, newTenant, push } from "./helpers";

async function segments(tenant: string): Promise<{ key: string; lines: any[] }[]> {
  const listed = await env.AUDIT_BUCKET.list({ prefix: `audit/v1/${tenant}/` });
  return Promise.all(
    listed.objects.map(async (o) => {
      const body = await (await env.AUDIT_BUCKET.get(o.key))!.text();
      return { key: o.key, lines: body.trim().split("\n").map((l) => JSON.parse(l)) };
    }),
  );
}

async function waitForEntries(tenant: string, count: number): Promise<{ key: string; lines: any[] }[]> {
  for (let i = 0; i < 100; i++) {
    const found = await segments(tenant);
    if (found.reduce((n, s) => n + s.lines.length - 1, 0) >= count) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`audit entries for ${tenant} did not reach R2`);
}

describe("audit entries reach R2 through the audit queue", () => {
  it("as NDJSON segments with a manifest of entry hashes", async () => {
    const { tenant, keys } = await newTenant();
    await push(keys["store-1"]!, [change("r1", "insert", { a: 1 }), change("r1", "update", { a: 2 }), change("r2", "insert", { b: 1 })]);
    const found = await waitForEntries(tenant, 3);
    const entries = found.flatMap((s) => s.lines.slice(0, -1));
    expect(entries.map((e) => `${e.recordId}#${e.sequence}`).sort()).toEqual(["r1#1", "r1#2", "r2#1"]);
    for (const s of found) {
      const manifest = s.lines[s.lines.length - 1];
      expect(manifest.kind).toBe("manifest");
      expect(manifest.entries.map((e: any) => e.hash)).toEqual(s.lines.slice(0, -1).map((e) => e.hash));
      expect(s.key).toMatch(new RegExp(`^audit/v1/${tenant}/\\d{4}/\\d{2}/\\d{2}/\\d{2}/[0-9a-f]{32}\\.ndjson$`));
    }
  });

  it("never duplicates entries when messages are redelivered, alone or regrouped", async () => {
    const { tenant, keys } = await newTenant();
    await push(keys["store-1"]!, [change("x", "insert", { a: 1 })]);
    await push(keys["store-1"]!, [change("y", "insert", { a: 1 })]);
    const before = await waitForEntries(tenant, 2);
    const written: AuditMessage[] = before.flatMap((s) => {
      const manifest = s.lines[s.lines.length - 1];
      const entries = s.lines.slice(0, -1);
      return manifest.chunks.map((chunkId: string, i: number) => ({ v: 1, kind: "audit", tenant, chunkId, entries: before.length === 1 ? [entries[i]] : entries }));
    });

    // The same messages again (a consumer crash after the write), regrouped into one batch.
    const batch = createMessageBatch<AuditMessage>("changecast-audit", written.map((body, i) => ({ id: `m${i}`, timestamp: Date.now() - 5_000, attempts: 2, body })));
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(written.map((_, i) => `m${i}`).sort());

    const after = await segments(tenant);
    expect(after.map((s) => s.key).sort()).toEqual(before.map((s) => s.key).sort());
    expect(after.flatMap((s) => s.lines.slice(0, -1)).length).toBe(2);
  });

  it("keeps an unreadable message for inspection instead of retrying it forever", async () => {
    const batch = createMessageBatch("changecast-audit", [{ id: "poison-1", timestamp: Date.now(), attempts: 1, body: { v: 99 } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["poison-1"]);
    expect(await env.AUDIT_BUCKET.head("audit/v1/_unreadable/poison-1.json")).not.toBeNull();
  });
});
