/**
 * The entries a master-record object committed and has not shipped yet, kept in memory so that
 * shipping does not read back and parse the rows `apply` has just written (6–9 % of ingest CPU,
 * bench/profile.mjs). The rows stay the authority: whenever memory does not hold exactly the
 * entries after the shipped cursor up to the newest sequence (a restarted object, a long
 * backlog), `pendingAfter` answers null and the caller reads the rows.
 */
import type { SizedEntry } from "./shipping";

export class UnshippedEntries {
  readonly #limit: number;
  #entries: SizedEntry[] = [];

  /** `limit`: the most entries kept (one shipping page); a longer backlog is paged from the rows. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Entries just committed, oldest first. */
  add(committed: readonly SizedEntry[]): void {
    this.#entries.push(...committed);
  }

  /**
   * The entries after `shipped` through `newest` (the record's sequence), when memory holds all
   * of them and no more than a page; null when the rows must be read. Forgets what is shipped.
   */
  pendingAfter(shipped: number, newest: number): SizedEntry[] | null {
    const kept = this.#entries.filter((p) => p.entry.sequence > shipped);
    this.#entries = kept.length > this.#limit ? [] : kept;
    if (kept.length > this.#limit) return null;
    const contiguous = kept.every((p, i) => p.entry.sequence === shipped + 1 + i);
    const last = kept.length > 0 ? kept[kept.length - 1]!.entry.sequence : shipped;
    return contiguous && last === newest ? kept : null;
  }
}
