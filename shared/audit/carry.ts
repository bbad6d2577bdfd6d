/**
 * Audit entries riding on delivery messages: which of an event's delivery messages carries its
 * entry (so the event costs no audit-queue message: Queues bill three operations per message),
 * and how the entries left without a carrier are cut for the audit queue.
 */
import type { Region } from "../record/region";
import { AUDIT_MESSAGE_MAX_BYTES, packEntries, type SizedEntry } from "./shipping";
import type { AuditEntry } from "./entry";

/**
 * The index of the message that carries the entry, among the event's delivery messages sent
 * now: the first one to the record's home region, else the first one. Null when there is none,
 * or when the message with the entry could exceed the Queues message limit (the entry then
 * takes the audit queue, as before).
 */
export function pickCarrier(messages: readonly { region: Region }[], homeRegion: Region, messageBytes: number, entryBytes: number, maxBytes = AUDIT_MESSAGE_MAX_BYTES): number | null {
  if (messages.length === 0 || messageBytes + entryBytes > maxBytes) return null;
  const home = messages.findIndex((m) => m.region === homeRegion);
  return home >= 0 ? home : 0;
}

/**
 * Entries (in sequence order) cut where a sequence is missing, then packed: every audit message
 * covers a contiguous range, the one its chunk id (record, first, last) names. Without the cut,
 * a message holding 1 and 3 would claim 2, which rode on a delivery message.
 */
export function packContiguous(entries: readonly SizedEntry[], maxBytes = AUDIT_MESSAGE_MAX_BYTES): AuditEntry[][] {
  const runs: SizedEntry[][] = [];
  for (const e of entries) {
    const run = runs[runs.length - 1];
    const previous = run?.[run.length - 1];
    if (run && previous && previous.entry.sequence + 1 === e.entry.sequence) run.push(e);
    else runs.push([e]);
  }
  return runs.flatMap((run) => packEntries(run, maxBytes));
}
