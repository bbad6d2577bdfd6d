/**
 * Ingest loop: POST /v1/changes against a local Worker for batch sizes 1, 100 and 500 (changes
 * spread over 50 records, 4 requests in flight), 3 timed runs each after a warm-up; reports the
 * median changes/s and request latency p50/p99, prints a table and writes
 * bench/results/ingest-loop-<date>.json. Bounded in requests and time; stops its server itself.
 *
 * The Worker runs under `wrangler dev`, spawned as a child process, rather than in this process
 * through unstable_startWorker:
 * - it is the very server `npm run dev` runs (same bundling, bindings, local queues);
 * - a crash of wrangler or workerd under queue load (reported with ~20,000 local queue messages
 *   in one run) ends the child, which we report, instead of the process doing the measuring;
 * - its own process group makes cleanup one kill, and this file needs no Node 22 (only fetch).
 * Each batch size gets a fresh server and a fresh `--persist-to` directory (migrations applied
 * to it first), so no scenario inherits another's records or queue backlog. The server runs on
 * a copy of the committed sources (HEAD, via git archive) in a temporary directory: figures
 * belong to a commit, and edits made meanwhile cannot reload the Worker mid-run.
 * `npm run bench:ingest -- --worktree` copies the working tree instead (uncommitted changes).
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { delimiter, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const SCENARIOS = [
  // requests per timed run, chosen so each batch size stays under ~20,000 changes in total:
  // every accepted request sends audit queue messages (one per record touched), and a local
  // queue fed ~20,000 of them in one server's life can crash wrangler.
  { batch: 1, warmup: 20, requests: 300 }, // 920 changes, ≤ 920 audit messages
  { batch: 100, warmup: 2, requests: 40 }, // 12,200 changes, ≤ 6,100 audit messages
  { batch: 500, warmup: 1, requests: 12 }, // 18,500 changes, ≤ 1,850 audit messages
];
const RUNS = 3;
const RECORDS = 50;
const IN_FLIGHT = 4;
const REQUEST_TIMEOUT_MS = 60_000;
const DEADLINE_MS = 15 * 60_000;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
// node_modules/.bin first: it holds Node 22 (devDependency `node`), which wrangler 4 needs.
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` };
const wrangler = join(bin, "wrangler");
const work = mkdtempSync(join(tmpdir(), "changecast-bench-"));
const deadline = AbortSignal.timeout(DEADLINE_MS);
let server = null;

const WORKTREE = process.argv.includes("--worktree");

/** The sources (HEAD, or the working tree) in `work/app`, with the example secrets as .dev.vars. */
function snapshotSources() {
  const app = join(work, "app");
  if (WORKTREE) {
    const skip = new Set(["node_modules", ".git", ".wrangler", ".dev.vars", join("bench", "results")]);
    cpSync(root, app, { recursive: true, filter: (src) => !skip.has(relative(root, src)) });
  } else {
    mkdirSync(app);
    const tar = join(work, "head.tar");
    const archive = spawnSync("git", ["archive", "--format=tar", "-o", tar, "HEAD"], { cwd: root, encoding: "utf8" });
    const untar = archive.status === 0 && spawnSync("tar", ["-xf", tar, "-C", app], { encoding: "utf8" });
    if (!untar || untar.status !== 0) throw new Error(`could not copy HEAD: ${archive.stderr}${untar?.stderr ?? ""}`);
  }
  symlinkSync(join(root, "node_modules"), join(app, "node_modules"), "dir");
  const vars = readFileSync(join(app, ".dev.vars.example"), "utf8");
  writeFileSync(join(app, ".dev.vars"), vars);
  const token = vars.match(/^ADMIN_TOKEN=(.*)$/m)?.[1]?.trim();
  if (!token) throw new Error(".dev.vars.example has no ADMIN_TOKEN");
  return { app, token };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(app, name) {
  const state = join(work, `state-${name}`);
  const log = join(work, `wrangler-${name}.log`);
  const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "changecast", "--local", "--persist-to", state], {
    cwd: app, env: { ...childEnv, CI: "true" }, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8",
  });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);

  const port = await freePort();
  const child = spawn(wrangler, ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, "--show-interactive-dev-session=false"], {
    cwd: app, env: childEnv, stdio: ["ignore", "pipe", "pipe"], detached: true,
  });
  const s = { child, log, base: `http://127.0.0.1:${port}`, exited: null, buildFailed: false, queue: { batches: 0, delivered: 0, acked: 0 }, lastQueueAt: 0, errors: [] };
  const out = createWriteStream(log);
  let partial = "";
  const scan = (chunk) => {
    out.write(chunk);
    const lines = (partial + chunk).split("\n");
    partial = lines.pop();
    for (const raw of lines) {
      const line = raw.replace(/\x1b\[[0-9;]*m/g, "");
      // "[wrangler:info] QUEUE changecast-audit 12/12 (31ms)": one consumer batch, acked/total.
      const q = line.match(/QUEUE changecast-audit (\d+)\/(\d+)/);
      if (q) {
        s.queue.batches += 1;
        s.queue.acked += Number(q[1]);
        s.queue.delivered += Number(q[2]);
        s.lastQueueAt = Date.now();
      }
      else if (/Build failed/.test(line)) s.buildFailed = true; // wrangler would wait for an edit
      if (!q && /error|✘/i.test(line) && !/Request\.cf|ENOTFOUND|getaddrinfo/.test(line)) s.errors.push(line.trim());
    }
  };
  child.stdout.on("data", scan);
  child.stderr.on("data", scan);
  child.on("exit", (code, signal) => (s.exited = { code, signal }));
  server = s;

  for (const started = Date.now(); Date.now() - started < 90_000; await sleep(500)) {
    if (s.exited || s.buildFailed) throw new Error(`wrangler dev ${s.buildFailed ? "could not build the Worker" : `exited (${JSON.stringify(s.exited)})`}; see ${log}`);
    try {
      if ((await fetch(s.base, { signal: AbortSignal.timeout(2000) })).ok) return s;
    } catch {} // not listening yet
  }
  throw new Error(`wrangler dev did not answer within 90 s; see ${log}`);
}

