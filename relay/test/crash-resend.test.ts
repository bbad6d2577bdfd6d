/**
 * Issue 6, requirement 3: a relay killed (SIGKILL) mid-batch and restarted loses nothing, and
 * the edge dedupes what it sends again. A proxy in front of the Worker forwards the first
 * batch and then holds the Worker's answer back, so the kill lands after the edge accepted the
 * batch and before the relay could checkpoint it: the worst moment for a relay. The same
 * moment with SIGTERM instead: the relay waits for the answer and checkpoints before exiting.
 */
import { afterEach, describe, expect, it } from "vitest";
import { adminCall, deliveredAtLeast, newEdge, waitFor } from "./edge";
import { inTransaction, newDatabase, writeOutbox } from "./postgres";
import { startProxy, type Proxy } from "./proxy";
import { batchTotal, connectionFlags, runRelay, startRelay } from "./relay-process";

const ROWS = 12;
const BATCH = 5;
let proxy: Proxy | null = null;
afterEach(async () => {
  await proxy?.close();
  proxy = null;
});

describe("a relay killed mid-batch", () => {
  it("resends the unacknowledged batch after a restart; the edge answers duplicate and subscribers get each event once", async () => {
    const { url, db } = await newDatabase("crash_resend");
    const edge = await newEdge("crash");
    const install = await runRelay(["install", "--database-url", url]);
    expect(install.code, install.transcript).toBe(0);
    await inTransaction(db, (tx) => writeOutbox(tx, Array.from({ length: ROWS }, (_, i) => ["customer", `crash-${i}`, "insert", { n: i }] as [string, string, string, Record<string, unknown>])));

    let firstBatchAccepted: number | null = null;
    proxy = await startProxy(edge.ingestUrl, (req) =>
      req.n === 1
        ? { forward: true, holdAnswerMs: 120_000, onForwarded: (status) => (firstBatchAccepted = status) }
        : { forward: true });
    const doomed = startRelay(["poll", ...connectionFlags({ ...edge, ingestUrl: proxy.url }, url), "--batch-size", String(BATCH)]);
    await waitFor("the first batch to reach the edge", () => firstBatchAccepted !== null);
    expect(firstBatchAccepted).toBe(200);
    doomed.kill("SIGKILL");
    expect((await doomed.exited).signal).toBe("SIGKILL");
    expect(doomed.lines.filter((l) => l.event === "batch")).toEqual([]); // it never heard the answer

    const restarted = await runRelay(["poll", ...connectionFlags(edge, url), "--batch-size", String(BATCH), "--once"]);
    expect(restarted.code, restarted.transcript).toBe(0);
    expect(batchTotal(restarted.lines, "duplicate"), restarted.transcript).toBe(BATCH);
    expect(batchTotal(restarted.lines, "accepted")).toBe(ROWS - BATCH);
    expect(batchTotal(restarted.lines, "rejected")).toBe(0);

    const events = await deliveredAtLeast(edge, ROWS);
    expect(events).toHaveLength(ROWS);
    expect(new Set(events.map((e) => e.subject)).size).toBe(ROWS);
    expect(new Set(events.map((e) => e.webhookId)).size).toBe(ROWS);
    // The edge's own record of it: every record has exactly one event in its audit trail.
    for (let i = 0; i < ROWS; i++) {
      const trail = await adminCall<{ items: unknown[] }>("GET", `/tenants/${edge.tenant}/records/customer/crash-${i}/audit`);
      expect(trail.items, `crash-${i}`).toHaveLength(1);
    }
    await db.end();
  });

  it("SIGTERM mid-batch waits for the edge's answer, checkpoints it, exits 0; a restart resends nothing", async () => {
    const { url, db } = await newDatabase("sigterm_batch");
    const edge = await newEdge("sigterm");
    const install = await runRelay(["install", "--database-url", url]);
    expect(install.code, install.transcript).toBe(0);
    await inTransaction(db, (tx) => writeOutbox(tx, Array.from({ length: ROWS }, (_, i) => ["customer", `term-${i}`, "insert", { n: i }] as [string, string, string, Record<string, unknown>])));

    let forwarded = false;
    proxy = await startProxy(edge.ingestUrl, (req) =>
      req.n === 1 ? { forward: true, holdAnswerMs: 3000, onForwarded: () => (forwarded = true) } : { forward: true });
    const stopping = startRelay(["poll", ...connectionFlags({ ...edge, ingestUrl: proxy.url }, url), "--batch-size", String(BATCH)]);
    await waitFor("the first batch to reach the edge", () => forwarded);
    stopping.kill("SIGTERM");
    expect((await stopping.exited).code, stopping.transcript()).toBe(0);
    expect(stopping.lines.filter((l) => l.event === "batch")).toEqual([expect.objectContaining({ sent: BATCH, accepted: BATCH })]);
    expect(stopping.lines.at(-1)).toEqual({ event: "stopped", signal: "SIGTERM" });

    const restarted = await runRelay(["poll", ...connectionFlags(edge, url), "--batch-size", String(BATCH), "--once"]);
    expect(restarted.code, restarted.transcript).toBe(0);
    expect(batchTotal(restarted.lines, "duplicate"), restarted.transcript).toBe(0);
    expect(batchTotal(restarted.lines, "accepted")).toBe(ROWS - BATCH);
    expect(await deliveredAtLeast(edge, ROWS)).toHaveLength(ROWS);
    await db.end();
  });
});
