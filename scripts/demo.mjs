/**
 * `npm run demo`: fan-out end to end against a running `npm run dev`. Starts a webhook receiver on
 * 127.0.0.1, creates a tenant, a location, a subscriber and two routes (structured; binary with a
 * filter), pushes five changes to two records and prints each signed webhook as it arrives. Exits
 * 0 once every expected delivery arrived verified, 1 when one is missing or fails verification
 * (bounded by --timeout), 2 when changecast cannot be reached or refuses the setup.
 *
 *   node scripts/demo.mjs [--base http://127.0.0.1:8787] [--token dev-admin-token] [--timeout 30]
 *   node scripts/demo.mjs --receiver-only [--port 9999] [--secrets-file FILE] [--secret whsec_…]…
 *
 * --receiver-only runs just the receiver (for the README walk-through): it answers the CloudEvents
 * webhook handshake, verifies each POST with every secret it knows (--secret, and the lines of
 * --secrets-file, re-read on every request so a secret can be added after the route is created)
 * and prints it. Also a module: bench/cost-probe.mjs uses startReceiver().
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";

/**
 * A webhook receiver on 127.0.0.1. `secretsFor(path)` names the secrets to try for a request
 * (`[{label, secret}]`); each POST is verified with the `standardwebhooks` package, answered 204
 * when a secret verified it (or when no secret is known: nothing to check against) and 401 when
 * none did, then handed to `onWebhook` with the secret that verified it.
 */
export function startReceiver({ port = 0, secretsFor = () => [], onWebhook = () => {}, onHandshake = () => {} } = {}) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const receivedAt = Date.now();
      const path = new URL(req.url ?? "/", "http://receiver").pathname;
      if (req.method === "OPTIONS") return handshake(req, res, path, onHandshake);
      if (req.method !== "POST") return void res.writeHead(405, { allow: "POST, OPTIONS" }).end();
      const body = Buffer.concat(chunks);
      const secrets = secretsFor(path);
      const verification = verify(body, req.headers, secrets);
      const webhook = { path, receivedAt, headers: req.headers, body, ...verification, secretsTried: secrets.length };
      try {
        webhook.event = readEvent(req.headers, body);
      } catch (err) {
        webhook.event = null;
        webhook.parseError = String(err.message ?? err);
      }
      res.writeHead(verification.verifiedWith || secrets.length === 0 ? 204 : 401).end();
      onWebhook(webhook);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const close = () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); });
      resolve({ server, url: `http://127.0.0.1:${server.address().port}`, close });
    });
  });
}

/**
 * CloudEvents "HTTP 1.1 Web Hooks" §4.2 abuse protection: the sender asks with OPTIONS and
 * WebHook-Request-Origin; we allow it by echoing the origin in WebHook-Allowed-Origin. The rate:
 * what was asked for (§4.2.2: MUST answer one when asked), else "*" (no limit).
 */
function handshake(req, res, path, onHandshake) {
  const origin = req.headers["webhook-request-origin"];
  const headers = { allow: "POST, OPTIONS" };
  if (origin) {
    headers["webhook-allowed-origin"] = origin;
    headers["webhook-allowed-rate"] = req.headers["webhook-request-rate"] ?? "*";
  }
  res.writeHead(200, headers).end();
  onHandshake({ path, origin: origin ?? null, rate: req.headers["webhook-request-rate"] ?? null, callback: req.headers["webhook-request-callback"] ?? null });
}

/** The first secret whose signature is among `webhook-signature`'s (several during a rotation). */
function verify(body, headers, secrets) {
  let lastError = null;
  for (const { label, secret } of secrets) {
    try {
      new Webhook(secret).verify(body, headers, { jsonParse: false });
      return { verifiedWith: label, verifyError: null };
    } catch (err) {
      lastError = String(err.message ?? err);
    }
  }
  return { verifiedWith: null, verifyError: lastError };
}

/** The event from either content mode (HTTP Protocol Binding §3.1 binary: ce-* headers, §3.2 structured). */
function readEvent(headers, body) {
  const text = body.toString("utf8");
  if ((headers["content-type"] ?? "").startsWith("application/cloudevents+json")) return { mode: "structured", ...JSON.parse(text) };
  const event = { mode: "binary" };
  for (const [name, value] of Object.entries(headers)) {
    // §3.1.3.2: header values are percent-encoded UTF-8.
    if (name.startsWith("ce-")) event[name.slice(3)] = decodeURIComponent(value);
  }
  if (text !== "") event.data = JSON.parse(text);
  return event;
}

