/**
 * Control for the verdict: native RPC (like NativeRecord) with itty-durable's storage model (like
 * IttyRecord: the record state as one KV value, dedupe ids and events as KV keys, 128 per
 * get/put). Against NativeRecord it prices the storage model alone; against IttyRecord, the
 * transport alone (itty's fetch + JSON-in-a-header stub vs an RPC call).
 */
import { DurableObject } from "cloudflare:workers";
import { INITIAL_STATE, stampChanges, type HotChange, type HotResult, type HotState } from "./hot-path";

const KV_BATCH = 128;

export class NativeKvRecord extends DurableObject<object> {
  async stamp(subject: string, changes: HotChange[]): Promise<HotResult[]> {
    const storage = this.ctx.storage;
    const state = (await storage.get<HotState>("data")) ?? INITIAL_STATE;
    const keys = changes.map((c) => `dedupe:${c.id}`);
    const seen = new Set<string>();
    for (let i = 0; i < keys.length; i += KV_BATCH) {
      for (const key of (await storage.get(keys.slice(i, i + KV_BATCH))).keys()) seen.add(key.slice("dedupe:".length));
    }
    const out = stampChanges(state, subject, changes, seen, Date.now(), () => crypto.randomUUID());
    const entries = out.events.flatMap((e) => [[`dedupe:${e.changeId}`, 1], [`event:${String(e.sequence).padStart(20, "0")}`, e.body]] as const);
    for (let i = 0; i < entries.length; i += KV_BATCH) await storage.put(Object.fromEntries(entries.slice(i, i + KV_BATCH)));
    await storage.put("data", out.state);
    return out.results;
  }
}
