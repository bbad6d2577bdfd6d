/**
 * `logical`: outbox inserts from a pgoutput replication slot. Confirms a commit LSN to
 * PostgreSQL only after the edge accepted every row up to it (TxnBatcher), so a crash means
 * a resend (deduped at the edge by outbox:<id>), never a loss. Auto-acknowledge is off: the
 * library's own acks would confirm what was received, not what was accepted.
 */
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from "pg-logical-replication";
import { retryDelayMs } from "./backoff.ts";
import type { LogicalConfig } from "./config.ts";
import { UserFacingError, writeCheckpoint } from "./db.ts";
import { qualifiedSql } from "./identifiers.ts";
import { ensurePublicationAndSlot } from "./install.ts";
import { lsnToBigInt, TxnBatcher } from "./logical-batcher.ts";
import { outboxRowToChange, type OutboxRow } from "./mapping.ts";
import type { Runtime } from "./runtime.ts";
import { FatalSendError, SendAborted } from "./sender.ts";

const WAL_CHECK_MS = 30_000;
/** --once: caught up when nothing arrived for this long after reaching the start-time WAL end. */
const ONCE_IDLE_MS = 2000;
const ONCE_GIVE_UP_MS = 60_000;

type LibraryInternals = { _messageQueue?: unknown[]; _processing?: boolean };

