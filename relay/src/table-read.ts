/**
 * Keyset reads of application tables for `timestamp` and `snapshot`: ordered by a key, after
 * a saved position, limited. Every name is quoted; values go as parameters, compared in the
 * column's own type (PostgreSQL resolves the untyped parameters against the columns).
 */
import { columnExists, primaryKeyColumns, UserFacingError, type Db } from "./db.ts";
import { displayName, qualifiedSql, quoteIdent } from "./identifiers.ts";
import type { TableSpec } from "./config.ts";

export type TableInfo = { spec: TableSpec; display: string; sql: string; key: string[] };

export async function describeTable(db: Db, spec: TableSpec, requiredColumns: readonly string[]): Promise<TableInfo> {
  const key = await primaryKeyColumns(db, spec.table);
  for (const column of requiredColumns) {
    if (!(await columnExists(db, spec.table, column))) throw new UserFacingError(`table ${qualifiedSql(spec.table)} has no column ${quoteIdent(column)}`);
  }
  return { spec, display: displayName(spec.table), sql: qualifiedSql(spec.table), key };
}

/** `($1, $2, …)` starting at parameter `first`. */
function params(first: number, count: number): string {
  return `(${Array.from({ length: count }, (_, i) => `$${first + i}`).join(", ")})`;
}

export type KeysetQuery = { text: string; values: unknown[] };
type KeysetOptions = { table: TableInfo; orderBy: string[]; after: readonly unknown[] | null; extraWhere: string | null; extraValues: unknown[] };

/** ` where (order columns) > (after) [and extra]`, or "" when neither applies. */
export function keysetWhere(opts: KeysetOptions): KeysetQuery {
  const order = opts.orderBy.map((c) => `t.${quoteIdent(c)}`);
  const values: unknown[] = [...opts.extraValues];
  const where: string[] = [];
  if (opts.extraWhere) where.push(opts.extraWhere);
  if (opts.after) {
    where.push(`(${order.join(", ")}) > ${params(values.length + 1, opts.after.length)}`);
    values.push(...opts.after);
  }
  return { text: where.length ? ` where ${where.join(" and ")}` : "", values };
}

/**
 * select … where (order columns) > (after) [and extra] order by … limit. `after` null: from the
 * start. Order columns are compared as one row value, the keyset (not OFFSET) way, so each
 * page costs the same however deep it is.
 */
export function keysetQuery(opts: KeysetOptions & { select: string[]; limit: number }): KeysetQuery {
  const where = keysetWhere(opts);
  const values = [...where.values, opts.limit];
  const order = opts.orderBy.map((c) => `t.${quoteIdent(c)}`).join(", ");
  return { text: `select ${opts.select.join(", ")} from ${opts.table.sql} t${where.text} order by ${order} limit $${values.length}`, values };
}

/** The key columns as text, aliased __k0, __k1…, for the record id and the saved position. */
export function keySelect(key: readonly string[]): string[] {
  return key.map((c, i) => `t.${quoteIdent(c)}::text as __k${i}`);
}

export function keyValues(row: Record<string, unknown>, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(row[`__k${i}`]));
}
