/** The CLI as a process: exit codes (0 / 1 / 2), help on stdout, and a clean stop on SIGTERM. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeEdge, startPostgres, type FakeEdge, type TestPostgres } from "./test-support.ts";

const bin = join(import.meta.dirname, "..", "bin", "changecast-relay.mjs");

type Exit = { code: number | null; stdout: string; stderr: string };

function run(args: string[], opts: { env?: Record<string, string>; onStderr?: (text: string, kill: (s: NodeJS.Signals) => void) => void } = {}): Promise<Exit> {
  const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? "", ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
    opts.onStderr?.(stderr, (s) => child.kill(s));
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("exit codes without a database", () => {
  it("help goes to stdout with exit 0", async () => {
    const r = await run(["help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^changecast-relay: send PostgreSQL changes/);
    expect(r.stderr).toBe("");
  });

  it("bad config is one line on stderr with exit 2", async () => {
    const r = await run(["poll", "--batch-size", "0"], { env: { CHANGECAST_DATABASE_URL: "postgres://x", CHANGECAST_INGEST_URL: "http://127.0.0.1:1", CHANGECAST_LOCATION_KEY: "loc_x" } });
    expect(r).toEqual({ code: 2, stdout: "", stderr: "changecast-relay: --batch-size must be between 1 and 500 (got 0)\n" });
  });

  it("an unreachable database is a runtime failure: exit 1", async () => {
    const r = await run(["poll", "--json", "--database-url", "postgres://u:p@127.0.0.1:1/db", "--ingest-url", "http://127.0.0.1:1", "--location-key", "loc_x"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr.trim().split("\n").at(-1)!)).toMatchObject({ event: "error", message: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe("with a database", () => {
  let postgres: TestPostgres;
  let edge: FakeEdge;
  beforeAll(async () => {
    postgres = await startPostgres();
    edge = await startFakeEdge();
  });
  afterAll(async () => {
    await edge?.close();
    await postgres?.stop();
  });

  it("SIGTERM stops a running poll after its batch: stopped line, checkpoint kept, exit 0", async () => {
    const { url, db } = await postgres.newDatabase();
    expect((await run(["install", "--database-url", url])).code).toBe(0);
    await db.query("insert into changecast_outbox (aggregatetype, aggregateid, type, payload) values ('customer', 'sig-1', 'insert', '{\"data\":{}}')");
    let signalled = false;
    const r = await run(["poll", "--json", "--database-url", url, "--ingest-url", edge.url, "--location-key", "loc_x"], {
      onStderr: (text, kill) => {
        if (!signalled && text.includes('"event":"batch"')) {
          signalled = true;
          kill("SIGTERM");
        }
      },
    });
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as { event: string });
    expect(lines.at(-1)).toEqual({ event: "stopped", signal: "SIGTERM" });
    const { rows } = await db.query("select position from changecast_relay_checkpoint where name = 'poll'");
    expect(rows[0].position.id).toBe("1");
  });

  it("a refused key is fatal: exit 1, nothing checkpointed", async () => {
    const { url, db } = await postgres.newDatabase();
    await run(["install", "--database-url", url]);
    await db.query("insert into changecast_outbox (aggregatetype, aggregateid, type, payload) values ('customer', 'k-1', 'insert', '{\"data\":{}}')");
    edge.failNext.push(401);
    const r = await run(["poll", "--once", "--database-url", url, "--ingest-url", edge.url, "--location-key", "loc_x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/changecast-relay: error: the edge refused the location key \(401/);
    expect((await db.query("select count(*)::int as n from changecast_relay_checkpoint")).rows[0].n).toBe(0);
  });
});
