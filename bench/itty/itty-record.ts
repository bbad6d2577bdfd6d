/**
 * The same hot path on itty-durable 2.4.1, used the way its README shows: a class from
 * createDurable() whose properties are the object's state, persisted with persist() (one KV value,
 * "data", holding every property), called from the Worker through proxyDurable's stub, which turns
 * each method call into a fetch to an itty-router inside the object, the arguments JSON-encoded in
 * a `do-content` header. Dedupe ids and events cannot live in that one value (it would be
 * rewritten whole on every call), so they go to their own KV keys, 128 per get/put (the KV API's
 * limit).
 */
import { createDurable } from "itty-durable";
import { INITIAL_STATE, stampChanges, type HotChange, type HotResult } from "./hot-path";

const KV_BATCH = 128;
// Not a #private getter: itty-durable hands methods a Proxy of the object as `this`, and private
// members cannot be reached through a Proxy.
const storageOf = (o: { state: object }) => (o.state as DurableObjectState).storage;

export class IttyRecord extends createDurable() {
  hlc = INITIAL_STATE.hlc;
  lamport = INITIAL_STATE.lamport;
  sequence = INITIAL_STATE.sequence;

  async stamp(subject: string, changes: HotChange[]): Promise<HotResult[]> {
    const keys = changes.map((c) => `dedupe:${c.id}`);
    const seen = new Set<string>();
    for (let i = 0; i < keys.length; i += KV_BATCH) {
      for (const key of (await storageOf(this).get(keys.slice(i, i + KV_BATCH))).keys()) seen.add(key.slice("dedupe:".length));
    }
    const out = stampChanges({ hlc: this.hlc, lamport: this.lamport, sequence: this.sequence }, subject, changes, seen, Date.now(), () => crypto.randomUUID());
    const entries = out.events.flatMap((e) => [[`dedupe:${e.changeId}`, 1], [`event:${String(e.sequence).padStart(20, "0")}`, e.body]] as const);
    for (let i = 0; i < entries.length; i += KV_BATCH) await storageOf(this).put(Object.fromEntries(entries.slice(i, i + KV_BATCH)));
    Object.assign(this, out.state);
    await this.persist();
    return out.results;
  }
}
