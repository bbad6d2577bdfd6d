/**
 * One delivery message within a consumer batch: its routes are settled in different per-route
 * groups (workers/delivery/route-guard.ts), and once the last one is settled the event's outcomes
 * go back to its master record in one call (the record's trail; it releases FIFO successors).
 */
import type { DeliverMessage } from "../../shared/delivery/message";
import type { DeliveryOutcome } from "../../durable-objects/master-record-storage";
import { masterRecordStub, residencyMode } from "../../durable-objects/record-address";

export class MessageRun {
  readonly message: Message<DeliverMessage>;
  readonly outcomes: DeliveryOutcome[] = [];
  /** Something unexpected threw: the message is retried as a whole and reports nothing. */
  failed = false;
  #open = 0;
  #sealed = false;
  #report: Promise<void> | null = null;
  readonly #env: Env;

  constructor(env: Env, message: Message<DeliverMessage>) {
    this.#env = env;
    this.message = message;
  }

  get body(): DeliverMessage {
    return this.message.body;
  }

  /** A route of this message went to a route group; `settle` must follow. */
  expect(): void {
    this.#open++;
  }

  settle(): void {
    this.#open--;
    this.#reportWhenDone();
  }

  /** Every route is either settled or expected: report as soon as none is open. */
  seal(): void {
    this.#sealed = true;
    this.#reportWhenDone();
  }

  /** Resolves once the outcomes were reported (or there was nothing to report). */
  reported(): Promise<void> {
    return this.#report ?? Promise.resolve();
  }

  #reportWhenDone(): void {
    if (!this.#sealed || this.#open > 0 || this.#report) return;
    this.#report = this.failed || this.outcomes.length === 0 ? Promise.resolve() : reportOutcomes(this.#env, this.body, this.outcomes);
  }
}

/**
 * The record's own trail of who got what, and the release of its FIFO routes' next events.
 * Transient RPC failures are retried a few times; a report that still fails is logged (the
 * attempt log and dead letters keep the outcome) and never fails the deliveries already made.
 */
async function reportOutcomes(env: Env, msg: DeliverMessage, outcomes: DeliveryOutcome[]): Promise<void> {
  const stub = masterRecordStub(env.MASTER_RECORD, { tenant: msg.tenant, region: msg.recordRegion, recordType: msg.recordType, recordId: msg.recordId }, residencyMode(env.EU_JURISDICTION));
  for (let attempt = 1; ; attempt++) {
    try {
      return await stub.recordDeliveries(Number(msg.event.sequence), outcomes);
    } catch (err) {
      if (attempt >= 3) return void console.error("could not report delivery outcomes to the master record", err);
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}
