/** `changecast-relay help` and `<command> --help`: what each mode reads and what it guarantees. */

export const COMMANDS = ["install", "poll", "notify", "logical", "timestamp", "snapshot", "help"] as const;
export type Command = (typeof COMMANDS)[number];

const CONNECTION = `Connection (flags win over the environment):
  --database-url <url>      PostgreSQL URL             env CHANGECAST_DATABASE_URL, then DATABASE_URL`;
const SINK = `  --ingest-url <url>        changecast base URL; changes go to <url>/v1/changes   env CHANGECAST_INGEST_URL
  --location-key <loc_…>    the location's key                                     env CHANGECAST_LOCATION_KEY`;
const COMMON = `Common:
  --outbox-table <table>    outbox table, may be schema.table (default changecast_outbox)
  --batch-size <1-500>      changes per request (default 500)
  --poll-interval-ms <ms>   how often to look for new rows when idle (default 1000)
  --name <name>             checkpoint name (default: the command name); one per running relay
  --once                    run until caught up, send, checkpoint, exit 0
  --json                    log one JSON object per line on stderr
  --status-interval-ms <ms> status line interval, 0 = off (default 5000)
  --help                    this text`;

const TEXTS: Record<Command, string> = {
  help: `changecast-relay: send PostgreSQL changes to changecast (POST /v1/changes).

Usage: changecast-relay <command> [flags]     changecast-relay <command> --help

Commands:
  install    create the outbox, its NOTIFY trigger, the checkpoint and rejected tables, and
             optional capture triggers, publication and slot (idempotent)
  poll       read the outbox in commit-safe order every --poll-interval-ms
  notify     like poll, woken at once by LISTEN/NOTIFY (still polls; NOTIFY is only a wake-up)
  logical    stream outbox inserts through a logical replication slot (pgoutput)
  timestamp  read tables by an updated_at column (no outbox needed; hard deletes are invisible)
  snapshot   send every row of tables once as op "snapshot" (resumable)

Guarantees: every mode is at-least-once. A checkpoint moves only after the edge accepted the
batch, and change ids are stable (outbox:<id> in poll, notify and logical alike), so a resend
is answered "duplicate" by the edge. Items the edge rejects are stored in
changecast_relay_rejected and skipped, so one bad change never blocks the location.

Exit codes: 0 done or stopped by SIGINT/SIGTERM (after finishing the batch in flight),
1 runtime failure (database, bad key, bad request), 2 bad flags.`,
  install: `changecast-relay install [flags]

Creates (if missing) the outbox table, a statement-level trigger that runs pg_notify on it,
changecast_relay_checkpoint and changecast_relay_rejected. Safe to run again.

${CONNECTION}
  --outbox-table <table>        (default changecast_outbox)
  --trigger-table <t>[:<type>]  add a row trigger on table t that writes each insert, update and
                                delete into the outbox in the same transaction (repeatable;
                                record type defaults to the table name; record id = primary key,
                                composite keys joined with ":")
  --soft-delete-column <col>    on trigger tables: null→value is soft_delete, value→null restore
  --logical                     also create the publication and the replication slot
  --slot <name>                 slot for --logical (default changecast_relay)
  --publication <name>          publication for --logical (default changecast_outbox)`,
  poll: `changecast-relay poll [flags]

Reads outbox rows with (txid, id) after the checkpoint and txid below the oldest running
transaction (pg_snapshot_xmin), ordered by (txid, id). A transaction that commits late is
never skipped; a long-running transaction anywhere in the database delays (never loses) rows.
Sees exactly what applications insert into the outbox (and what --trigger-table captures).

${CONNECTION}
${SINK}
${COMMON}`,
  notify: `changecast-relay notify [flags]

Same reading and guarantee as poll. A dedicated connection LISTENs on the outbox's channel
so a commit wakes the relay at once; it still polls every --poll-interval-ms, because a
NOTIFY can be lost when the listener reconnects.

${CONNECTION}
${SINK}
${COMMON}`,
  logical: `changecast-relay logical [flags]

Streams outbox inserts from a logical replication slot (pgoutput, publish = 'insert'). Needs
wal_level=logical and a role with REPLICATION. Sends whole transactions in commit order and
confirms a commit LSN to PostgreSQL only after the edge accepted it. The slot keeps WAL until
confirmed: a stopped relay makes WAL pile up; the relay warns above --max-retained-wal-mb.
Drop the slot when you stop using this mode (select pg_drop_replication_slot('<slot>')).

${CONNECTION}
${SINK}
  --slot <name>                 replication slot (default changecast_relay), created if missing
  --publication <name>          publication (default changecast_outbox), created if missing
  --max-retained-wal-mb <mb>    warn when the slot holds more WAL than this (default 1024)
${COMMON}`,
  timestamp: `changecast-relay timestamp [flags]

For tables without an outbox: reads rows whose updated_at is after the per-table watermark,
ordered by (updated_at, primary key). Every row is sent as op "update" (insert and update look
the same), or "soft_delete" when the soft-delete column is set.
It cannot see: hard deletes (a deleted row is simply gone), intermediate versions of a row
updated twice between reads, and rows whose updated_at the application forgot to set. Only
rows older than now() - --lag-ms are read; that narrows, but does not close, the hole left by
a transaction that commits later than its updated_at.

${CONNECTION}
${SINK}
  --table <t>[:<type>]          table to read (repeatable; record type defaults to the table)
  --updated-at-column <col>     (default updated_at)
  --soft-delete-column <col>    rows where it is not null are sent as soft_delete (on the
                                tables that have the column)
  --lag-ms <ms>                 safety window (default 2000)
${COMMON}`,
  snapshot: `changecast-relay snapshot [flags]

Sends every row of each table once, as op "snapshot", in primary key order (keyset pages).
Progress is checkpointed after each accepted batch; running it again resumes the same run
(same change ids, so resent rows are duplicates at the edge). Once all tables are done, the
run is recorded as complete; --restart begins a new run. Rows changed during the snapshot may
be sent in their older or newer state: run a capture mode alongside it.

${CONNECTION}
${SINK}
  --table <t>[:<type>]          table to send (repeatable; record type defaults to the table)
  --restart                     start a new run even if one is complete or in progress
${COMMON}`,
};

export function helpText(command: Command): string {
  return `${TEXTS[command]}\n`;
}
