/**
 * A webhook receiver for the tests: a Node HTTP server on 127.0.0.1 (an ephemeral port),
 * because code inside workerd cannot listen. Runs once per `vitest run`, in Node; tests read
 * its base URL with `inject("receiverUrl")` (typed in test/env.d.ts) and give each test its
 * own path (e.g. `${receiverUrl}/${tenant}/crm`), since all test files share the one server.
 *
 * API (paths starting with `/__` are the control surface, everything else is a receiver):
 * - `ANY /any/path` records `{method, path, query, headers, body, receivedAt}` under its path
 *   and answers the next scripted step for that path, or `200 {"ok":true}` when none is left.
 * - `POST /__script?path=/any/path` with a JSON array of steps replaces that path's script. A
 *   step is a status code (`503`) or `{status, headers?, body?, delayMs?}`: `delayMs` holds
 *   the answer back (timeouts), `headers` can carry `retry-after` or a redirect `location`.
 *   Answers 204.
 * - `GET /__requests?path=/any/path` answers the recorded requests of that path, oldest first
 *   (headers lower-cased, body as text).
 * - `DELETE /__requests?path=/any/path` forgets that path's requests, handshakes and script.
 *   Answers 204.
 *
 * Webhook handshakes (CloudEvents "HTTP 1.1 Web Hooks for Event Delivery" §4): an `OPTIONS`
 * carrying `WebHook-Request-Origin` is recorded apart, under `GET /__handshakes?path=…` (so
 * the requests of a path stay the deliveries), and consents by default: `200` with
 * `WebHook-Allowed-Origin: <the origin>`. A script step with `method: "OPTIONS"` answers it
 * instead (exactly as given: no echo added), which is how a test scripts a refusal, a `*` or a
 * `WebHook-Allowed-Rate`. Steps without `method` answer everything but handshakes, so a script
 * of delivery failures set up before a route is created is not spent on its handshake; a step
 * with another `method` answers only that method.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

export type ScriptStep = number | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number; method?: string };
export type ReceivedRequest = { method: string; path: string; query: string; headers: Record<string, string>; body: string; receivedAt: number };

const requests = new Map<string, ReceivedRequest[]>();
const handshakes = new Map<string, ReceivedRequest[]>();
const scripts = new Map<string, ScriptStep[]>();

/** Takes the path's first step meant for this request (see the header comment), or undefined. */
function nextStep(path: string, method: string, handshake: boolean): ScriptStep | undefined {
  const steps = scripts.get(path) ?? [];
  const i = steps.findIndex((step) => {
    const wanted = typeof step === "number" ? undefined : step.method?.toUpperCase();
    return wanted === undefined ? !handshake : wanted === method;
  });
  return i === -1 ? undefined : steps.splice(i, 1)[0];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body = "", headers: Record<string, string> = {}): void {
  res.writeHead(status, body && !headers["content-type"] ? { "content-type": "application/json", ...headers } : headers);
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://receiver");
  const body = await readBody(req);
  const target = url.searchParams.get("path") ?? "";

  if (url.pathname === "/__script" && req.method === "POST") {
    const steps = JSON.parse(body) as ScriptStep[];
    if (!Array.isArray(steps)) return send(res, 400, JSON.stringify({ error: "a JSON array of steps" }));
    scripts.set(target, steps);
    return send(res, 204);
  }
  if (url.pathname === "/__requests" && req.method === "GET") return send(res, 200, JSON.stringify(requests.get(target) ?? []));
  if (url.pathname === "/__handshakes" && req.method === "GET") return send(res, 200, JSON.stringify(handshakes.get(target) ?? []));
  if (url.pathname === "/__requests" && req.method === "DELETE") {
    requests.delete(target);
    handshakes.delete(target);
    scripts.delete(target);
    return send(res, 204);
  }
  if (url.pathname.startsWith("/__")) return send(res, 404, JSON.stringify({ error: "unknown control path" }));

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  const method = (req.method ?? "").toUpperCase();
  const origin = headers["webhook-request-origin"];
  const handshake = method === "OPTIONS" && origin !== undefined;
  const log = handshake ? handshakes : requests;
  const list = log.get(url.pathname) ?? [];
  list.push({ method, path: url.pathname, query: url.search, headers, body, receivedAt: Date.now() });
  log.set(url.pathname, list);

  const scripted = nextStep(url.pathname, method, handshake);
  if (handshake && scripted === undefined) return send(res, 200, "", { "webhook-allowed-origin": origin, allow: "POST, OPTIONS" });
  const step = scripted ?? 200;
  const { status, headers: answerHeaders = {}, body: answerBody = JSON.stringify({ ok: status < 300 }), delayMs = 0 } = typeof step === "number" ? { status: step } : step;
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  if (!res.destroyed) send(res, status, answerBody, answerHeaders);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("receiverUrl", `http://127.0.0.1:${port}`);
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
