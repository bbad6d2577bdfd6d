/**
 * Per-record FIFO per route (ordering "per-record", and every "exactly-once" route): event n+1
 * of a record goes to a route only after event n was delivered to it, given up on
 * (at-most-once), or dead-lettered and then replayed or skipped. Queues do not keep order, so
 * the record's object holds the order: one event in flight per (record, route) at a time.
 */

export type FifoCursor = {
  /** The sequence currently out for this route, or null when the route is idle. */
  inFlight: number | null;
  /** The in-flight event was dead-lettered: the stream waits for a replay or a skip. */
  blocked: boolean;
};

export type FifoState = Readonly<Record<string, FifoCursor>>;

/**
 * May the outbox list this route in event `sequence`'s message? Only when the route is idle,
 * or when this very event is the one in flight (a re-send after a crash must go out again).
 * Answers the state with the event marked in flight.
 */
export function admit(fifo: FifoState, route: string, sequence: number): { admitted: boolean; fifo: FifoState } {
  const cursor = fifo[route];
  if (cursor && cursor.inFlight !== null && cursor.inFlight !== sequence) return { admitted: false, fifo };
  return { admitted: true, fifo: { ...fifo, [route]: { inFlight: sequence, blocked: false } } };
}

export type Disposition = "delivered" | "given-up" | "dead-lettered" | "retrying" | "deferred";

/**
 * The consumer reported a final outcome for (route, sequence). Delivered or given up: the
 * route moves on to `next` (the following event planned for it, already past the outbox) or
 * goes idle. Dead-lettered: it stays on this event, blocked. Answers whether `next` must be sent.
 */
export function settle(fifo: FifoState, route: string, sequence: number, disposition: Disposition, next: number | null): { fifo: FifoState; release: number | null } {
  const cursor = fifo[route];
  if (!cursor || cursor.inFlight !== sequence) return { fifo, release: null }; // stale or duplicate report
  if (disposition === "dead-lettered") return { fifo: { ...fifo, [route]: { inFlight: sequence, blocked: true } }, release: null };
  if (disposition !== "delivered" && disposition !== "given-up") return { fifo, release: null };
  return { fifo: { ...fifo, [route]: { inFlight: next, blocked: false } }, release: next };
}
