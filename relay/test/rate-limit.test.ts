/**
 * Issue 6, requirement 6: a 429 with `Retry-After` slows the relay down. A proxy in front of
 * the Worker answers the first two POSTs with 429 Retry-After: 2 and forwards the rest; the
 * relay must wait at least 2 s before each retry, log a `retry` line for each, and in the end
 * deliver everything.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deliveredAtLeast, newEdge } from "./edge";
import { inTransaction, newDatabase, writeOutbox } from "./postgres";
import { startProxy, type Proxy } from "./proxy";
import { batchTotal, connectionFlags, runRelay } from "./relay-process";

const LIMITED = 2;
let proxy: Proxy | null = null;
afterEach(async () => {
  await proxy?.close();
  proxy = null;
});

describe("429 Retry-After from the edge", () => {
  it("waits what the edge asks before retrying, logs each retry, and delivers everything", async () => {
    const { url, db } = await newDatabase("rate_limit");
    const edge = await newEdge("rate-limit");
    const install = await runRelay(["install", "--database-url", url]);
    expect(install.code, install.transcript).toBe(0);
    await inTransaction(db, (tx) => writeOutbox(tx, [["customer", "rl-1", "insert", { n: 1 }], ["customer", "rl-2", "insert", { n: 2 }], ["customer", "rl-1", "update", { n: 3 }]]));

    proxy = await startProxy(edge.ingestUrl, (req) =>
      req.method === "POST" && req.n <= LIMITED
        ? { answer: { status: 429, headers: { "retry-after": "2", "content-type": "application/problem+json" }, body: JSON.stringify({ title: "Too Many Requests", status: 429 }) } }
        : { forward: true });
    const run = await runRelay(["poll", ...connectionFlags({ ...edge, ingestUrl: proxy.url }, url), "--once"]);
    expect(run.code, run.transcript).toBe(0);

    const posts = proxy.requests.filter((r) => r.method === "POST" && r.path === "/v1/changes");
    expect(posts.length).toBe(LIMITED + 1);
    for (let i = 1; i < posts.length; i++) {
      expect(posts[i]!.at - posts[i - 1]!.at, `wait before attempt ${i + 1}`).toBeGreaterThanOrEqual(2000);
      expect(posts[i]!.body).toBe(posts[0]!.body); // the same batch, not a new one
    }
    const retries = run.lines.filter((l) => l.event === "retry");
    expect(retries).toHaveLength(LIMITED);
    for (const r of retries) {
      expect(r.status).toBe(429);
      expect(r.delayMs).toBeGreaterThanOrEqual(2000);
    }
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(batchTotal(run.lines, "accepted")).toBe(3);

    const events = await deliveredAtLeast(edge, 3);
    expect(events).toHaveLength(3);
    expect(events.filter((e) => e.subject === "customer/rl-1").map((e) => Number(e.sequence)).sort()).toEqual([1, 2]);
    await db.end();
  });
});
