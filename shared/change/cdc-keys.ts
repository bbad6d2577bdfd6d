/**
 * What the CDC formats (Debezium, Maxwell) share: which table becomes which record. The
 * recordType is the table unless configured, the recordId is the configured key columns of the
 * row image, joined with ':' (DESIGN.md "Ingestion API", CDC formats).
 */

export type CdcRecordConfig = {
  /** Overrides the table name as the recordType (`?recordType=`). */
  recordType?: string;
  /** The row's key columns, in order (`?key=tenant_id,id`); default `["id"]`. */
  key: readonly string[];
};

export type CdcRefusal = {
  ok: false;
  /** "invalid": a 400 naming the field; "unsupported": a 422 (a valid event changecast does not ingest). */
  kind: "invalid" | "unsupported";
  field: string;
  reason: string;
};

export const DEFAULT_KEY = ["id"] as const;

export function invalid(field: string, reason: string): CdcRefusal {
  return { ok: false, kind: "invalid", field, reason };
}

/** The key columns from a comma-separated list; empty names are a configuration error. */
export function parseKeyColumns(raw: string | undefined): { ok: true; key: string[] } | CdcRefusal {
  if (raw === undefined) return { ok: true, key: [...DEFAULT_KEY] };
  const key = raw.split(",").map((k) => k.trim());
  if (key.some((k) => k === "")) return invalid("key", "a comma-separated list of column names, e.g. 'id' or 'tenant_id,id'");
  return { ok: true, key };
}

/** The recordId from the row image: each key column must be a string or number. */
export function recordIdFrom(row: Record<string, unknown>, key: readonly string[], imageField: string): { ok: true; recordId: string } | CdcRefusal {
  const parts: string[] = [];
  for (const column of key) {
    const value = row[column];
    if (typeof value === "string" && value !== "") parts.push(value);
    else if (typeof value === "number" || typeof value === "bigint") parts.push(String(value));
    else return invalid(`${imageField}.${column}`, `key column "${column}" is missing from the row (set ?key= to the table's key columns)`);
  }
  return { ok: true, recordId: parts.join(":") };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
