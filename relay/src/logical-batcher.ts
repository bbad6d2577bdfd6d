/**
 * Logical mode's bookkeeping (pure): rows arrive inside transactions; batches are cut from
 * them in order, and a commit LSN becomes confirmable only once every row of its transaction
 * (and of all earlier ones) was accepted by the edge. A transaction larger than a batch is
 * sent in several batches and confirmed after its last.
 */
import type { OutgoingChange } from "./mapping.ts";

type Txn = { commitLsn: string | null; unaccepted: number };

export class TxnBatcher {
  #pending: OutgoingChange[] = [];
  #txns: Txn[] = [];
  #inFlight = 0;

  begin(): void {
    this.#txns.push({ commitLsn: null, unaccepted: 0 });
  }

  add(change: OutgoingChange): void {
    const open = this.#txns.at(-1);
    if (!open || open.commitLsn !== null) throw new Error("row outside a transaction");
    open.unaccepted++;
    this.#pending.push(change);
  }

  commit(lsn: string): void {
    const open = this.#txns.at(-1);
    if (!open || open.commitLsn !== null) throw new Error("commit outside a transaction");
    open.commitLsn = lsn;
  }

  /** Rows not yet handed out, of committed transactions only unless `includeOpen`. */
  sendable(includeOpen: boolean): number {
    if (includeOpen) return this.#pending.length;
    let rows = -this.#inFlight;
    for (const t of this.#txns) {
      if (t.commitLsn === null) break;
      rows += t.unaccepted;
    }
    return Math.max(0, rows);
  }

  /** The next batch, in order; give it back to accepted() once the edge accepted it. */
  take(max: number, includeOpen: boolean): OutgoingChange[] {
    const batch = this.#pending.splice(0, Math.min(max, this.sendable(includeOpen)));
    this.#inFlight += batch.length;
    return batch;
  }

  /**
   * The edge accepted the last batch taken. Answers the commit LSN that may now be confirmed
   * to PostgreSQL (the latest transaction all of whose rows, and all before, are accepted),
   * or null when none completed.
   */
  accepted(count: number): string | null {
    this.#inFlight -= count;
    let left = count;
    let confirmable: string | null = null;
    while (this.#txns.length > 0) {
      const first = this.#txns[0]!;
      const used = Math.min(left, first.unaccepted);
      first.unaccepted -= used;
      left -= used;
      if (first.unaccepted > 0 || first.commitLsn === null) break;
      confirmable = first.commitLsn;
      this.#txns.shift();
    }
    return confirmable;
  }

  /** Nothing received is unaccepted: a keepalive's LSN may be confirmed. */
  get idle(): boolean {
    return this.#txns.length === 0 && this.#pending.length === 0 && this.#inFlight === 0;
  }

  get unacceptedRows(): number {
    return this.#txns.reduce((sum, t) => sum + t.unaccepted, 0);
  }
}

/** "16/B374D848" → a comparable number. */
export function lsnToBigInt(lsn: string): bigint {
  const [hi, lo] = lsn.split("/");
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}
