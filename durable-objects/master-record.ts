/**
 * MasterRecord: one object per (tenant, recordType, recordId). It is the single writer of its
 * record: dedupe, clocks, sequence, CloudEvent and the audit chain are committed in one
 * transactionSync per batch, then the audit entries are shipped through the audit queue
 * (outbox cursor in meta; the alarm re-ships whatever a crash left behind).
 */
import { DurableObject } from "cloudflare:workers";
import { v7 as uuidv7 } from "uuid";
import type { Change, ItemError } from "../shared/change/schema";
import { sealEntry, verifyChain, type AuditEntry, type ChainVerdict, type GateResult } from "../shared/audit/entry";
import { AUDIT_ENTRY_MAX_BYTES } from "../shared/audit/shipping";
import { UnshippedEntries } from "../shared/audit/unshipped";
import { applyChange } from "../shared/record/apply-change";
import { adoptCarriedState, carryState, type CarriedState } from "../shared/record/state";
import { planDestinations } from "../shared/routing/plan";
import { routingTableAt } from "./routing-cache";
import { MasterRecordStorage, sameIdentity, type AcceptedChange, type DeliveryOutcome, type Meta, type RecordIdentity } from "./master-record-storage";
import { admit, settle, type FifoState } from "../shared/record/fifo";
import type { SchemaStamp } from "../shared/gates/schema-gate";
import { sendToRoute, shipPage } from "./outbox";
import { masterRecordStub, residencyMode } from "./record-address";
import { benchObject, countAlarm } from "../workers/bench/object";

export type ApplyBatch = {
  identity: RecordIdentity;
  location: string;
  changes: Change[];
  gates: GateResult[];
  /** The tenant's routing version as the ingest lookup saw it: refresh the cached table when newer. */
  routingVersion: number;
  /**
   * The ingest schema gate's decision per change, aligned with `changes`. Optional so that a
   * batch from a Worker that predates the registry still applies (no schema gate, no dataschema).
   */
  schemas?: SchemaStamp[];
};

export type ItemResult =
  | { id: string; status: "accepted" | "duplicate"; eventId: string; sequence: number }
  | { id: string; status: "rejected"; error: ItemError };

const RESHIP_DELAY_MS = 30_000; // after a failed send, the alarm tries again this much later
const PRUNE_ROUND_MS = 3_600_000; // expired dedupe rows are deleted at most this often per object
const SHIP_PAGE = 500;

