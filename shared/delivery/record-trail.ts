/**
 * Which delivery outcomes go back to the master record (RECORD_TRAIL). The report is one
 * object call and one SQLite row per event; at fan-out 10 that is $1.15 per million events,
 * about a fifth of the bill, for a row that says "delivered first time" in nearly every case.
 * - `exceptions` (default): reports what the record must know or a reader must find there:
 *   every outcome on a FIFO route (it releases the next event), and every event with an
 *   outcome other than a first-attempt delivery (failures, retries, dead letters, drops,
 *   replays). First-attempt successes are in the route's attempt log.
 * - `all`: every event's outcomes, as a complete per-record trail.
 */
import { parseChoice } from "../config/choice";

export const RECORD_TRAIL_MODES = ["exceptions", "all"] as const;
export type RecordTrailMode = (typeof RECORD_TRAIL_MODES)[number];

export function parseRecordTrail(raw: string | undefined): { ok: true; mode: RecordTrailMode } | { ok: false; reason: string } {
  const parsed = parseChoice("RECORD_TRAIL", RECORD_TRAIL_MODES, "exceptions", raw);
  return parsed.ok ? { ok: true, mode: parsed.value } : parsed;
}

/** What a route's delivery in one message contributes to the decision. */
export type TrailOutcome = { outcome: string; attempt: number };

/**
 * `ordered`: some route of the message is FIFO (planned so, or configured so now) or is a
 * replay; its outcomes always go back.
 */
export function mustReport(mode: RecordTrailMode, ordered: boolean, outcomes: readonly TrailOutcome[]): boolean {
  if (outcomes.length === 0) return false;
  if (mode === "all" || ordered) return true;
  return outcomes.some((o) => o.outcome !== "delivered" || o.attempt !== 1);
}
