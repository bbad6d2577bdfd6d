/**
 * Relay loop: how many outbox changes per second the relay CLI moves from PostgreSQL to the edge,
 * in poll and logical modes. A fresh embedded PostgreSQL (wal_level=logical) and a `wrangler dev`
 * (bench/lib.mjs: a copy of HEAD, or of the working tree with `--worktree`); a tenant whose
 * location has no routes, so only ingestion is measured. Each run gets a fresh database and its
 * own location: `install`, ROWS outbox rows written in transactions of TX_ROWS before the clock
 * starts, then `changecast-relay <mode> --once` timed from spawn to exit (logical: until every
 * transaction is acknowledged), the relay also run from the copy. 3 runs per mode; medians; a table and
 * bench/results/relay-loop-<date>.json.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../relay/test/embedded-postgres.ts";
import { benchContext, environment, loadAverage, median, round, setUpBenchTenant, snapshotSources, startServer, writeResults } from "./lib.mjs";

const ROWS = 5000;
const TX_ROWS = 50; // outbox rows per application transaction
const RECORDS = 50; // records per run: few audit queue messages per request (one per record per request)
const RUNS = 3;
const MODES = ["poll", "logical"];
const RUN_TIMEOUT_MS = 5 * 60_000;
const ctx = benchContext({ name: "relay-loop", deadlineMs: 30 * 60_000 });
// The relay runs from the same copy of the sources as the Worker, so the figures belong to one commit.
let relayBin; // set once the sources are copied


/** The cluster, with the database URL maker the runs use. */
async function startPostgres() {
  const cluster = await startEmbeddedPostgres({ password: "bench", prefix: "changecast-relay-loop-pg-", replicationSlots: 10 });
  return { url: (db) => cluster.url(db), stop: cluster.stop };
}

/** Runs the relay CLI to its exit; answers its wall time, exit code and JSON lines. */
function relay(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [relayBin, ...args, "--json"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const lines = stderr.split("\n").flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
      if (code !== 0) reject(new Error(`relay ${args[0]} exited ${code ?? signal}:\n${stderr.slice(-2000)}`));
      else resolve({ ms: performance.now() - started, lines });
    });
  });
}

async function fillOutbox(url, label) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    for (let tx = 0; tx < ROWS / TX_ROWS; tx++) {
      const values = [];
      const params = [];
      for (let i = 0; i < TX_ROWS; i++) {
        const n = tx * TX_ROWS + i;
        params.push(`${label}-${n % RECORDS}`, JSON.stringify({ data: { name: `Customer ${n % RECORDS}`, visits: n, tier: n % 3 } }));
        values.push(`('customer', $${params.length - 1}, 'update', $${params.length})`);
      }
      await db.query(`INSERT INTO changecast_outbox (aggregatetype, aggregateid, type, payload) VALUES ${values.join(", ")}`, params);
    }
  } finally {
    await db.end();
  }
}

async function oneRun(postgres, base, admin, mode, run) {
  const label = `${mode}${run}`;
  const admin0 = new pg.Client({ connectionString: postgres.url("postgres") });
  await admin0.connect();
  await admin0.query(`CREATE DATABASE ${label}`);
  await admin0.end();
  const url = postgres.url(label);
  const { key } = await admin("POST", "/tenants/bench/locations", { id: `loc-${label}`, name: label });
  const logical = mode === "logical" ? ["--slot", `slot_${label}`] : [];
  await relay(["install", "--database-url", url, ...(mode === "logical" ? ["--logical", ...logical] : [])]);
  await fillOutbox(url, label);

  const { ms, lines } = await relay([mode, "--database-url", url, "--ingest-url", base, "--location-key", key, "--once", ...logical]);
  const batches = lines.filter((l) => l.event === "batch");
  const sum = (field) => batches.reduce((s, b) => s + (b[field] ?? 0), 0);
  if (sum("accepted") !== ROWS) throw new Error(`${label}: ${sum("accepted")} of ${ROWS} accepted (${sum("duplicate")} duplicate, ${sum("rejected")} rejected)`);
  if (mode === "logical") {
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    await db.query("SELECT pg_drop_replication_slot($1)", [`slot_${label}`]);
    await db.end();
  }
  return { run, seconds: round(ms / 1000, 2), changesPerSec: round(ROWS / (ms / 1000)), batches: batches.length, postMsMedian: round(median(batches.map((b) => b.ms))) };
}

try {
  const { app, token } = snapshotSources(ctx);
  relayBin = join(app, "relay", "bin", "changecast-relay.mjs");
  const [server, postgres] = await Promise.all([startServer(ctx, app, "relay"), startPostgres()]);
  try {
    const { admin } = await setUpBenchTenant(ctx, server, token, []);
    const loadBefore = loadAverage();
    const modes = {};
    for (const mode of MODES) {
      const runs = [];
      for (let run = 1; run <= RUNS; run++) {
        runs.push(await oneRun(postgres, server.base, admin, mode, run));
        console.error(`${mode} run ${run}: ${runs.at(-1).changesPerSec} changes/s`);
      }
      modes[mode] = { runs, medianChangesPerSec: median(runs.map((r) => r.changesPerSec)), medianSeconds: median(runs.map((r) => r.seconds)) };
    }
    const report = {
      bench: "relay-loop", v: 1, date: new Date().toISOString(),
      environment: environment(ctx, loadBefore),
      config: { rows: ROWS, rowsPerTransaction: TX_ROWS, records: RECORDS, runs: RUNS, batchSize: 500, routes: 0 },
      modes,
    };
    const file = writeResults(report);
    console.log("mode      median changes/s   median s   runs (changes/s)");
    for (const [mode, m] of Object.entries(modes)) console.log(`${mode.padEnd(9)} ${String(m.medianChangesPerSec).padStart(16)} ${String(m.medianSeconds).padStart(10)}   ${m.runs.map((r) => r.changesPerSec).join(", ")}`);
    console.log(`written to ${file}`);
  } finally {
    await postgres.stop();
  }
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await ctx.cleanup();
}