export async function runLogical(rt: Runtime & { config: LogicalConfig }): Promise<void> {
  const { config, db, logger } = rt;
  const outbox = await resolveOutbox(rt);
  await ensurePublicationAndSlot(db, config, logger);
  const checkWal = async () => {
    const { rows: [slot] } = await db.query<{ bytes: string | null }>(
      "select pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text as bytes from pg_replication_slots where slot_name = $1",
      [config.slot],
    );
    const mb = Math.round(Number(slot?.bytes ?? 0) / 1048576);
    if (mb > config.maxRetainedWalMb) {
      logger.log({ event: "warn", code: "wal_retained", message: `slot ${config.slot} holds ${mb} MB of WAL (over --max-retained-wal-mb ${config.maxRetainedWalMb}); PostgreSQL cannot remove it until the relay confirms`, slot: config.slot, retainedMb: mb });
    }
  };
  await checkWal();
  const walTimer = setInterval(() => void checkWal().catch(() => {}), WAL_CHECK_MS);
  walTimer.unref();
  const { rows: [start] } = await db.query<{ flushed: string; confirmed: string | null }>(
    "select pg_current_wal_flush_lsn()::text as flushed, (select confirmed_flush_lsn::text from pg_replication_slots where slot_name = $1) as confirmed",
    [config.slot],
  );
  logger.log({ event: "start", mode: "logical", name: config.name, message: `logical: slot ${config.slot}, publication ${config.publication}, from ${start!.confirmed ?? "its start"}` });

  let batcher = new TxnBatcher();
  const stopStatus = rt.startStatus(async () => ({ rows: batcher.unacceptedRows, seconds: null }));
  let lastConfirmed = start!.confirmed ?? "0/0";
  let lastMessageAt = Date.now();
  let reachedStartEnd = lsnToBigInt(start!.flushed) === 0n;
  let attempt = 0;

  try {
    while (!rt.signal.aborted) {
      batcher = new TxnBatcher(); // after a reconnect the server resends from the confirmed LSN
      const service = new LogicalReplicationService(
        { connectionString: config.databaseUrl, application_name: "changecast-relay" },
        { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
      );
      const internals = service as unknown as LibraryInternals;
      // The library's queue (flowControl) is private; if its shape changes, behave as if busy
      // for keepalives (confirm only accepted LSNs) and as if empty for batching (send per commit).
      const queueEmpty = () => !Array.isArray(internals._messageQueue) || internals._messageQueue.length === 0;
      const libraryIdle = () => Array.isArray(internals._messageQueue) && internals._messageQueue.length === 0 && internals._processing === false;
      const confirm = async (lsn: string) => {
        if (lsnToBigInt(lsn) < lsnToBigInt(lastConfirmed)) lsn = lastConfirmed; // never move the slot backwards
        lastConfirmed = lsn;
        await service.acknowledge(lsn);
      };
      const flush = async (includeOpen: boolean) => {
        while (batcher.sendable(includeOpen) >= (includeOpen ? config.batchSize : 1)) {
          const batch = batcher.take(config.batchSize, includeOpen);
          await rt.deliver(batch);
          const lsn = batcher.accepted(batch.length);
          if (lsn) await confirmAccepted(lsn);
        }
        // Transactions with no outbox row (older servers send them) complete here.
        const lsn = batcher.accepted(0);
        if (lsn) await confirmAccepted(lsn);
      };
      const confirmAccepted = async (lsn: string) => {
        await confirm(lsn);
        await writeCheckpoint(db, config.outboxTable, config.name, "logical", { slot: config.slot, lsn });
      };
      // Why this connection ended; the first reason wins (a stop also makes the socket fail).
      let failure: unknown = undefined;
      const ended = new Promise<void>((resolve) => {
        const finish = (reason: unknown) => {
          if (failure !== undefined) return;
          failure = reason;
          resolve();
        };
        service.on("data", async (lsn: string, msg: Pgoutput.Message) => {
          if (rt.signal.aborted) return; // stopping: leave the rest unconfirmed for the next run
          lastMessageAt = Date.now();
          if (lsnToBigInt(lsn) >= lsnToBigInt(start!.flushed)) reachedStartEnd = true;
          try {
            if (msg.tag === "begin") batcher.begin();
            else if (msg.tag === "insert" && msg.relation.schema === outbox.schema && msg.relation.name === outbox.name) {
              batcher.add(outboxRowToChange(msg.new as OutboxRow, lsn));
              if (batcher.sendable(true) >= config.batchSize) await flush(true);
            } else if (msg.tag === "commit") {
              batcher.commit(msg.commitEndLsn ?? lsn);
              attempt = 0;
              // Batch small transactions together while more is already queued; send when not.
              if (queueEmpty() || batcher.sendable(false) >= config.batchSize) await flush(false);
            }
          } catch (err) {
            finish(err);
          }
        });
        service.on("heartbeat", (lsn: string, _ts: number, shouldRespond: boolean) => {
          if (lsnToBigInt(lsn) >= lsnToBigInt(start!.flushed)) reachedStartEnd = true;
          // A keepalive's LSN may be confirmed only when nothing received is unaccepted: then
          // WAL written by other tables is released even when the outbox is quiet (the server
          // sends such keepalives, without asking for a reply, once it has caught up).
          // Otherwise a reply, when asked for, repeats the last accepted commit.
          if (batcher.idle && libraryIdle() && lsnToBigInt(lsn) > lsnToBigInt(lastConfirmed)) void confirm(lsn).catch(() => {});
          else if (shouldRespond) void confirm(lastConfirmed).catch(() => {});
        });
        service.on("error", (err: Error) => finish(err));
        rt.signal.addEventListener("abort", () => finish("stopped"), { once: true });
        if (config.once) {
          const timer = setInterval(() => {
            const quiet = Date.now() - lastMessageAt;
            if (batcher.idle && libraryIdle() && quiet >= ONCE_IDLE_MS && (reachedStartEnd || quiet >= ONCE_GIVE_UP_MS)) {
              clearInterval(timer);
              finish("caught_up");
            } else if (!reachedStartEnd && !rt.signal.aborted) void service.acknowledge(lastConfirmed, true).catch(() => {}); // ask for a keepalive
          }, 250);
          rt.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
        }
        service.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [config.publication] }), config.slot).then(() => finish(new Error("the replication stream ended")), finish);
      });
      await ended;
      // A stop arrives between batches: wait for the handler in flight to finish its batch.
      while (internals._processing === true && !(failure instanceof Error)) await new Promise((r) => setTimeout(r, 20));
      await service.destroy().catch(() => {});
      if (failure === "caught_up") {
        logger.log({ event: "caught_up" });
        return;
      }
      if (failure === "stopped" || failure instanceof SendAborted) return;
      if (failure instanceof FatalSendError) throw failure;
      await db.query("select 1"); // only the replication connection may be retried here; a lost main connection exits 1
      attempt++;
      const delayMs = retryDelayMs(attempt, Math.random(), null);
      logger.log({ event: "retry", status: null, attempt, delayMs, reason: `replication: ${(failure as Error)?.message ?? String(failure)}` });
      await rt.idle(delayMs);
    }
  } finally {
    clearInterval(walTimer);
    stopStatus();
  }
}

/** The outbox's schema as pgoutput names it (an unqualified --outbox-table follows search_path). */
async function resolveOutbox(rt: Runtime & { config: LogicalConfig }): Promise<{ schema: string; name: string }> {
  const { rows: [row] } = await rt.db.query<{ schema: string; name: string }>(
    "select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass($1)",
    [qualifiedSql(rt.config.outboxTable)],
  );
  if (!row) throw new UserFacingError(`outbox table ${qualifiedSql(rt.config.outboxTable)} does not exist (run changecast-relay install first)`);
  return row;
}
