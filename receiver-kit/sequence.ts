/** Per-record sequence tracking: says whether an event is the next one for its record, an old one, or leaves a gap, and reports gaps. */

/**
 * changecast numbers each record's events 1, 2, 3… in the `sequence` extension (a 20-digit
 * zero-padded string, DESIGN.md "The event"), scoped by `tenant` and `partitionkey`
 * ("{recordType}/{recordId}"). A gap means an event was lost to this receiver (dead-lettered,
 * skipped by an admin, filtered out by a route filter, or a dedupe/sequence store that forgot).
 */
export type SequenceKind = "next" | "duplicate-or-old" | "gap";
export type SequenceReport = {
  kind: SequenceKind;
  /** `{tenant}/{partitionkey}`: the record the sequence belongs to. */
  key: string;
  /** The sequence this key was waiting for (for a key's first event without `startAtOne`: `got`). */
  expected: number;
  got: number;
};

/**
 * Where the highest handled sequence per key lives. Plug a shared one in as for DedupeStore:
 * Redis `EVAL` of "set if greater", SQL `INSERT … ON CONFLICT(key) DO UPDATE SET seq =
 * max(seq, excluded.seq)`, or a Durable Object per tenant.
 */
export interface SequenceStore {
  /** The highest sequence recorded for `key`, or undefined if none. */
  get(key: string): Promise<number | undefined>;
  /** Records `sequence` unless a higher one is recorded: never backwards, so a late old event cannot rewind a key. */
  advance(key: string, sequence: number): Promise<void>;
}

export const DEFAULT_MAX_KEYS = 100_000;

/** One process's memory; beyond `maxKeys` the least recently advanced key is forgotten (and re-baselines). */
export class MemorySequenceStore implements SequenceStore {
  readonly #last = new Map<string, number>();
  readonly #maxKeys: number;

  constructor(options: { maxKeys?: number } = {}) {
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be an integer ≥ 1, got ${maxKeys}`);
    this.#maxKeys = maxKeys;
  }

  async get(key: string): Promise<number | undefined> {
    return this.#last.get(key);
  }

  async advance(key: string, sequence: number): Promise<void> {
    const last = this.#last.get(key);
    if (last !== undefined && last >= sequence) return;
    // Delete then set: Map order becomes "least recently advanced first", the eviction order.
    this.#last.delete(key);
    this.#last.set(key, sequence);
    if (this.#last.size > this.#maxKeys) this.#last.delete(this.#last.keys().next().value as string);
  }
}

export type SequenceTrackerOptions = {
  store?: SequenceStore;
  /**
   * Expect every key to start at 1, so missing events before the first one seen are a gap.
   * Off by default: a receiver that subscribes mid-stream would otherwise report a gap for
   * every record it meets, so the first event seen for a key is its baseline.
   */
  startAtOne?: boolean;
  /** Called for every gap `check` finds ("reports them"); awaited, so it may write somewhere. */
  onGap?: (report: SequenceReport) => void | Promise<void>;
};

/** The attributes the tracker reads; any CloudEvent-shaped object has them or lacks them. */
export type SequencedEvent = { source?: unknown; tenant?: unknown; partitionkey?: unknown; sequence?: unknown };

// The wire form is 20 digits; values past 2^53 cannot occur (a record would need 9·10^15 events).
const DIGITS = /^\d{1,20}$/;

export class SequenceTracker {
  readonly #store: SequenceStore;
  readonly #startAtOne: boolean;
  readonly #onGap: SequenceTrackerOptions["onGap"];

  constructor(options: SequenceTrackerOptions = {}) {
    this.#store = options.store ?? new MemorySequenceStore();
    this.#startAtOne = options.startAtOne ?? false;
    this.#onGap = options.onGap;
  }

  /**
   * Where `event` stands in its record's sequence, without recording it; calls `onGap` on a gap.
   * Null when the event carries no usable `sequence`/`partitionkey` (e.g. a route test event).
   * Recording is `commit`'s job, after the event was handled: a failed handler's retry must
   * still count as "next".
   */
  async check(event: SequencedEvent): Promise<SequenceReport | null> {
    const position = sequencePosition(event);
    if (!position) return null;
    const { key, got } = position;
    const last = await this.#store.get(key);
    // A key's first event is its own baseline unless the caller knows streams start at 1.
    const expected = last !== undefined ? last + 1 : this.#startAtOne ? 1 : got;
    const kind: SequenceKind = got === expected ? "next" : got < expected ? "duplicate-or-old" : "gap";
    const report: SequenceReport = { kind, key, expected, got };
    if (report.kind === "gap") await this.#onGap?.(report);
    return report;
  }

  /** Records a checked event as handled: the key's expectation moves past it (never backwards). */
  async commit(report: SequenceReport): Promise<void> {
    await this.#store.advance(report.key, report.got);
  }

  /** `check` then `commit`, for callers that handle the event in between themselves or not at all. */
  async observe(event: SequencedEvent): Promise<SequenceReport | null> {
    const report = await this.check(event);
    if (report) await this.commit(report);
    return report;
  }
}

/**
 * The tracking key and sequence number of an event, or null if it has none. The key is scoped by
 * the `tenant` extension because record ids are only unique within a tenant; a producer without
 * it falls back to `source`. Not by location: a record's sequence spans all its locations.
 */
export function sequencePosition(event: SequencedEvent): { key: string; got: number } | null {
  const scope = typeof event.tenant === "string" && event.tenant !== "" ? event.tenant : typeof event.source === "string" ? event.source : "";
  const partition = event.partitionkey;
  if (scope === "" || typeof partition !== "string" || partition === "") return null;
  const raw = event.sequence;
  const got = typeof raw === "number" ? raw : typeof raw === "string" && DIGITS.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(got) || got < 0) return null;
  return { key: `${scope}/${partition}`, got };
}
