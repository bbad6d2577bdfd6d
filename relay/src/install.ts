/** `changecast-relay install`: applies install-sql.ts in one transaction, then the slot. */
import type { InstallConfig } from "./config.ts";
import { connect, primaryKeyColumns, type Db } from "./db.ts";
import { qualifiedSql } from "./identifiers.ts";
import { captureFunctionSql, captureTriggerSql, outboxSql, publicationSql, relayTablesSql } from "./install-sql.ts";
import type { Logger } from "./log.ts";

/** Any constant works; it only keeps two installs running at once from racing each other. */
const INSTALL_LOCK = 0x63_63_72_6c; // "ccrl"

export async function runInstall(config: InstallConfig, logger: Logger): Promise<void> {
  const db = await connect(config.databaseUrl);
  try {
    await db.query("begin");
    await db.query("select pg_advisory_xact_lock($1)", [INSTALL_LOCK]);
    for (const sql of [...outboxSql(config.outboxTable), ...relayTablesSql(config.outboxTable)]) await db.query(sql);
    if (config.triggerTables.length > 0) await db.query(captureFunctionSql(config.outboxTable));
    for (const { table, recordType } of config.triggerTables) {
      const key = await primaryKeyColumns(db, table);
      await db.query(captureTriggerSql(config.outboxTable, table, recordType, config.softDeleteColumn, key));
      logger.log({ event: "info", message: `capture trigger on ${qualifiedSql(table)} (record type ${recordType}, id ${key.join(":")})` });
    }
    await db.query("commit");
    logger.log({ event: "info", message: `outbox ${qualifiedSql(config.outboxTable)}, checkpoint and rejected tables are installed` });
    if (config.logical) await ensurePublicationAndSlot(db, config, logger);
  } catch (err) {
    await db.query("rollback").catch(() => {});
    throw err;
  } finally {
    await db.end();
  }
}

/** Also called by `logical` at start. A slot cannot be created in a transaction that wrote. */
export async function ensurePublicationAndSlot(db: Db, config: Pick<InstallConfig, "outboxTable" | "publication" | "slot">, logger: Logger): Promise<void> {
  const publication = await db.query("select 1 from pg_publication where pubname = $1", [config.publication]);
  if (publication.rows.length === 0) {
    await db.query(publicationSql(config.outboxTable, config.publication));
    logger.log({ event: "info", message: `created publication ${config.publication}` });
  }
  const slot = await db.query<{ plugin: string | null }>("select plugin from pg_replication_slots where slot_name = $1", [config.slot]);
  if (slot.rows.length === 0) {
    await db.query("select pg_create_logical_replication_slot($1, 'pgoutput')", [config.slot]);
    logger.log({ event: "info", message: `created replication slot ${config.slot} (pgoutput)` });
  } else if (slot.rows[0]!.plugin !== "pgoutput") {
    throw new Error(`replication slot ${config.slot} exists with plugin ${slot.rows[0]!.plugin ?? "none"}; the relay needs pgoutput (choose another --slot)`);
  }
}
