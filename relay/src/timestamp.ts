/**
 * `timestamp`: for tables without an outbox. Reads rows after a per-table watermark
 * (updated_at, primary key), oldest first, only rows older than now() - lag.
 * Cannot see hard deletes, nor versions overwritten between two reads; the lag narrows (does
 * not close) the hole of a transaction that commits after rows with a later updated_at were read.
 */
import type { TimestampConfig } from "./config.ts";
import { columnExists, readCheckpoint, UserFacingError, writeCheckpoint } from "./db.ts";
import { quoteIdent } from "./identifiers.ts";
import { timestampRowToChange } from "./mapping.ts";
import type { Runtime } from "./runtime.ts";
import { describeTable, keySelect, keysetQuery, keysetWhere, keyValues, type TableInfo } from "./table-read.ts";

export type Watermark = { updatedAt: string; key: string[] };
export type TimestampPosition = { tables: Record<string, Watermark> };

export async function runTimestamp(rt: Runtime & { config: TimestampConfig }): Promise<void> {
  const { config, db } = rt;
  const column = config.updatedAtColumn;
  const tables: TableInfo[] = [];
  const softDeleteIn = new Set<string>();
  for (const spec of config.tables) {
    const table = await describeTable(db, spec, [column]);
    tables.push(table);
    if (config.softDeleteColumn && (await columnExists(db, spec.table, config.softDeleteColumn))) softDeleteIn.add(table.display);
  }
  // The column applies to the tables that have it; a name no table has is a mistake.
  if (config.softDeleteColumn && softDeleteIn.size === 0) throw new UserFacingError(`no --table has the --soft-delete-column ${quoteIdent(config.softDeleteColumn)}`);
  const saved = await readCheckpoint<TimestampPosition>(db, config.outboxTable, config.name);
  const position: TimestampPosition = { tables: { ...(saved?.position.tables ?? {}) } };
  rt.logger.log({ event: "start", mode: "timestamp", name: config.name, message: `timestamp: reading ${tables.map((t) => `${t.display} (${t.key.join(", ")})`).join(", ")} by ${column}, lag ${config.lagMs} ms` });

  const stopStatus = rt.startStatus(async () => {
    let rows = 0;
    let oldest: number | null = null;
    for (const table of tables) {
      const mark = position.tables[table.display];
      const w = keysetWhere({ table, orderBy: [column, ...table.key], after: mark ? [mark.updatedAt, ...mark.key] : null, extraWhere: null, extraValues: [] });
      const { rows: [r] } = await db.query<{ n: string; age: string | null }>(
        `select count(*)::text as n, extract(epoch from now() - min(t.${quoteIdent(column)}))::text as age from ${table.sql} t${w.text}`,
        w.values,
      );
      rows += Number(r!.n);
      if (r!.age !== null) oldest = Math.max(oldest ?? 0, Math.round(Number(r!.age)));
    }
    return { rows, seconds: oldest ?? 0 };
  });
  try {
    while (!rt.signal.aborted) {
      let readThisPass = 0;
      for (const table of tables) {
        for (;;) {
          if (rt.signal.aborted) return;
          const mark = position.tables[table.display];
          const q = keysetQuery({
            table,
            select: [
              "to_jsonb(t) as __row",
              `t.${quoteIdent(column)}::text as __ua`,
              `(extract(epoch from t.${quoteIdent(column)}) * 1000000)::bigint::text as __micros`,
              config.softDeleteColumn && softDeleteIn.has(table.display) ? `(t.${quoteIdent(config.softDeleteColumn)} is not null) as __soft` : "false as __soft",
              ...keySelect(table.key),
            ],
            orderBy: [column, ...table.key],
            after: mark ? [mark.updatedAt, ...mark.key] : null,
            // Rows whose updated_at is null are never read; now() is the statement's start.
            extraWhere: `t.${quoteIdent(column)} < now() - $1::bigint * interval '1 millisecond'`,
            extraValues: [config.lagMs],
            limit: config.batchSize,
          });
          const { rows } = await db.query<Record<string, unknown>>(q.text, q.values);
          if (rows.length === 0) break;
          await rt.deliver(rows.map((r) => timestampRowToChange({
            table: table.display,
            recordType: table.spec.recordType,
            keyValues: keyValues(r, table.key.length),
            updatedAtMicros: String(r.__micros),
            updatedAt: new Date(Number(BigInt(String(r.__micros)) / 1000n)),
            row: r.__row as Record<string, unknown>,
            softDeleted: r.__soft === true,
          })));
          const last = rows[rows.length - 1]!;
          position.tables[table.display] = { updatedAt: String(last.__ua), key: keyValues(last, table.key.length) };
          await writeCheckpoint(db, config.outboxTable, config.name, "timestamp", position);
          readThisPass += rows.length;
          if (rows.length < config.batchSize) break;
        }
      }
      if (readThisPass === 0 && config.once) {
        rt.logger.log({ event: "caught_up" });
        return;
      }
      if (readThisPass === 0) await rt.idle(config.pollIntervalMs);
    }
  } finally {
    stopStatus();
  }
}