export class MasterRecord extends DurableObject<Env> {
  readonly #store: MasterRecordStorage;
  #meta: Meta;
  #alarmAt: number | null = null;
  #shipping: Promise<void> | null = null;
  #shipAgain = false;
  /** Highest sequence whose FIFO admission the outbox has decided (ahead of the persisted cursor while a send is out). */
  #fifoConsidered = 0;
  /** What this instance committed and has not shipped: shipping needs no read-back (shared/audit/unshipped.ts). */
  readonly #unshipped = new UnshippedEntries(SHIP_PAGE);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    [this.ctx, this.env] = benchObject("MasterRecord", this.ctx, this.env); // counting state and env only when BENCH_COUNTERS=1
    this.#store = new MasterRecordStorage(this.ctx.storage.sql);
    this.#meta = this.#store.loadMeta();
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Applies a request's changes for this record, in order. One RPC per record per request. */
  async apply(batch: ApplyBatch): Promise<ItemResult[]> {
    const results: ItemResult[] = [];
    const forward: { index: number; change: Change }[] = [];
    const maxSkewMs = Number(this.env.MAX_CLOCK_SKEW_MS);
    const windowMs = Number(this.env.DEDUPE_WINDOW_MS);
    const routing = await routingTableAt(this.env.DB, batch.identity.tenant, batch.routingVersion);
    // Read state only after the last await: everything from here to the commit is synchronous.
    let meta: Meta = { ...this.#meta, identity: batch.identity };
    const now = Date.now();

    // The alarm prunes dedupe rows; armed once for the earliest expiry, not once per batch.
    this.#scheduleAlarm(now + windowMs);
    const accepted: AcceptedChange[] = [];
    this.ctx.storage.transactionSync(() => {
      const known = this.#store.findDuplicates(batch.location, batch.changes.map((c) => c.id));
      batch.changes.forEach((change, index) => {
        const duplicate = known.get(change.id); // a repeat within this batch is found too: accepted ones join `known`
        if (duplicate) return void (results[index] = { id: change.id, status: "duplicate", ...duplicate });
        // Once rekeyed, the alias forwards new changes to the key that now answers for it.
        if (meta.state.rekeyedTo) return void forward.push({ index, change });
        // Refused by the schema gate at the edge: decided after dedupe, so a resent accepted change stays "duplicate".
        const stamp = batch.schemas?.[index];
        if (stamp && !stamp.ok) return void (results[index] = { id: change.id, status: "rejected", error: stamp.error });
        const eventId = uuidv7();
        const dataschema = stamp?.dataschema ?? undefined;
        const applied = applyChange(meta.state, change, { ...batch.identity, location: batch.location, now, eventId, maxSkewMs, ...(dataschema ? { dataschema } : {}) });
        if (!applied.ok) return void (results[index] = { id: change.id, status: "rejected", error: applied.error });
        const entry = sealEntry({
          v: 1,
          tenant: batch.identity.tenant,
          recordType: batch.identity.recordType,
          recordId: batch.identity.recordId,
          sequence: applied.state.sequence,
          location: batch.location,
          changeId: change.id,
          recordedAt: new Date(now).toISOString(),
          event: applied.event,
          snapshot: applied.state.snapshot,
          source: change.source ?? null,
          ordering: { hlc: applied.event.hlc, lamport: applied.state.lamport, sequence: applied.state.sequence, vector: applied.state.vector },
          gates: [...batch.gates, ...(stamp ? [stamp.gate] : []), { gate: "dedupe", result: "pass" }],
          destinations: planDestinations(routing, applied.event),
          routingVersion: routing?.version ?? 0,
          prevHash: meta.state.headHash,
        });
        const text = JSON.stringify(entry);
        if (text.length > AUDIT_ENTRY_MAX_BYTES) {
          return void (results[index] = { id: change.id, status: "rejected", error: { field: "data", reason: `event too large (${text.length} bytes recorded; limit ${AUDIT_ENTRY_MAX_BYTES})` } });
        }
        meta = { ...meta, state: { ...applied.state, headHash: entry.hash } };
        known.set(change.id, { eventId, sequence: entry.sequence });
        accepted.push({ changeId: change.id, entry, text, state: meta.state });
        results[index] = { id: change.id, status: "accepted", eventId, sequence: entry.sequence };
      });
      this.#store.appendAccepted(batch.location, now + windowMs, accepted);
      // The state rides on the audit rows; meta is written here only when it must name the
      // record for the first time (the alarm cannot ship for an object that does not know it).
      if (!sameIdentity(this.#meta.identity, batch.identity)) this.#store.saveMeta(meta);
    });
    this.#meta = meta;
    this.#unshipped.add(accepted.map((a) => ({ entry: a.entry, bytes: a.text.length })));

    await this.#ship().catch((err) => this.#retryLater("outbox shipping", err));
    if (meta.state.rekeyedTo && !meta.handoffDone) await this.#handOff().catch((err) => this.#retryLater("rekey hand-off", err));
    if (forward.length > 0) {
      const forwarded = await this.#target().apply({
        ...batch,
        identity: { ...batch.identity, recordId: meta.state.rekeyedTo! },
        changes: forward.map((f) => f.change),
        ...(batch.schemas ? { schemas: forward.map((f) => batch.schemas![f.index]!) } : {}),
      });
      forward.forEach((f, i) => (results[f.index] = forwarded[i]!));
    }
    return results;
  }

  /** Called by the old key's object after a rekey: continue the record's stream here. */
  async adopt(identity: RecordIdentity, carried: CarriedState): Promise<void> {
    const { state } = this.#meta;
    if (state.rekeyedFrom === carried.fromRecordId && state.sequence >= carried.sequence) return; // hand-off retried
    const meta: Meta = { ...this.#meta, identity: this.#meta.identity ?? identity, state: adoptCarriedState(state, carried) };
    this.ctx.storage.transactionSync(() => this.#store.saveMeta(meta));
    this.#meta = meta;
  }

  /**
   * The delivery consumer reports one event's outcomes (all its routes in one call). A final
   * outcome on a FIFO route releases that route's next event of this record, sent on its own.
   */
  async recordDeliveries(sequence: number, outcomes: DeliveryOutcome[]): Promise<void> {
    this.#store.appendOutcomes(sequence, Date.now(), outcomes);
    for (const o of outcomes) await this.#settleFifo(o.route, sequence, o.disposition);
  }

  /** An admin skipped the dead letter that blocks this route's stream: move past it. */
  async skipFifo(route: string, sequence: number): Promise<void> {
    await this.#settleFifo(route, sequence, "given-up");
  }

  /** The record's FIFO cursors per route: what is in flight and whether a dead letter blocks it. */
  async readFifo(): Promise<FifoState> {
    return this.#meta.state.fifo ?? {};
  }

  /**
   * Operator remedy for a stream whose in-flight message was lost (a queue purge, a local
   * reload): sends the in-flight event to the route again, with the same webhook-id. A stream
   * blocked by a dead letter is released by replaying or skipping that dead letter instead.
   */
  async resendFifo(route: string): Promise<{ resent: number | null; reason?: string }> {
    const cursor = (this.#meta.state.fifo ?? {})[route];
    if (!cursor || cursor.inFlight === null) return { resent: null, reason: "nothing in flight for this route" };
    if (cursor.blocked) return { resent: null, reason: "blocked by a dead letter: replay or skip it" };
    const entry = this.#store.auditAfter(cursor.inFlight - 1, 1)[0]?.entry;
    if (!entry || entry.sequence !== cursor.inFlight) return { resent: null, reason: "the in-flight event is not in this record's log" };
    await sendToRoute(this.env, this.#recordRef()!, entry, route);
    return { resent: entry.sequence };
  }

  async #settleFifo(route: string, sequence: number, disposition: DeliveryOutcome["disposition"]): Promise<void> {
    const fifo: FifoState = this.#meta.state.fifo ?? {};
    if (fifo[route]?.inFlight !== sequence) return;
    // Events the outbox already decided on (sent or not yet persisted) are this route's to release.
    const next = this.#store.nextFifoEntry(route, sequence, Math.max(this.#meta.deliveriesShipped, this.#fifoConsidered));
    const settled = settle(fifo, route, sequence, disposition, next?.sequence ?? null);
    if (settled.fifo === fifo) return;
    // Send before persisting (a crash in between re-sends on the consumer's retried report, same
    // webhook-id); then write only this route's cursor: another report may move its own meanwhile.
    if (settled.release !== null && next) await sendToRoute(this.env, this.#recordRef()!, next, route);
    const meta = { ...this.#meta, state: { ...this.#meta.state, fifo: { ...this.#meta.state.fifo, [route]: settled.fifo[route]! } } };
    this.ctx.storage.transactionSync(() => this.#store.saveMeta(meta));
    this.#meta = meta;
  }

  #recordRef() {
    const identity = this.#meta.identity;
    return identity ? { tenant: identity.tenant, recordRegion: identity.region, recordType: identity.recordType, recordId: identity.recordId } : null;
  }

  async readDeliveries(beforeId: number, limit: number) {
    const rows = this.#store.outcomes(beforeId, limit + 1);
    return { items: rows.slice(0, limit), nextBefore: rows.length > limit ? rows[limit - 1]!.id : null };
  }

  async readAudit(afterSequence: number, limit: number): Promise<{ items: AuditEntry[]; nextAfter: number | null }> {
    const rows = this.#store.auditAfter(afterSequence, limit + 1);
    const items = rows.slice(0, limit).map((r) => r.entry);
    return { items, nextAfter: rows.length > limit ? items[items.length - 1]!.sequence : null };
  }

  async verifyAudit(): Promise<ChainVerdict> {
    const { state } = this.#meta;
    const entries = this.#store.auditAfter(0, Number.MAX_SAFE_INTEGER).map((r) => r.entry);
    return verifyChain(entries, { anchor: state.chainAnchor, firstSequence: state.chainStart, head: state.headHash, headSequence: state.sequence });
  }

  override async alarm(): Promise<void> {
    countAlarm("MasterRecord", this.env);
    this.#alarmAt = null;
    await this.#ship();
    if (this.#meta.state.rekeyedTo && !this.#meta.handoffDone) await this.#handOff();
    const now = Date.now();
    const nextExpiry = this.#store.pruneDedupe(now);
    // A busy record's rows expire one after another: prune them in rounds, not an alarm each.
    if (nextExpiry !== null) this.#scheduleAlarm(Math.max(nextExpiry, now + PRUNE_ROUND_MS));
  }

  /**
   * Shipping (or a hand-off) failed after the commit: the alarm tries again soon. The commit
   * itself arms nothing for this: a caller whose request failed before shipping gets an error
   * and resends, and that `apply` (a duplicate) ships what is pending; the dedupe alarm is the
   * last resort for a caller that never comes back.
   */
  #retryLater(what: string, err: unknown): void {
    console.error(`${what} deferred to the alarm`, err);
    this.#scheduleAlarm(Date.now() + RESHIP_DELAY_MS);
  }

  #scheduleAlarm(at: number): void {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  #target() {
    const identity = this.#meta.identity!;
    return masterRecordStub(this.env.MASTER_RECORD, { ...identity, recordId: this.#meta.state.rekeyedTo! }, residencyMode(this.env.EU_JURISDICTION));
  }

  async #handOff(): Promise<void> {
    const identity = this.#meta.identity!;
    await this.#target().adopt({ ...identity, recordId: this.#meta.state.rekeyedTo! }, carryState(this.#meta.state, identity.recordId));
    const meta = { ...this.#meta, handoffDone: true };
    this.ctx.storage.transactionSync(() => this.#store.saveMeta(meta));
    this.#meta = meta;
  }

  /** Single flight: concurrent callers share one shipping loop that drains the outbox. */
  #ship(): Promise<void> {
    this.#shipAgain = true;
    this.#shipping ??= (async () => {
      try {
        while (this.#shipAgain) {
          this.#shipAgain = false;
          await this.#shipPending();
        }
      } finally {
        this.#shipping = null;
      }
    })();
    return this.#shipping;
  }

  async #shipPending(): Promise<void> {
    const record = this.#recordRef();
    if (!record) return;
    for (;;) {
      const from = Math.min(this.#meta.auditShipped, this.#meta.deliveriesShipped);
      const pending = this.#unshipped.pendingAfter(from, this.#meta.state.sequence) ?? this.#store.auditAfter(from, SHIP_PAGE);
      if (pending.length === 0) return;
      // FIFO admission is decided synchronously against the live cursors, before any await.
      const cursors = await shipPage(this.env, record, pending, this.#meta, (route, sequence) => {
        const decision = admit(this.#meta.state.fifo ?? {}, route, sequence);
        this.#meta = { ...this.#meta, state: { ...this.#meta.state, fifo: decision.fifo } };
        this.#fifoConsidered = Math.max(this.#fifoConsidered, sequence);
        return decision.admitted;
      });
      const meta = { ...this.#meta, ...cursors };
      this.ctx.storage.transactionSync(() => this.#store.saveMeta(meta));
      this.#meta = meta;
    }
  }
}
