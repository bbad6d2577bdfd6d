/**
 * What the bench loops share: a copy of the sources to run, `wrangler dev` as a child process
 * with its own state and a scan of its log, admin/ingest calls, statistics, the environment
 * block and the results file. Plain Node (fetch only): the child gets Node 22 from node_modules.
 *
 * Why a child `wrangler dev` rather than unstable_startWorker in this process:
 * - it is the very server `npm run dev` runs (same bundling, bindings, local queues);
 * - a crash of wrangler or workerd under queue load (reported with ~20,000 local queue messages
 *   in one run) ends the child, which we report, instead of the process doing the measuring;
 * - its own process group makes cleanup one kill.
 * The server runs on a copy of the committed sources (HEAD, via git archive) in a temporary
 * directory: figures belong to a commit, and edits made meanwhile cannot reload the Worker
 * mid-run. `--worktree` copies the working tree instead (uncommitted changes).
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { delimiter, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
// node_modules/.bin first: it holds Node 22 (devDependency `node`), which wrangler 4 needs.
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` };
const wrangler = join(bin, "wrangler");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);
export const median = (xs) => percentile([...xs].filter((x) => x !== null).sort((a, b) => a - b), 50);
export const round = (x, digits = 1) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

/**
 * One bench's temporary directory, overall deadline and running server. `cleanup()` stops the
 * server and keeps the directory (wrangler's logs) only when something failed; it is also wired
 * to SIGINT/SIGTERM, and a last-resort exit hook never leaves workerd holding a port.
 */
export function benchContext({ name, deadlineMs, argv = process.argv }) {
  const ctx = {
    work: mkdtempSync(join(tmpdir(), `changecast-${name}-`)),
    deadline: AbortSignal.timeout(deadlineMs),
    worktree: argv.includes("--worktree"),
    /** Every server started and not yet stopped; `server` is the latest (the loops run one at a time). */
    servers: new Set(),
    server: null,
    /** Stops `s`, or every running server when none is named. */
    async stopServer(s) {
      const list = s ? [s] : [...ctx.servers];
      await Promise.all(list.map(async (x) => {
        ctx.servers.delete(x);
        if (ctx.server === x) ctx.server = null;
        if (x.exited) return;
        process.kill(-x.child.pid, "SIGINT"); // the group: wrangler and its workerd processes
        for (let i = 0; i < 40 && !x.exited; i++) await sleep(250);
        if (!x.exited) process.kill(-x.child.pid, "SIGKILL");
      }));
    },
    async cleanup() {
      await ctx.stopServer().catch(() => {});
      if (process.exitCode) console.error(`wrangler logs kept in ${ctx.work}`);
      else rmSync(ctx.work, { recursive: true, force: true });
    },
  };
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void ctx.cleanup().finally(() => process.exit(130)));
  process.on("exit", () => {
    for (const x of ctx.servers) if (!x.exited) process.kill(-x.child.pid, "SIGKILL");
  });
  return ctx;
}

/** The sources (HEAD, or the working tree) in `work/app`, with the example secrets as .dev.vars. */
export function snapshotSources(ctx) {
  const app = join(ctx.work, "app");
  // Recorded now: a run can take many minutes, and a shared checkout's HEAD may move meanwhile.
  ctx.sources = gitState(ctx.worktree);
  if (ctx.worktree) {
    const skip = new Set(["node_modules", ".git", ".wrangler", ".dev.vars", join("bench", "results")]);
    cpSync(root, app, { recursive: true, filter: (src) => !skip.has(relative(root, src)) });
  } else {
    mkdirSync(app);
    const tar = join(ctx.work, "head.tar");
    const archive = spawnSync("git", ["archive", "--format=tar", "-o", tar, "HEAD"], { cwd: root, encoding: "utf8" });
    const untar = archive.status === 0 && spawnSync("tar", ["-xf", tar, "-C", app], { encoding: "utf8" });
    if (!untar || untar.status !== 0) throw new Error(`could not copy HEAD: ${archive.stderr}${untar?.stderr ?? ""}`);
  }
  isolateNodeModules(app);
  const vars = readFileSync(join(app, ".dev.vars.example"), "utf8");
  writeFileSync(join(app, ".dev.vars"), vars);
  const token = vars.match(/^ADMIN_TOKEN=(.*)$/m)?.[1]?.trim();
  if (!token) throw new Error(".dev.vars.example has no ADMIN_TOKEN");
  return { app, token };
}

/**
 * `wrangler dev` rebuilds and reloads the Worker when esbuild sees a watched path change, and
 * esbuild also watches the directory listings it resolved through, node_modules included: an
 * `npm install` in the shared checkout reloaded a bench's server mid-run, which drops the local
 * queues' in-flight messages. So the copy gets its own node_modules directory of per-entry links
 * to the checkout's, taken now: packages added to the checkout later no longer change a listing
 * esbuild watches. It cuts reloads, it does not stop them: servers count them (`reloads`).
 */
