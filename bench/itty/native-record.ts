/**
 * The hot path on native Durable Object RPC + SQLite (what changecast's MasterRecord uses): one
 * RPC call per record per request; dedupe rows, event rows and the meta row in one transactionSync.
 */
import { DurableObject } from "cloudflare:workers";
import { INITIAL_STATE, stampChanges, type HotChange, type HotResult, type HotState } from "./hot-path";

export class NativeRecord extends DurableObject<object> {
  #state: HotState;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS dedupe (change_id TEXT PRIMARY KEY)");
    sql.exec("CREATE TABLE IF NOT EXISTS events (sequence INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), hlc TEXT NOT NULL, lamport INTEGER NOT NULL, sequence INTEGER NOT NULL)");
    this.#state = sql.exec<HotState>("SELECT hlc, lamport, sequence FROM meta").toArray()[0] ?? INITIAL_STATE;
  }

  stamp(subject: string, changes: HotChange[]): HotResult[] {
    const sql = this.ctx.storage.sql;
    const seen = new Set<string>();
    for (const c of changes) if (sql.exec("SELECT 1 FROM dedupe WHERE change_id = ?", c.id).toArray().length) seen.add(c.id);
    const out = stampChanges(this.#state, subject, changes, seen, Date.now(), () => crypto.randomUUID());
    this.ctx.storage.transactionSync(() => {
      for (const e of out.events) {
        sql.exec("INSERT INTO dedupe (change_id) VALUES (?)", e.changeId);
        sql.exec("INSERT INTO events (sequence, body) VALUES (?, ?)", e.sequence, e.body);
      }
      sql.exec("INSERT INTO meta (id, hlc, lamport, sequence) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET hlc = excluded.hlc, lamport = excluded.lamport, sequence = excluded.sequence", out.state.hlc, out.state.lamport, out.state.sequence);
    });
    this.#state = out.state;
    return out.results;
  }
}