async function stopServer() {
  const s = server;
  server = null;
  if (!s || s.exited) return;
  process.kill(-s.child.pid, "SIGINT"); // the group: wrangler and its workerd processes
  for (let i = 0; i < 40 && !s.exited; i++) await sleep(250);
  if (!s.exited) process.kill(-s.child.pid, "SIGKILL");
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(base, path, token, body) {
  const res = await fetch(base + path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.any([deadline, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} → ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Request bodies built before the clock starts; change n goes to record n mod RECORDS. */
function bodies(label, batch, requests) {
  const occurredAt = new Date().toISOString();
  return Array.from({ length: requests }, (_, r) => ({
    changes: Array.from({ length: batch }, (_, i) => {
      const n = r * batch + i;
      const record = n % RECORDS;
      return { id: `${label}-${n}`, recordType: "customer", recordId: `c-${record}`, op: "update", occurredAt, data: { name: `Customer ${record}`, email: `c${record}@example.com`, tier: n % 3, visits: n } };
    }),
  }));
}

/** Sends the bodies with IN_FLIGHT requests at a time; latency per request, wall time overall. */
async function loop(base, key, list) {
  const latencies = [];
  const counts = { accepted: 0, duplicate: 0, rejected: 0, failedRequests: 0 };
  const failures = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < list.length) {
      const body = list[next++];
      const t0 = performance.now();
      try {
        const { results } = await call(base, "/v1/changes", key, body);
        latencies.push(performance.now() - t0);
        for (const r of results) counts[r.status] += 1;
      } catch (err) {
        if (deadline.aborted) throw err;
        counts.failedRequests += 1;
        if (failures.length < 5) failures.push(String(err.message ?? err).slice(0, 300));
      }
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, latencies, counts, failures };
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);
const median = (xs) => percentile([...xs].sort((a, b) => a - b), 50);
const round = (x, digits = 1) => (x === null ? null : Number(x.toFixed(digits)));

async function scenario(app, token, { batch, warmup, requests }) {
  const s = await startServer(app, `batch-${batch}`);
  await call(s.base, "/admin/v1/tenants", token, { id: "bench", name: "Bench" });
  const { key } = await call(s.base, "/admin/v1/tenants/bench/locations", token, { id: "store-1", name: "Store 1" });

  await loop(s.base, key, bodies(`warm-${batch}`, batch, warmup)); // first calls create the 50 objects
  const runs = [];
  for (let run = 1; run <= RUNS; run++) {
    const r = await loop(s.base, key, bodies(`b${batch}-r${run}`, batch, requests));
    const sorted = [...r.latencies].sort((a, b) => a - b);
    runs.push({
      run, requests, changes: requests * batch, seconds: round(r.seconds, 3), ...r.counts,
      changesPerSecond: round(r.counts.accepted / r.seconds), requestsPerSecond: round(r.latencies.length / r.seconds),
      latencyMs: { p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? null) },
      ...(r.failures.length ? { failures: r.failures } : {}),
    });
    console.log(`batch ${batch} run ${run}: ${runs.at(-1).changesPerSecond} changes/s, p50 ${runs.at(-1).latencyMs.p50} ms, p99 ${runs.at(-1).latencyMs.p99} ms`);
  }
  // The audit consumer runs behind ingest: give it until it has been quiet for 5 s (at most 60 s).
  const drainStart = Date.now();
  for (const until = drainStart + 60_000; Date.now() < until && Date.now() - s.lastQueueAt < 5000 && !s.exited; ) await sleep(500);
  const crashed = s.exited;
  await stopServer();
  return {
    batch, runs,
    medianChangesPerSecond: median(runs.map((r) => r.changesPerSecond)),
    // Median over the runs of each run's p50 and p99 (each run: `requests` samples).
    latencyMs: { p50: median(runs.map((r) => r.latencyMs.p50)), p99: median(runs.map((r) => r.latencyMs.p99)) },
    totalChanges: (warmup + requests * RUNS) * batch,
    // From wrangler's log: the audit consumer's batches, messages delivered to it and acked
    // (≤ one message per record per request: concurrent requests to a record may share one),
    // and how long after the last timed run it kept consuming.
    auditQueue: { ...s.queue, drainSeconds: round(Math.max(0, s.lastQueueAt - drainStart) / 1000) },
    serverErrors: s.errors.slice(0, 10),
    serverExitedEarly: crashed,
  };
}

function gitState() {
  const rev = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).stdout.trim();
  if (WORKTREE) return { commit: rev || null, sources: "worktree" };
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "workers", "durable-objects", "shared", "wrangler.toml", "migrations"], { cwd: root, encoding: "utf8" }).stdout.trim() !== "";
  return { commit: rev || null, sources: "HEAD", worktreeDiffersFromHead: dirty };
}