const fingerprint = (secret) => `${secret.slice(0, 10)}…`;

/** Three lines per webhook: the verdict on its signature, its envelope, what changed. */
function describe(w, label = w.path) {
  const e = w.event ?? {};
  const signatures = String(w.headers["webhook-signature"] ?? "").split(" ").filter(Boolean).length;
  // Several signatures: a secret rotation is under way and both secrets sign (Standard Webhooks).
  const rotation = signatures > 1 ? ` (${signatures} signatures: a rotation is under way)` : "";
  const check = w.verifiedWith
    ? `✔ signature verified with ${w.verifiedWith}${rotation}`
    : w.secretsTried ? `✘ signature NOT verified (${w.verifyError}): answered 401` : "· signature not checked (no secret given)";
  const envelope = [e.type ?? "(no type)", e.subject, e.sequence === undefined ? undefined : `seq ${Number(e.sequence)}`].filter(Boolean).join("  ");
  const d = e.data ?? {};
  const what = d.op
    ? `op ${d.op}${Array.isArray(d.changed) ? ` changed [${d.changed.join(", ")}]` : ""}${d.after === undefined ? "" : ` after ${truncate(JSON.stringify(d.after), 90)}`}${d.conflict ? " CONFLICT" : ""}`
    : truncate(JSON.stringify(e.data ?? null), 110);
  return [
    `← ${label} (${e.mode ?? "?"}) ${check}`,
    `    webhook-id ${w.headers["webhook-id"]}  ${envelope}`,
    `    data: ${what}${w.parseError ? ` (unreadable: ${w.parseError})` : ""}`,
  ].join("\n");
}

const truncate = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fail(code, message) {
  console.error(`demo: ${message}`);
  process.exit(code);
}

/** --receiver-only: print every webhook, verified with the secrets given now or added to the file later. */
async function receiverOnly(opts) {
  const fromFile = () => {
    if (!opts["secrets-file"]) return [];
    try {
      return readFileSync(opts["secrets-file"], "utf8").split(/\s+/).filter((s) => s.startsWith("whsec_"));
    } catch (err) {
      if (err.code === "ENOENT") return []; // not written yet
      throw err;
    }
  };
  const secretsFor = () => [...new Set([...(opts.secret ?? []), ...fromFile()])].map((s, i) => ({ label: `secret #${i + 1} ${fingerprint(s)}`, secret: s }));
  const receiver = await startReceiver({
    port: Number(opts.port ?? 0),
    secretsFor,
    onHandshake: (h) => console.log(`⇄ handshake on ${h.path}: allowed origin ${h.origin ?? "(none sent)"}`),
    onWebhook: (w) => console.log(describe(w)),
  });
  const where = opts["secrets-file"] ? `secrets from ${opts["secrets-file"]}${opts.secret ? " and --secret" : ""}` : opts.secret ? "--secret" : "no secret: signatures are not checked";
  console.log(`receiver listening on ${receiver.url} (${where}); Ctrl-C stops it`);
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void receiver.close().then(() => process.exit(0)));
}

/** An admin or ingest call; retried on network errors and 5xx with the same Idempotency-Key, so a retry never creates twice. */
async function request(base, method, path, { token, body, key } = {}) {
  for (let attempt = 1; ; attempt++) {
    let res;
    try {
      res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}), ...(key ? { "idempotency-key": key } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      if (attempt < 3) { await sleep(500 * attempt); continue; }
      fail(2, `${method} ${path}: ${err.cause?.code ?? err.message}`);
    }
    const text = await res.text();
    // 409 idempotency-key-in-use: our own earlier attempt is still running.
    if ((res.status >= 500 || (res.status === 409 && text.includes("idempotency-key-in-use"))) && attempt < 3) { await sleep(500 * attempt); continue; }
    if (!res.ok) fail(2, `${method} ${path} → ${res.status} ${text}${res.status === 401 ? " (the admin token: --token or ADMIN_TOKEN, default dev-admin-token)" : ""}`);
    return text ? JSON.parse(text) : null;
  }
}