function isolateNodeModules(app) {
  const link = join(app, "node_modules");
  mkdirSync(link);
  const source = join(root, "node_modules");
  for (const entry of readdirSync(source)) symlinkSync(join(source, entry), join(link, entry));
}

/** A whole-number command-line flag `--name N` within [min, max], or the fallback when absent. */
export function intFlag(name, fallback, min, max, argv = process.argv) {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} takes a whole number from ${min} to ${max}`);
  return n;
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * `wrangler dev` on a free port with a fresh `--persist-to` directory. By default changecast's own
 * wrangler.toml, its D1 migrations applied first; `config` names another Worker's wrangler.toml
 * (relative to `app`: the floor and itty bench Workers, which have no D1). `vars` become `--var`
 * flags. The returned server counts, from wrangler's log, each queue's consumer batches and
 * messages (`queues[name]`: batches, delivered, acked, busyMs: the sum of the batches' durations,
 * lastAt), the Worker reloads (`reloads`: each drops local in-flight queue messages) and keeps
 * error lines.
 */
export async function startServer(ctx, app, name, options = {}) {
  // Another wrangler on this shared machine (or a port freed by freePort and taken before
  // wrangler bound it) can hold a port wrangler wants: "Address already in use". Try again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(ctx, app, attempt > 1 ? `${name}-${attempt}` : name, options);
    } catch (err) {
      if (attempt >= 3 || !err.addressInUse) throw err;
      console.log(`  ${name}: a port was taken (another server on the machine); starting again`);
    }
  }
}

async function startServerOnce(ctx, app, name, { config = null, vars = {} }) {
  const state = join(ctx.work, `state-${name}`);
  const log = join(ctx.work, `wrangler-${name}.log`);
  if (!config) {
    const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "changecast", "--local", "--persist-to", state], {
      cwd: app, env: { ...childEnv, CI: "true" }, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8",
    });
    if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);
  }

  const port = await freePort();
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, "--show-interactive-dev-session=false"];
  if (config) args.push("--config", config);
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn(wrangler, args, { cwd: app, env: childEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const s = { name, child, log, base: `http://127.0.0.1:${port}`, exited: null, buildFailed: false, queues: {}, lastQueueAt: 0, errors: [], reloads: 0 };
  const out = createWriteStream(log);
  let partial = "";
  const scan = (chunk) => {
    out.write(chunk);
    const lines = (partial + chunk).split("\n");
    partial = lines.pop();
    for (const raw of lines) {
      const line = raw.replace(/\x1b\[[0-9;]*m/g, "");
      // "[wrangler:info] QUEUE changecast-audit 12/12 (31ms)": one consumer batch, acked/total, its duration.
      const q = line.match(/QUEUE (\S+) (\d+)\/(\d+)(?: \((\d+)ms\))?/);
      if (q) {
        const stats = (s.queues[q[1]] ??= { batches: 0, delivered: 0, acked: 0, busyMs: 0, lastAt: 0 });
        stats.batches += 1;
        stats.acked += Number(q[2]);
        stats.delivered += Number(q[3]);
        stats.busyMs += Number(q[4] ?? 0);
        stats.lastAt = s.lastQueueAt = Date.now();
      }
      else if (/Build failed/.test(line)) s.buildFailed = true; // wrangler would wait for an edit
      else if (/Reloading local server/.test(line)) s.reloads += 1;
      if (!q && /error|✘/i.test(line) && !/Request\.cf|ENOTFOUND|getaddrinfo/.test(line)) s.errors.push(line.trim());
    }
  };
  child.stdout.on("data", scan);
  child.stderr.on("data", scan);
  child.on("exit", (code, signal) => (s.exited = { code, signal }));
  ctx.server = s;
  ctx.servers.add(s);

  for (const started = Date.now(); Date.now() - started < 90_000; await sleep(500)) {
    if (s.exited || s.buildFailed) {
      ctx.servers.delete(s);
      const err = new Error(`wrangler dev ${s.buildFailed ? "could not build the Worker" : `exited (${JSON.stringify(s.exited)})`}; see ${log}`);
      err.addressInUse = s.errors.some((line) => /Address already in use/.test(line));
      throw err;
    }
    try {
      if ((await fetch(s.base, { signal: AbortSignal.timeout(2000) })).ok) return s;
    } catch {} // not listening yet
  }
  throw new Error(`wrangler dev did not answer within 90 s; see ${log}`);
}

/** Waits until no queue consumer batch was logged for `quietMs` (at most `maxMs`); answers how long after `since` the last one ran. */
export async function drainQueues(s, { since, quietMs = 5000, maxMs = 60_000 }) {
  for (const until = Date.now() + maxMs; Date.now() < until && Date.now() - s.lastQueueAt < quietMs && !s.exited; ) await sleep(500);
  return round(Math.max(0, s.lastQueueAt - since) / 1000);
}

