/**
 * One delivery message within a consumer batch: its routes are settled in different per-route
 * groups (workers/delivery/route-guard.ts), and once the last one is settled the event's outcomes
 * go back to its master record in one call (the record's trail; it releases FIFO successors),
 * unless RECORD_TRAIL leaves routine first-attempt successes to the attempt log
 * (shared/delivery/record-trail.ts).
 */
import type { DeliverMessage } from "../../shared/delivery/message";
import type { DeliveryOutcome } from "../../durable-objects/master-record-storage";
import { masterRecordStub, residencyMode } from "../../durable-objects/record-address";
import { mustReport, parseRecordTrail, type RecordTrailMode } from "../../shared/delivery/record-trail";

/** RECORD_TRAIL; a bad value fails the batch (configuration error). */
function recordTrail(env: Env): RecordTrailMode {
  const parsed = parseRecordTrail(env.RECORD_TRAIL);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.mode;
}

export class MessageRun {
  readonly message: Message<DeliverMessage>;
  readonly outcomes: DeliveryOutcome[] = [];
  /** Something unexpected threw: the message is retried as a whole and reports nothing. */
  failed = false;
  /** A route of this message is FIFO or a replay: its outcomes go back whatever they are. */
  ordered = false;
  #open = 0;
  #sealed = false;
  #report: Promise<void> | null = null;
  readonly #env: Env;
  readonly #trail: RecordTrailMode;

  constructor(env: Env, message: Message<DeliverMessage>) {
    this.#env = env;
    this.message = message;
    this.#trail = recordTrail(env); // a bad RECORD_TRAIL fails the batch before any attempt
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
    const report = !this.failed && mustReport(this.#trail, this.ordered, this.outcomes);
    this.#report = report ? reportOutcomes(this.#env, this.body, this.outcomes) : Promise.resolve();
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
