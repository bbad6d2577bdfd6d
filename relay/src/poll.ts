/**
 * `poll` and `notify`: read the outbox in commit-safe order from a (txid, id) cursor.
 *
 * Why `txid < pg_snapshot_xmin(pg_current_snapshot())`: ids and txids are handed out when a
 * row is inserted, not when its transaction commits, so a transaction that started earlier can
 * commit later with smaller values than rows already read. Ordering by id alone would skip it
 * for ever. xmin is the oldest transaction still running; every txid below it has committed or
 * aborted, so no row with a smaller txid can ever appear again. Reading only below xmin, in
 * (txid, id) order, makes the cursor safe. The price: a long transaction anywhere in the
 * database holds rows back (delayed, never lost).
 */
import pg from "pg";
import type { PollConfig } from "./config.ts";
import { connect, readCheckpoint, writeCheckpoint } from "./db.ts";
import { qualifiedSql, quoteIdent } from "./identifiers.ts";
import { notifyChannel } from "./install-sql.ts";
import { outboxRowToChange, type OutboxRow } from "./mapping.ts";
import type { Runtime } from "./runtime.ts";

export type PollCursor = { txid: string; id: string };
const START: PollCursor = { txid: "0", id: "-9223372036854775808" };

export async function runPoll(rt: Runtime & { config: PollConfig }): Promise<void> {
  const { config, db } = rt;
  const outbox = qualifiedSql(config.outboxTable);
  const saved = await readCheckpoint<PollCursor>(db, config.outboxTable, config.name);
  let cursor: PollCursor = saved?.position ?? START;
  rt.logger.log({ event: "start", mode: config.command, name: config.name, message: `${config.command}: reading ${outbox} after (txid ${cursor.txid}, id ${cursor.id})` });

  const stopStatus = rt.startStatus(async () => {
    const { rows } = await db.query<{ rows: string; age: string | null }>(
      `select count(*)::text as rows, extract(epoch from now() - min(occurred_at))::text as age from ${outbox} where (txid, id) > ($1::xid8, $2::bigint)`,
      [cursor.txid, cursor.id],
    );
    return { rows: Number(rows[0]!.rows), seconds: rows[0]!.age === null ? 0 : Math.max(0, Math.round(Number(rows[0]!.age))) };
  });
  const listener = config.command === "notify" ? startListener(rt) : null;
  try {
    while (!rt.signal.aborted) {
      const wake = listener?.arm();
      const { rows } = await db.query<OutboxRow>(
        // o.txid, o.id: a bare "order by txid, id" would sort by the text aliases of the select
        // list ("10" < "9") and move the cursor past rows not yet sent.
        `select o.id::text as id, o.aggregatetype, o.aggregateid, o.type, o.payload, o.occurred_at, o.txid::text as txid
           from ${outbox} o
          where (o.txid, o.id) > ($1::xid8, $2::bigint)
            and o.txid < pg_snapshot_xmin(pg_current_snapshot())
          order by o.txid, o.id
          limit $3`,
        [cursor.txid, cursor.id, config.batchSize],
      );
      if (rows.length > 0) {
        await rt.deliver(rows.map((r) => outboxRowToChange(r, String(r.id))));
        const last = rows[rows.length - 1]!;
        cursor = { txid: String(last.txid), id: String(last.id) };
        await writeCheckpoint(db, config.outboxTable, config.name, config.command, cursor);
        if (rows.length === config.batchSize) continue; // more is readable now: no pause
      }
      if (rows.length === 0 && config.once) {
        rt.logger.log({ event: "caught_up" });
        return;
      }
      if (rows.length === 0) await rt.idle(config.pollIntervalMs, wake);
    }
  } finally {
    stopStatus();
    await listener?.close();
  }
}

/**
 * LISTEN on a connection of its own. NOTIFY only shortens the wait; the poll never depends
 * on it, since notifications sent while the listener reconnects are lost.
 */
function startListener(rt: Runtime & { config: PollConfig }) {
  let wake = new AbortController();
  let client: pg.Client | null = null;
  let closed = false;
  const channel = notifyChannel(rt.config.outboxTable);

  async function open(): Promise<void> {
    while (!closed) {
      try {
        const c = await connect(rt.config.databaseUrl);
        if (closed) {
          await c.end();
          return;
        }
        c.on("notification", () => wake.abort());
        c.on("error", (err) => {
          rt.logger.log({ event: "warn", code: "listener_lost", message: `LISTEN connection failed (${err.message}); reconnecting, polling meanwhile` });
          c.end().catch(() => {});
          if (client === c) client = null;
          void reopen();
        });
        await c.query(`listen ${quoteIdent(channel)}`);
        client = c;
        wake.abort(); // anything committed while not listening: read it now
        return;
      } catch (err) {
        rt.logger.log({ event: "warn", code: "listener_lost", message: `could not LISTEN (${(err as Error).message}); retrying in 5 s, polling meanwhile` });
        await rt.idle(5000);
      }
    }
  }
  let reopening: Promise<void> | null = null;
  function reopen(): Promise<void> {
    reopening ??= open().finally(() => (reopening = null));
    return reopening;
  }
  void reopen();
  return {
    /** A fresh wake-up signal for the next wait; a notification during the query still counts. */
    arm(): AbortSignal {
      if (wake.signal.aborted) wake = new AbortController();
      return wake.signal;
    },
    async close() {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}
