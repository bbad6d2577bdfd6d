/**
 * Bench Worker for the itty-durable verdict: POST /native/changes and POST /itty/changes take
 * changecast's ingest body, group the changes by record and call that record's object (one call
 * per record per request, all records concurrently), through native RPC or through itty-durable's
 * stub. Same hot path (./hot-path) behind both; only the transport and the storage model differ.
 */
import { proxyDurable } from "itty-durable";
import type { HotChange, HotResult } from "./hot-path";
import { IttyRecord } from "./itty-record";
import { NativeKvRecord } from "./native-kv-record";
import { NativeRecord } from "./native-record";

export { IttyRecord, NativeKvRecord, NativeRecord };

type Env = { NATIVE_RECORD: DurableObjectNamespace<NativeRecord>; NATIVE_KV_RECORD: DurableObjectNamespace<NativeKvRecord>; ITTY_RECORD: DurableObjectNamespace };
type Stamp = (name: string, subject: string, changes: HotChange[]) => Promise<HotResult[]>;

const transports: Record<string, (env: Env) => Stamp> = {
  native: (env) => (name, subject, changes) => env.NATIVE_RECORD.get(env.NATIVE_RECORD.idFromName(name)).stamp(subject, changes),
  "native-kv": (env) => (name, subject, changes) => env.NATIVE_KV_RECORD.get(env.NATIVE_KV_RECORD.idFromName(name)).stamp(subject, changes),
  // parse: true makes the stub answer the method's JSON result instead of the raw Response.
  itty: (env) => (name, subject, changes) => proxyDurable(env.ITTY_RECORD, { name: "ITTY_RECORD", parse: true }).get(name).stamp(subject, changes),
};

export default {
  async fetch(request, env) {
    const [, transport, path] = new URL(request.url).pathname.split("/");
    const make = transport ? transports[transport] : undefined;
    if (request.method !== "POST" || !make || path !== "changes") return new Response("itty-durable bench", { status: transport ? 404 : 200 });
    const stamp = make(env);
    const { changes } = (await request.json()) as { changes: HotChange[] };
    const byRecord = new Map<string, number[]>();
    changes.forEach((c, i) => {
      const subject = `${c.recordType}/${c.recordId}`;
      byRecord.set(subject, [...(byRecord.get(subject) ?? []), i]);
    });
    const results: HotResult[] = new Array(changes.length);
    await Promise.all([...byRecord].map(async ([subject, indexes]) => {
      const answers = await stamp(`bench/${subject}`, subject, indexes.map((i) => changes[i]!));
      answers.forEach((a, j) => (results[indexes[j]!] = a));
    }));
    return Response.json({ results });
  },
} satisfies ExportedHandler<Env>;
