/**
 * FloorRecord: the least a master record can do and still keep the contract's core promise
 * ("accepted means durable", dedupe by change id, a per-record sequence): one SQLite row per
 * change, whose primary key is the change id. No clocks, vector, snapshot, audit chain, routing or
 * outbox: those are what the real MasterRecord adds, and what the bench's ratios price.
 */
import { DurableObject } from "cloudflare:workers";

export type FloorChange = { id: string; recordType: string; recordId: string; op: string; data: Record<string, unknown> };
export type FloorResult = { id: string; status: "accepted" | "duplicate"; sequence: number; eventId: string; body?: string };

export class FloorRecord extends DurableObject<object> {
  #sequence: number;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS events (change_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL, event_id TEXT NOT NULL, body TEXT NOT NULL)");
    this.#sequence = Number(sql.exec<{ s: number | null }>("SELECT max(sequence) AS s FROM events").one().s ?? 0);
  }

  /** One insert per change (a conflicting id is the dedupe); answers each change's event body, serialized once. */
  append(source: string, changes: FloorChange[]): FloorResult[] {
    const sql = this.ctx.storage.sql;
    return changes.map((c) => {
      const sequence = this.#sequence + 1;
      const eventId = crypto.randomUUID();
      const body = JSON.stringify({
        specversion: "1.0", id: eventId, source, type: `io.changecast.${c.recordType}.${c.op}d`,
        subject: `${c.recordType}/${c.recordId}`, time: new Date().toISOString(), datacontenttype: "application/json",
        data: { op: c.op, after: c.data }, sequence: String(sequence).padStart(20, "0"),
      });
      const inserted = sql.exec("INSERT INTO events (change_id, sequence, event_id, body) VALUES (?, ?, ?, ?) ON CONFLICT (change_id) DO NOTHING", c.id, sequence, eventId, body).rowsWritten;
      if (inserted === 0) return { id: c.id, status: "duplicate", sequence: 0, eventId: "" };
      this.#sequence = sequence;
      return { id: c.id, status: "accepted", sequence, eventId, body };
    });
  }
}
