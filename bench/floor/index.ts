/**
 * The floor pipeline's Worker (see wrangler.toml): POST /v1/changes groups the changes by record,
 * makes one RPC per record (all records concurrently), then one queue message per accepted event;
 * the consumer signs (Standard Webhooks, WebCrypto: shared/delivery/signing, the function the real
 * consumer uses) and POSTs each event to every configured route, all concurrently, and acks a
 * message once all its routes answered 2xx (else retries it). Same body and answer shapes as
 * changecast's ingest, so the bench drives both with one load generator and one set of receivers.
 */
import { signWebhook } from "../../shared/delivery/signing";
import { FloorRecord, type FloorChange, type FloorResult } from "./floor-record";

export { FloorRecord };

type Env = {
  FLOOR_RECORD: DurableObjectNamespace<FloorRecord>;
  FLOOR_DELIVERIES: Queue<string>;
  FLOOR_ROUTES: string;
  FLOOR_KEY: string;
};
type Route = { url: string; secret: string };

let routes: { text: string; list: Route[] } | null = null;
function routesOf(env: Env): Route[] {
  if (routes?.text !== env.FLOOR_ROUTES) routes = { text: env.FLOOR_ROUTES, list: JSON.parse(env.FLOOR_ROUTES) as Route[] };
  return routes.list;
}

async function ingest(request: Request, env: Env): Promise<Response> {
  if (request.headers.get("authorization") !== `Bearer ${env.FLOOR_KEY}`) return new Response(null, { status: 401 });
  const { changes } = (await request.json()) as { changes: FloorChange[] };
  if (!Array.isArray(changes) || changes.length < 1 || changes.length > 500) return Response.json({ error: "1 to 500 changes" }, { status: 400 });
  const byRecord = new Map<string, number[]>();
  changes.forEach((c, i) => {
    const key = `${c.recordType}/${c.recordId}`;
    byRecord.set(key, [...(byRecord.get(key) ?? []), i]);
  });
  const results: FloorResult[] = new Array(changes.length);
  await Promise.all([...byRecord].map(async ([key, indexes]) => {
    const answers = await env.FLOOR_RECORD.get(env.FLOOR_RECORD.idFromName(`bench/${key}`)).append("/tenants/bench/locations/store-1", indexes.map((i) => changes[i]!));
    answers.forEach((a, j) => (results[indexes[j]!] = a));
  }));
  const bodies = results.flatMap((r) => (r.body ? [r.body] : []));
  if (routesOf(env).length > 0) {
    for (let i = 0; i < bodies.length; i += 100) await env.FLOOR_DELIVERIES.sendBatch(bodies.slice(i, i + 100).map((body) => ({ body, contentType: "text" as const })));
  }
  return Response.json({ results: results.map(({ body: _, ...r }) => r) });
}

async function deliver(body: string, list: Route[]): Promise<boolean> {
  const id = (JSON.parse(body) as { id: string }).id;
  const answers = await Promise.all(list.map(async (route) => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = await signWebhook([route.secret], id, timestamp, body);
    const res = await fetch(route.url, {
      method: "POST", body,
      headers: { "content-type": "application/cloudevents+json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature },
    });
    await res.body?.cancel();
    return res.ok;
  }));
  return answers.every(Boolean);
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method === "POST" && pathname === "/v1/changes") return ingest(request, env);
    return new Response("changecast floor pipeline", { status: pathname === "/" ? 200 : 404 });
  },
  async queue(batch, env) {
    const list = routesOf(env);
    await Promise.all(batch.messages.map(async (m) => ((await deliver(m.body, list).catch(() => false)) ? m.ack() : m.retry())));
  },
} satisfies ExportedHandler<Env, string>;
