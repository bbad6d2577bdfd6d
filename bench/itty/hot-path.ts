/**
 * The master record's hot path, pure, shared by both bench objects so that only transport and
 * persistence differ between them: dedupe by change id, HLC stamp (shared/clock: the send rule,
 * as for a change without `hlc`), Lamport counter, per-record sequence, and the event to store.
 */
import { HLC_ZERO, formatHlc, parseHlc, tickLocal } from "../../shared/clock/hlc";

export type HotChange = { id: string; recordType: string; recordId: string; op: string; data: Record<string, unknown> };
export type HotState = { hlc: string; lamport: number; sequence: number };
export type HotResult = { id: string; status: "accepted" | "duplicate"; sequence: number; hlc: string };
export type StoredEvent = { changeId: string; sequence: number; body: string };

export const INITIAL_STATE: HotState = { hlc: formatHlc(HLC_ZERO), lamport: 0, sequence: 0 };

/**
 * @param alreadySeen change ids the record already stored (its dedupe rows)
 * @param nowMs the physical clock; @param newId event ids (randomness injected)
 */
export function stampChanges(state: HotState, subject: string, changes: readonly HotChange[], alreadySeen: ReadonlySet<string>, nowMs: number, newId: () => string) {
  let hlc = parseHlc(state.hlc) ?? HLC_ZERO;
  let { lamport, sequence } = state;
  const seen = new Set(alreadySeen);
  const results: HotResult[] = [];
  const events: StoredEvent[] = [];
  for (const c of changes) {
    // A second copy of an id in the same batch is a duplicate too (README "How a change is processed").
    if (seen.has(c.id)) {
      results.push({ id: c.id, status: "duplicate", sequence: 0, hlc: "" });
      continue;
    }
    seen.add(c.id);
    hlc = tickLocal(hlc, nowMs);
    lamport += 1;
    sequence += 1;
    const stamp = formatHlc(hlc);
    const body = JSON.stringify({
      specversion: "1.0", id: newId(), type: `io.changecast.${c.recordType}.${c.op}d`, subject, time: new Date(nowMs).toISOString(),
      data: { op: c.op, after: c.data }, sequence: String(sequence).padStart(20, "0"), hlc: stamp, lamport,
    });
    results.push({ id: c.id, status: "accepted", sequence, hlc: stamp });
    events.push({ changeId: c.id, sequence, body });
  }
  return { state: { hlc: formatHlc(hlc), lamport, sequence }, results, events };
}
