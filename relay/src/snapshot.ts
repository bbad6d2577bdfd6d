/**
 * `snapshot`: every row of each table once, op "snapshot", in primary key order. The run id
 * and each table's last key are checkpointed after every accepted batch, so a resumed run
 * reuses the same change ids (the edge answers "duplicate" for rows sent before a crash).
 */
import { randomBytes } from "node:crypto";
import type { SnapshotConfig } from "./config.ts";
import { readCheckpoint, writeCheckpoint } from "./db.ts";
import { snapshotRowToChange } from "./mapping.ts";
import { formatProgressLine, measureProgress } from "./progress.ts";
import type { Runtime } from "./runtime.ts";
import { describeTable, keySelect, keysetQuery, keyValues, type TableInfo } from "./table-read.ts";

export type SnapshotTableState = { lastKey: string[] | null; done: number; complete: boolean };
export type SnapshotPosition = { runId: string; startedAt: string; complete: boolean; tables: Record<string, SnapshotTableState> };

/** Short, unique enough per database and readable in ids: time (base 36) + 4 random bytes. */
export function newRunId(nowMs: number, random: Buffer = randomBytes(4)): string {
  return `${nowMs.toString(36)}${random.toString("hex")}`;
}

export async function runSnapshot(rt: Runtime & { config: SnapshotConfig }): Promise<void> {
  const { config, db, logger } = rt;
  const tables: TableInfo[] = [];
  for (const spec of config.tables) tables.push(await describeTable(db, spec, []));
  const saved = await readCheckpoint<SnapshotPosition>(db, config.outboxTable, config.name);
  if (saved?.position.complete && !config.restart) {
    logger.log({ event: "info", message: `snapshot run ${saved.position.runId} (--name ${config.name}) is already complete; --restart starts a new run`, runId: saved.position.runId, complete: true });
    return;
  }
  const position: SnapshotPosition =
    saved && !config.restart ? saved.position : { runId: newRunId(Date.now()), startedAt: new Date().toISOString(), complete: false, tables: {} };
  logger.log({ event: "start", mode: "snapshot", name: config.name, message: `snapshot run ${position.runId}: ${saved && !config.restart ? "resuming" : "starting"} ${tables.map((t) => t.display).join(", ")}` });

  const progress = createProgressReporter(rt);
  const stopStatus = rt.startStatus(async () => ({ rows: null, seconds: null }));
  try {
    for (const table of tables) {
      const state = (position.tables[table.display] ??= { lastKey: null, done: 0, complete: false });
      if (state.complete) continue;
      const { rows: [count] } = await db.query<{ n: string }>(`select count(*)::text as n from ${table.sql}`);
      const total = Number(count!.n);
      const startedAtMs = Date.now();
      const doneAtStart = state.done;
      for (;;) {
        if (rt.signal.aborted) return;
        const q = keysetQuery({ table, select: ["to_jsonb(t) as __row", ...keySelect(table.key)], orderBy: table.key, after: state.lastKey, extraWhere: null, extraValues: [], limit: config.batchSize });
        const { rows } = await db.query<Record<string, unknown>>(q.text, q.values);
        if (rows.length > 0) {
          const takenAt = new Date();
          await rt.deliver(rows.map((r) => snapshotRowToChange({ runId: position.runId, table: table.display, recordType: table.spec.recordType, keyValues: keyValues(r, table.key.length), row: r.__row as Record<string, unknown>, takenAt })));
          state.lastKey = keyValues(rows[rows.length - 1]!, table.key.length);
          state.done += rows.length;
        }
        state.complete = rows.length < config.batchSize;
        position.complete = tables.every((t) => position.tables[t.display]?.complete);
        await writeCheckpoint(db, config.outboxTable, config.name, "snapshot", position);
        progress.report(measureProgress({ table: table.display, done: state.done, total: Math.max(total, state.done), startedAtMs, doneAtStart, nowMs: Date.now() }), state.complete);
        if (state.complete) break;
      }
    }
    logger.log({ event: "info", message: `snapshot run ${position.runId} is complete`, runId: position.runId, complete: true });
    if (config.once) logger.log({ event: "caught_up" });
  } finally {
    stopStatus();
    progress.end();
  }
}

/** JSON lines with --json; a redrawn bar on a terminal; otherwise at most one line a second. */
function createProgressReporter(rt: Runtime) {
  const tty = !rt.config.json && process.stderr.isTTY === true;
  let lastAt = 0;
  let barShown = false;
  return {
    report(p: ReturnType<typeof measureProgress>, final: boolean) {
      const now = Date.now();
      if (rt.config.json) return rt.logger.log({ event: "progress", ...p });
      if (tty) {
        if (!final && now - lastAt < 100) return;
        lastAt = now;
        barShown = true;
        process.stderr.write(`\r\x1b[2K${formatProgressLine(p, true)}${final ? "\n" : ""}`);
        if (final) barShown = false;
        return;
      }
      if (!final && now - lastAt < 1000) return;
      lastAt = now;
      rt.logger.log({ event: "progress", ...p });
    },
    end() {
      if (barShown) process.stderr.write("\n");
    },
  };
}
