/**
 * A CPU profile of changecast while it ingests: where the Worker's JavaScript time goes.
 *
 *   node bench/profile.mjs [--batch 500] [--changes 4000] [--routes 0|1|10] [--interval 100] [--records 50] [--top 25]
 *   node bench/profile.mjs --analyse /tmp/changecast-profile-b500-r0-4000   # a saved profile again
 *
 * Starts changecast's `wrangler dev` on a copy of HEAD (bench/lib.mjs, like `npm run bench`)
 * with an inspector port, creates the bench tenant (and routes to the bench sinks), warms the
 * objects up, then samples the isolate through the Chrome DevTools Protocol (Profiler domain)
 * while bench/load.mjs pushes the changes, 4 requests in flight. Locally the fetch handler, the
 * queue consumers and the Durable Objects of the one Worker script share that isolate, so the
 * profile covers the ingest Worker, MasterRecord.apply and its outbox alike (and any queue
 * consumer that runs meanwhile). It does not cover miniflare's own simulators (the local queue
 * brokers, R2, D1, the entry Worker): workerd runs them as other isolates, on the same thread,
 * and wrangler's inspector proxy lists only the user Worker. Writes the .cpuprofile (Chrome
 * DevTools or speedscope open it) with the bundle and its source map, and prints: the time by
 * phase (ingest Worker, apply, outbox shipping, consumers) and part (SQL statement, hashing,
 * RPC call…), the top functions by self and by inclusive time in the TypeScript sources with
 * their hottest lines, and the CPU seconds of wrangler and of workerd's threads, which put the
 * isolate's share in context.
 */
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, join } from "node:path";
import { benchContext, freePort, groupCpuSeconds, intFlag, loadAverage, snapshotSources, sleep } from "./lib.mjs";
import { changeBatches, pushChanges } from "./load.mjs";
import { PIPELINES } from "./pipelines.mjs";
import { startReceivers } from "./receivers.mjs";
import { fanoutRoutes } from "./scenarios/delivery.mjs";

const BATCH = intFlag("batch", 500, 1, 1000);
const CHANGES = intFlag("changes", 4000, 1, 20_000);
const ROUTES = intFlag("routes", 0, 0, 10);
const INTERVAL_US = intFlag("interval", 100, 50, 10_000);
const RECORDS = intFlag("records", 50, 1, 10_000);
const IN_FLIGHT = 4;
const TOP = intFlag("top", 25, 5, 200);
const ANALYSE = process.argv.includes("--analyse") ? process.argv[process.argv.indexOf("--analyse") + 1] : null;

const ctx = benchContext({ name: "profile", deadlineMs: 20 * 60_000 });
let receivers = null;

/** A minimal DevTools Protocol client over Node 22's global WebSocket: `send` answers the result. */
async function devtools(url) {
  // The inspector proxy refuses an upgrade without an allowed Origin (undici sends none): name ours.
  const ws = new WebSocket(url, { headers: { origin: "http://127.0.0.1" } });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", () => reject(new Error(`could not connect to the inspector at ${url}`)), { once: true });
  });
  let nextId = 1;
  const waiting = new Map();
  ws.addEventListener("message", (m) => {
    const msg = JSON.parse(m.data);
    const w = msg.id !== undefined && waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    msg.error ? w.reject(new Error(`${w.method}: ${msg.error.message}`)) : w.resolve(msg.result);
  });
  return {
    send: (method, params = {}) => new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject, method });
      ws.send(JSON.stringify({ id, method, params }));
    }),
    close: () => ws.close(),
  };
}

/** wrangler's inspector proxy lists the user Worker's isolate at /json (one target locally). */
async function inspectorTargets(port) {
  for (let until = Date.now() + 15_000; ; await sleep(500)) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(2000) });
      const list = await res.json();
      if (list.length) return list;
    } catch (err) {
      if (Date.now() > until) throw new Error(`no inspector targets at 127.0.0.1:${port}/json: ${err.message}`);
    }
    if (Date.now() > until) throw new Error(`the inspector at 127.0.0.1:${port} lists no targets`);
  }
}