async function main() {
  const loadBefore = loadavg().map((x) => round(x, 2));
  const { app, token } = snapshotSources();
  const results = [];
  for (const sc of SCENARIOS) {
    try {
      results.push(await scenario(app, token, sc));
    } finally {
      await stopServer();
    }
  }

  const date = new Date().toISOString();
  const report = {
    bench: "ingest-loop", v: 1, date,
    environment: {
      ...gitState(), cpus: cpus().length,
      // 1/5/15-minute load averages: anything else running on the machine skews the figures.
      loadAverage: { before: loadBefore, after: loadavg().map((x) => round(x, 2)) }, cpuModel: cpus()[0]?.model ?? null, benchNode: process.version,
      wrangler: JSON.parse(readFileSync(join(root, "node_modules/wrangler/package.json"), "utf8")).version,
      workerNode: JSON.parse(readFileSync(join(root, "node_modules/node/package.json"), "utf8")).version,
    },
    config: { runs: RUNS, records: RECORDS, inFlight: IN_FLIGHT, scenarios: SCENARIOS, server: "wrangler dev (local), fresh --persist-to per batch size" },
    results,
  };
  const dir = join(root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `ingest-loop-${date.slice(0, 10)}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);

  console.log(`\n${report.environment.cpus} CPUs, wrangler ${report.environment.wrangler}, ${IN_FLIGHT} in flight, ${RECORDS} records, median of ${RUNS} runs`);
  console.table(results.map((r) => ({
    batch: r.batch, "requests/run": r.runs[0].requests, "changes/s": r.medianChangesPerSecond,
    "p50 ms": r.latencyMs.p50, "p99 ms": r.latencyMs.p99,
    "not accepted": r.runs.reduce((n, x) => n + x.duplicate + x.rejected + x.failedRequests, 0),
    "audit msgs": r.auditQueue.acked, "server errors": r.serverErrors.length,
  })));
  console.log(`wrote ${relative(root, file)}`);
}

/** Stops the server; keeps the temporary directory (wrangler's logs) only when something failed. */
async function cleanup() {
  await stopServer().catch(() => {});
  if (process.exitCode) console.error(`wrangler logs kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => void cleanup().finally(() => process.exit(130)));
}
// Last resort (an exception we did not expect): never leave workerd holding a port.
process.on("exit", () => server && !server.exited && process.kill(-server.child.pid, "SIGKILL"));

main()
  .catch((err) => {
    console.error(`bench failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