async function demo(opts) {
  const base = (opts.base ?? process.env.CHANGECAST_BASE ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  const token = opts.token ?? process.env.ADMIN_TOKEN ?? "dev-admin-token";
  const timeoutMs = Number(opts.timeout ?? 30) * 1000;
  if (!(timeoutMs > 0)) fail(2, "--timeout takes seconds, > 0");

  try {
    await fetch(`${base}/`, { signal: AbortSignal.timeout(3000) });
  } catch (err) {
    fail(2, `cannot reach changecast at ${base} (${err.cause?.code ?? err.cause?.message ?? err.message}). Start it with \`npm run dev\` in another terminal, or pass --base <url>.`);
  }

  // Unique per run, so the demo can run again on the same state; the keys make each create safe to retry.
  const run = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
  const tenant = `demo-${run}`;
  const admin = (method, path, body, step) => request(base, method, `/admin/v1${path}`, { token, body, key: step && `demo-${run}-${step}` });

  // The routes' secrets: each path knows its route's; every secret is tried, so a webhook signed
  // with the wrong route's secret would show up as such.
  const routes = new Map(); // path → {id, secret, mode}
  const secretsFor = () => [...routes.values()].map((r) => ({ label: `${r.id}'s secret ${fingerprint(r.secret)}`, secret: r.secret, id: r.id }));
  const expected = new Map(); // `${path} ${eventId}` → description
  const arrived = new Set();
  const problems = [];
  let allArrived = () => {};
  const receiver = await startReceiver({
    secretsFor,
    onHandshake: (h) => console.log(`⇄ handshake on ${h.path}: allowed origin ${h.origin ?? "(none sent)"}`),
    onWebhook: (w) => {
      const route = routes.get(w.path);
      const id = w.headers["webhook-id"];
      const key = `${w.path} ${id}`;
      const again = arrived.has(key) ? "  (again: a redelivery, same webhook-id)" : "";
      console.log(describe(w) + again);
      if (!w.verifiedWith) problems.push(`${key}: signature not verified (${w.verifyError})`);
      else if (!w.verifiedWith.startsWith(`${route?.id}'s`)) problems.push(`${key}: verified with ${w.verifiedWith}, not its own route's secret`);
      else if (!expected.has(key)) problems.push(`${key}: not expected on this route (filter?)`);
      else arrived.add(key);
      if (arrived.size === expected.size && expected.size > 0) allArrived();
    },
  });
  const stop = async (code) => {
    await receiver.close();
    process.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void stop(130));
  console.log(`receiver on ${receiver.url}\n`);

  console.log(`tenant ${tenant}`);
  await admin("POST", "/tenants", { id: tenant, name: `Demo ${run}` }, "tenant");
  const { key: locationKey } = await admin("POST", `/tenants/${tenant}/locations`, { id: "store-001", name: "Store 001" }, "location");
  const subscriber = await admin("POST", `/tenants/${tenant}/subscribers`, { name: "Demo CRM", purposes: ["crm"], agreements: {} }, "subscriber");
  console.log(`subscriber ${subscriber.id}`);

  const typePrefix = "io.changecast";
  const routeSpecs = [
    { path: "/structured", body: { contentMode: "structured" }, wants: () => true, about: "every event" },
    {
      path: "/binary",
      // Filters are ANDed; each is a CloudEvents Subscriptions API expression.
      body: { contentMode: "binary", filter: [{ prefix: { subject: "customer/" } }, { not: { exact: { type: `${typePrefix}.customer.created` } } }] },
      wants: (op) => op !== "insert",
      about: "customers, except created",
    },
  ];
  for (const spec of routeSpecs) {
    const r = await admin("POST", `/tenants/${tenant}/routes`, { subscriberId: subscriber.id, url: receiver.url + spec.path, ...spec.body }, `route${spec.path.replace("/", "-")}`);
    routes.set(spec.path, { id: r.id, secret: r.secret, mode: r.contentMode });
    console.log(`route ${r.id}: ${r.contentMode} → ${r.url} (${spec.about}); status ${r.status}; secret ${fingerprint(r.secret)} (shown once)`);
  }

  // A route that must pass the webhook handshake first is "pending" and matches nothing until
  // it is "active": wait for that before pushing, or the changes would not be routed to it.
  for (const { id } of routes.values()) {
    let route;
    for (const until = Date.now() + 10_000; ; await sleep(250)) {
      route = await admin("GET", `/tenants/${tenant}/routes/${id}`);
      if (route.status !== "pending" || Date.now() > until) break;
    }
    if (route.status !== "active") {
      console.error(`demo: route ${id} is ${route.status}${route.statusReason ? ` (${route.statusReason})` : ""}, not active`);
      await stop(1);
    }
  }

  const at = new Date().toISOString();
  const batches = [
    [
      { id: `${run}-1`, recordType: "customer", recordId: "c-1", op: "insert", occurredAt: at, data: { name: "Ada Lovelace", email: "ada@example.com", tier: "gold" } },
      { id: `${run}-2`, recordType: "customer", recordId: "c-2", op: "insert", occurredAt: at, data: { name: "Alan Turing", email: "alan@example.com", tier: "silver" } },
    ],
    [
      { id: `${run}-3`, recordType: "customer", recordId: "c-1", op: "update", occurredAt: at, data: { email: "ada@lovelace.example" } },
      { id: `${run}-4`, recordType: "customer", recordId: "c-2", op: "update", occurredAt: at, data: { tier: "gold" } },
      { id: `${run}-5`, recordType: "customer", recordId: "c-2", op: "soft_delete", occurredAt: at, data: { deletedReason: "customer request" } },
    ],
  ];
  console.log("");
  const started = Date.now();
  for (const changes of batches) {
    const { results } = await request(base, "POST", "/v1/changes", { token: locationKey, body: { changes } });
    for (const [i, r] of results.entries()) {
      const c = changes[i];
      console.log(`→ pushed ${c.op} ${c.recordType}/${c.recordId}: ${r.status}${r.eventId ? ` event ${r.eventId} seq ${r.sequence}` : ""}${r.error ? ` ${JSON.stringify(r.error)}` : ""}`);
      if (r.status !== "accepted") problems.push(`change ${c.id} was ${r.status}`);
      else for (const spec of routeSpecs) if (spec.wants(c.op)) expected.set(`${spec.path} ${r.eventId}`, `${c.op} ${c.recordId} on ${spec.path}`);
    }
  }
  console.log(`\nwaiting for ${expected.size} webhooks (at most ${timeoutMs / 1000} s)…\n`);

  const done = new Promise((r) => (allArrived = r));
  if (arrived.size === expected.size) allArrived();
  await Promise.race([done, sleep(timeoutMs)]);
  const missing = [...expected].filter(([k]) => !arrived.has(k)).map(([, what]) => what);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log("");
  if (missing.length) problems.push(`missing after ${timeoutMs / 1000} s: ${missing.join("; ")}`);
  if (problems.length) {
    console.error(`demo FAILED: ${arrived.size}/${expected.size} webhooks arrived verified\n - ${problems.join("\n - ")}`);
    await stop(1);
  }
  console.log(`demo OK: ${arrived.size}/${expected.size} webhooks arrived in ${seconds} s, each verified with its route's secret.`);
  const auth = `-H 'authorization: Bearer ${token}'`;
  console.log(`attempt log:     curl -s ${base}/admin/v1/tenants/${tenant}/routes/${routes.get("/structured").id}/deliveries ${auth}`);
  console.log(`delivery trail (failures, retries, FIFO routes; every outcome with RECORD_TRAIL=all):  curl -s ${base}/admin/v1/tenants/${tenant}/records/customer/c-2/deliveries ${auth}`);
  await stop(0);
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        base: { type: "string" }, token: { type: "string" }, timeout: { type: "string" },
        "receiver-only": { type: "boolean" }, port: { type: "string" }, secret: { type: "string", multiple: true }, "secrets-file": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    fail(2, err.message);
  }
  const opts = parsed.values;
  if (opts.help) {
    console.log(readFileSync(new URL(import.meta.url), "utf8").match(/\/\*\*([\s\S]*?)\*\//)[1].replace(/^ \* ?/gm, "").trim());
  } else if (opts["receiver-only"]) {
    await receiverOnly(opts);
  } else {
    await demo(opts);
  }
}