/**
 * CPU seconds (user + system) so far of each command in process group `pgid` (a server's
 * wrangler node and its workerd), and with `threads` of each of workerd's threads (the user
 * isolate is one thread's share). Linux /proc only; {} elsewhere.
 */
export function groupCpuSeconds(pgid, { threads = false } = {}) {
  const out = {};
  const seconds = (stat) => {
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // f[2] pgrp, f[11] utime, f[12] stime (1/100 s)
    return { comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), pgrp: Number(f[2]), s: (Number(f[11]) + Number(f[12])) / 100 };
  };
  if (!existsSync("/proc")) return out;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const p = seconds(readFileSync(`/proc/${pid}/stat`, "utf8"));
      if (p.pgrp !== pgid) continue;
      out[p.comm] = (out[p.comm] ?? 0) + p.s;
      if (!threads || p.comm !== "workerd") continue;
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const t = seconds(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8"));
        out[`workerd thread ${tid} (${t.comm})`] = t.s;
      }
    } catch {} // exited meanwhile
  }
  return out;
}

/** A server's CPU seconds so far: its whole process group (wrangler and workerd with every simulator). */
const serverCpuSeconds = (s) => Object.values(groupCpuSeconds(s.child.pid)).reduce((a, b) => a + b, 0);

/** Starts counting a server's CPU; the answer gives the CPU ms per change since then (null for none). */
export function serverCpuMeter(s) {
  const before = serverCpuSeconds(s);
  return (changes) => (changes ? round(((serverCpuSeconds(s) - before) * 1000) / changes, 2) : null);
}

/** A JSON call with a bearer token; throws on a non-2xx answer. */
export async function call(ctx, base, method, path, token, body, timeoutMs = 60_000) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.any([ctx.deadline, AbortSignal.timeout(timeoutMs)]),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

function gitState(worktree) {
  const rev = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).stdout.trim();
  if (worktree) return { commit: rev || null, sources: "worktree" };
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "workers", "durable-objects", "shared", "wrangler.toml", "migrations"], { cwd: root, encoding: "utf8" }).stdout.trim() !== "";
  return { commit: rev || null, sources: "HEAD", worktreeDiffersFromHead: dirty };
}

/** Call `loadAverage()` before the runs and pass it here after them. */
export const loadAverage = () => loadavg().map((x) => round(x, 2));

export function environment(ctx, loadBefore) {
  return {
    ...(ctx.sources ?? gitState(ctx.worktree)), cpus: cpus().length,
    // 1/5/15-minute load averages: anything else running on the machine skews the figures.
    loadAverage: { before: loadBefore, after: loadAverage() }, cpuModel: cpus()[0]?.model ?? null, benchNode: process.version,
    wrangler: JSON.parse(readFileSync(join(root, "node_modules/wrangler/package.json"), "utf8")).version,
    workerNode: JSON.parse(readFileSync(join(root, "node_modules/node/package.json"), "utf8")).version,
  };
}

/**
 * Writes bench/results/<bench>-<yyyy-mm-dd>.json atomically (with `keep`, a later run of the same
 * day gets -2, -3, … instead of replacing it); answers its path relative to the root.
 */
export function writeResults(report, { keep = false } = {}) {
  const dir = join(root, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${report.bench}-${report.date.slice(0, 10)}`);
  let file = `${base}.json`;
  for (let n = 2; keep && existsSync(file); n++) file = `${base}-${n}.json`;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return relative(root, file);
}

/**
 * The bench tenant on a fresh server: tenant, location, subscriber and one route per entry of
 * `routes` ({name, url, body}), each waited on until active (the webhook handshake makes a new
 * route "pending" until its endpoint agreed). Answers the admin caller, the location key and the
 * created routes (with their secrets), in the order given.
 */
export async function setUpBenchTenant(ctx, s, token, routes) {
  const admin = (method, path, body) => call(ctx, s.base, method, `/admin/v1${path}`, token, body);
  await admin("POST", "/tenants", { id: "bench", name: "Bench" });
  const { key } = await admin("POST", "/tenants/bench/locations", { id: "store-1", name: "Store 1" });
  await admin("POST", "/tenants/bench/subscribers", { id: "bench", name: "Bench", purposes: ["bench"], agreements: {} });
  const created = [];
  for (const route of routes) {
    created.push(await admin("POST", "/tenants/bench/routes", { id: `bench-${route.name}`, subscriberId: "bench", url: route.url, ...route.body }));
  }
  for (const r of created) {
    for (let until = Date.now() + 15_000; ; await sleep(250)) {
      const { status, statusReason } = await admin("GET", `/tenants/bench/routes/${r.id}`);
      if (status === "active") break;
      if (status !== "pending" || Date.now() > until) throw new Error(`route ${r.id} is ${status}${statusReason ? ` (${statusReason})` : ""}`);
    }
  }
  return { admin, key, routes: created };
}