/** wrangler's bundle of the copy and its source map (the profile names the bundle's lines). */
function bundleSourceMap(app) {
  const tmp = join(app, ".wrangler", "tmp");
  const dirs = existsSync(tmp) ? readdirSync(tmp).filter((d) => d.startsWith("dev-")).map((d) => join(tmp, d)) : [];
  return [...dirs, app].map(loadSourceMap).find(Boolean) ?? null;
}

function loadSourceMap(dir) {
  const map = join(dir, "index.js.map");
  return existsSync(map) ? { bundle: join(dir, "index.js"), map: new SourceMap(JSON.parse(readFileSync(map, "utf8"))) } : null;
}

/** A source path as the repository names it: "durable-objects/x.ts", "node_modules/zod/…". */
function repoPath(source) {
  const s = decodeURIComponent(source.replace(/^file:\/\//, ""));
  const nm = s.lastIndexOf("node_modules/");
  if (nm >= 0) return s.slice(nm);
  const app = s.lastIndexOf("/app/");
  return app >= 0 ? s.slice(app + 5) : s.replace(/^(\.\.\/)+/, "");
}

/**
 * Maps the bundle's (0-based) line/column to {file, line, text, scope} in the TypeScript sources;
 * `scope` names the enclosing named function, so "(anonymous)" frames say whose callback they are.
 */
function sourceMapper(sources) {
  if (!sources) return () => null;
  const bundleLines = readFileSync(sources.bundle, "utf8").split("\n");
  const { payload } = sources.map;
  const texts = new Map(payload.sources.map((src, i) => [src, payload.sourcesContent?.[i]?.split("\n") ?? null]));
  const named = /^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\s*\*?\s*)?(#?[A-Za-z_$][\w$]*)\s*(?:<.*>)?\s*\(.*\)\s*(?::.*)?\{\s*$/;
  const scopeOf = (lines, at) => {
    for (let i = at; i >= 0 && lines; i--) {
      const m = named.exec(lines[i]);
      if (m && !/^(if|for|while|switch|catch|return)$/.test(m[1])) return m[1];
    }
    return null;
  };
  return (line, column) => {
    const col = column ?? (bundleLines[line]?.search(/\S/) ?? 0); // a whole line: its first token
    const e = sources.map.findEntry(line, Math.max(0, col));
    if (!e?.originalSource) return null;
    const lines = texts.get(e.originalSource) ?? [...texts.entries()].find(([k]) => e.originalSource.endsWith(k.replace(/^(\.\.\/)+/, "")))?.[1];
    return { file: repoPath(e.originalSource), line: e.originalLine + 1, text: lines?.[e.originalLine]?.trim() ?? "", scope: scopeOf(lines, e.originalLine) };
  };
}

/**
 * What each sample's time was for: a phase, from the innermost frame that marks one (the
 * outbox's #ship runs inside apply at first, so it must win), and within it a part, from the
 * first rule that matches the leaf (its native call or its hot line's text) or, failing that,
 * any frame of the stack. A native call (SQL exec, sendBatch, an RPC stub) thus counts as the
 * phase that made it, even through the bench counters' Proxy wrappers (workers/bench).
 */
const PHASES = [
  ["(c) ship (outbox → queues)", (f) => ["#ship", "#shipPending", "shipPage", "sendAll"].includes(f.fn)],
  ["(b) MasterRecord.apply", (f) => f.fn === "apply" && f.file === "durable-objects/master-record.ts"],
  ["queue consumers (same isolate)", (f) => /workers\/(audit|delivery)\//.test(f.file) || (f.fn === "queue" && f.file.startsWith("workers/"))],
  ["(a) ingest Worker (fetch)", (f) => /workers\/(ingest|http)\/|node_modules\/(hono|wrangler)\/|middleware-loader/.test(f.file) || (f.fn === "fetch" && f.file.startsWith("workers/"))],
];
const has = (stack, test) => stack.some(test);
const PARTS = [
  ["SQLite exec", (leaf) => leaf.native === "exec"],
  ["SQLite commit (transactionSync)", (leaf) => leaf.native === "transactionSync"],
  ["queue sendBatch (serialize, send)", (leaf, text) => ["sendBatch", "send"].includes(leaf.native) || /await sendBatch\(/.test(text)],
  ["(d) RPC stub call (serialize args, send)", (leaf, text) => /Reflect\.apply\(value, t, args\)\)\.finally\(done\)/.test(text) || (/\.apply\(/.test(text) && /workers\/ingest\//.test(leaf.file)) || (leaf.native === "" && /workers\/(ingest|bench)\//.test(leaf.callerFile))],
  ["bench counters (BENCH_COUNTERS=1)", (leaf, text, stack) => /workers\/bench\//.test(leaf.file) || has(stack, (f) => f.fn === "bodyBytes" || /workers\/bench\/tally/.test(f.file))],
  ["JSON.stringify (own line)", (leaf, text) => /JSON\.stringify/.test(text) && !leaf.file.startsWith("node_modules/")],
  ["JSON.parse (own line)", (leaf, text) => /JSON\.parse/.test(text) && !leaf.file.startsWith("node_modules/")],
  ["sealEntry (canonicalize + sha256)", (leaf, text, stack) => has(stack, (f) => f.fn === "sealEntry")],
  ["applyChange (clocks, event, changedFields)", (leaf, text, stack) => has(stack, (f) => f.fn === "applyChange")],
  ["uuidv7", (leaf, text, stack) => has(stack, (f) => /node_modules\/uuid\//.test(f.file))],
  ["planDestinations", (leaf, text, stack) => has(stack, (f) => f.fn === "planDestinations")],
  ["zod", (leaf, text, stack) => has(stack, (f) => /node_modules\/zod\//.test(f.file))],
  ["canonicalize", (leaf, text, stack) => has(stack, (f) => /node_modules\/canonicalize/.test(f.file))],
  ["sha256 (node:crypto in workerd)", (leaf, text, stack) => has(stack, (f) => /crypto_hash/.test(f.file))],
  ["hono / wrangler dev middleware", (leaf, text, stack) => /node_modules\/(hono|wrangler)\//.test(leaf.file)],
];
const SPECIAL = /^\((idle|program|garbage collector|root)\)$/;

/** "phase › part" for one sample's stack (frames leaf first) and its leaf's line text. */
function categorize(stack, text) {
  const phase = PHASES.find(([, rule]) => stack.some(rule))?.[0] ?? "(e) other (no project frame)";
  const inPhase = stack.slice(0, Math.max(1, stack.findIndex((f) => PHASES.some(([, rule]) => rule(f))) + 1));
  let part = PARTS.find(([, rule]) => rule(stack[0], text, inPhase))?.[0];
  if (part === "SQLite exec") part += ` (${stack.find((f) => /master-record-storage|outbox/.test(f.file))?.fn ?? "?"})`;
  const own = stack.find((f) => f.inBundle && !/node_modules|workers\/bench/.test(f.file));
  return `${phase} › ${part ?? `other: ${own ? `${own.fn} (${own.file})` : stack[0].fn}`}`;
}

/** Self/inclusive time per function, hottest lines and categories from a CDP profile. */
function analyse(profile, sources) {
  const map = sourceMapper(sources);
  const bundleName = sources ? sources.bundle.split("/").pop() : null;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Each sample weighs the time until the next one, clipped at 4 median intervals: on 2 shared
  // cores the sampler is sometimes starved for 100+ ms, and an unclipped gap would charge all
  // of it to whatever frame happened to be on the stack (a single sample in hono showed 324 ms).
  const deltas = profile.timeDeltas;
  const sorted = [...deltas].sort((a, b) => a - b);
  const medianIntervalUs = sorted[Math.floor(sorted.length / 2)];
  const clipUs = 4 * medianIntervalUs;
  const self = new Map();
  let clippedMs = 0;
  profile.samples.forEach((id, i) => {
    const d = deltas[i + 1] ?? medianIntervalUs;
    clippedMs += Math.max(0, d - clipUs) / 1000;
    self.set(id, (self.get(id) ?? 0) + Math.min(d, clipUs) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);

  const frames = new Map();
  const frameOf = (n) => {
    if (frames.has(n.id)) return frames.get(n.id);
    const cf = n.callFrame;
    // Only the bundle has a source map; workerd's own modules (node-internal:…) keep their URL.
    const at = cf.url && cf.url.split("/").pop() === bundleName ? map(cf.lineNumber, cf.columnNumber) : null;
    const native = cf.url === "" && !SPECIAL.test(cf.functionName) ? cf.functionName : null;
    const fn = cf.functionName || (at?.scope ? `(anonymous in ${at.scope})` : "(anonymous)");
    const f = { fn, native, inBundle: at !== null, file: at?.file ?? (cf.url || "(native)"), line: at?.line ?? cf.lineNumber + 1, scope: at?.scope ?? null };
    const up = parent.get(n.id);
    f.callerFile = up === undefined ? null : frameOf(byId.get(up)).file;
    f.key = `${f.fn} ${f.file}:${f.line}`;
    frames.set(n.id, f);
    return f;
  };
  const stackOf = (id) => {
    const out = [];
    for (let x = id; x !== undefined; x = parent.get(x)) out.push(byId.get(x));
    return out; // leaf first
  };

  const fnSelf = new Map(), fnTotal = new Map(), fnLines = new Map(), categories = new Map();
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  for (const [id, ms] of self) {
    const stack = stackOf(id);
    const leaf = frameOf(stack[0]);
    add(fnSelf, leaf.key, ms);
    for (const key of new Set(stack.map((n) => frameOf(n).key))) add(fnTotal, key, ms);
    if (SPECIAL.test(leaf.fn)) {
      add(categories, leaf.fn, ms);
      continue;
    }
    const frameStack = stack.map(frameOf);
    // The node's self time, split over its lines by their ticks (line-level sampling).
    const ticks = stack[0].positionTicks?.length ? stack[0].positionTicks : [{ line: stack[0].callFrame.lineNumber + 1, ticks: 1 }];
    const sum = ticks.reduce((a, t) => a + t.ticks, 0);
    for (const t of ticks) {
      const share = (ms * t.ticks) / sum;
      const at = leaf.inBundle ? map(t.line - 1) : null;
      if (at) add((fnLines.has(leaf.key) ? fnLines : fnLines.set(leaf.key, new Map())).get(leaf.key), `${at.file}:${at.line}  ${at.text.slice(0, 90)}`, share);
      add(categories, categorize(frameStack, at?.text ?? ""), share);
    }
  }
  return { total, fnSelf, fnTotal, fnLines, categories, samples: profile.samples.length, medianIntervalUs, clipUs, clippedMs };
}

function printAnalysis({ total, fnSelf, fnTotal, fnLines, categories, samples, medianIntervalUs, clipUs, clippedMs }, top) {
  const pct = (ms) => `${((100 * ms) / total).toFixed(1).padStart(5)}%`;
  const busy = total - (categories.get("(idle)") ?? 0);
  console.log(`\n${samples} samples, median interval ${medianIntervalUs} µs, each clipped at ${clipUs} µs (${(clippedMs / 1000).toFixed(2)} s of sampler gaps left out)`);
  console.log(`${(total / 1000).toFixed(2)} s sampled; busy (not idle) ${pct(busy)} = ${(busy / 1000).toFixed(2)} s. Samples are wall-clock: a thread blocked in a native call (SQLite I/O) counts as that call.`);
  console.log("\nwhere the time went (% of all samples), by phase and part (parts under 0.3% folded):");
  const phases = new Map();
  for (const [k, ms] of categories) {
    const [phase, part = ""] = k.split(" › ");
    const p = phases.get(phase) ?? phases.set(phase, { ms: 0, parts: new Map() }).get(phase);
    p.ms += ms;
    p.parts.set(part, (p.parts.get(part) ?? 0) + ms);
  }
  for (const [phase, p] of [...phases].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${pct(p.ms)}  ${phase}`);
    const parts = [...p.parts].filter(([part]) => part).sort((a, b) => b[1] - a[1]);
    const small = parts.filter(([, ms]) => ms / total < 0.003).reduce((a, [, ms]) => a + ms, 0);
    for (const [part, ms] of parts.filter(([, ms]) => ms / total >= 0.003)) console.log(`      ${pct(ms)}  ${part}`);
    if (small > 0) console.log(`      ${pct(small)}  (smaller parts)`);
  }
  const table = (title, m, lines) => {
    console.log(`\ntop ${top} by ${title}:`);
    const rows = [...m].filter(([k]) => !/^\((idle|root)\)/.test(k)).sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [k, ms] of rows) {
      console.log(`  ${pct(ms)} ${ms.toFixed(0).padStart(6)} ms  ${k}`);
      const hot = lines && [...(fnLines.get(k) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 2);
      for (const [line, lms] of hot || []) if (lms / total > 0.003) console.log(`      ${pct(lms)}  ${line}`);
    }
  };
  table("self time (with the hottest lines)", fnSelf, true);
  table("inclusive time", fnTotal, false);
}

/** `--analyse <dir>`: the summary of a saved profile again (its directory holds the bundle and map). */
function reanalyse(dir) {
  const profile = JSON.parse(readFileSync(join(dir, "changecast.cpuprofile"), "utf8"));
  printAnalysis(analyse(profile, loadSourceMap(dir)), TOP);
}

async function main() {
  const loadBefore = loadAverage();
  const { app, token } = snapshotSources(ctx);
  // startServer takes no extra flags: the copy's wrangler.toml gets the inspector port instead.
  const inspectorPort = await freePort();
  appendFileSync(join(app, "wrangler.toml"), `\n[dev]\ninspector_port = ${inspectorPort}\n`);
  receivers = await startReceivers(Math.max(1, ROUTES));
  const started = await PIPELINES.changecast(ctx, { app, token, receivers }, "profile", fanoutRoutes(ROUTES));
  const { s, key, path } = started;
  const push = (label, count) => pushChanges(ctx, { base: s.base, path, key, batches: changeBatches(label, count, BATCH, (i) => i % RECORDS), inFlight: IN_FLIGHT });
  await push("profile-warm", Math.max(RECORDS, BATCH * 2)); // creates every object, JITs the hot path

  const targets = await inspectorTargets(inspectorPort);
  console.log(`inspector targets: ${targets.map((t) => `${t.title ?? t.id} (${t.type ?? "?"})`).join(", ")}`);
  const cdp = await devtools(targets[0].webSocketDebuggerUrl);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: INTERVAL_US });
  const cpuBefore = groupCpuSeconds(s.child.pid, { threads: true });
  await cdp.send("Profiler.start");
  const r = await push("profile", CHANGES);
  const { profile } = await cdp.send("Profiler.stop");
  const cpuAfter = groupCpuSeconds(s.child.pid, { threads: true });
  cdp.close();

  const wallSeconds = (r.endedAt - r.startedAt) / 1000;
  // Outside ctx.work, which is removed on success: the profile with the bundle and map it names.
  const out = `/tmp/changecast-profile-b${BATCH}-r${ROUTES}-${CHANGES}`;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "changecast.cpuprofile"), JSON.stringify(profile));
  const sources = bundleSourceMap(app);
  if (sources) for (const f of ["index.js", "index.js.map"]) copyFileSync(join(dirname(sources.bundle), f), join(out, f));
  else console.log("no wrangler source map found: locations are the bundle's");

  console.log(`\nbatch ${BATCH}, ${CHANGES} changes over ${RECORDS} records, ${ROUTES} route(s), ${IN_FLIGHT} in flight, sampling every ${INTERVAL_US} µs`);
  console.log(`accepted ${r.counts.accepted}, duplicate ${r.counts.duplicate}, rejected ${r.counts.rejected}, failed requests ${r.counts.failedRequests}; ${r.changesPerSecond} changes/s, p50 ${r.requestLatencyMs.p50} ms, p99 ${r.requestLatencyMs.p99} ms, ${wallSeconds} s`);
  console.log(`load average before ${loadBefore.join(" / ")}, after ${loadAverage().join(" / ")}; server reloads ${s.reloads}, error lines ${s.errors.length}`);
  const cpu = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, (cpuAfter[k] ?? 0) - (cpuBefore[k] ?? 0)]));
  const busy = Object.entries(cpu).filter(([, v]) => v >= 0.05); // idle threads left out
  console.log(`process CPU during the profile (s; wall ${wallSeconds} s): ${busy.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}`);
  printAnalysis(analyse(profile, sources), TOP);
  console.log(`\nprofile, bundle and source map: ${out} (again without a server: node bench/profile.mjs --analyse ${out})`);
}

(ANALYSE ? Promise.resolve().then(() => reanalyse(ANALYSE)) : main())
  .catch((err) => {
    console.error(`profile failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await receivers?.close();
    await ctx.cleanup();
  });
