/**
 * The Durable Object side of the bench counters: a class hands its state and env to
 * `benchObject` in its constructor and keeps what comes back. With BENCH_COUNTERS unset
 * (production) that is the very state and env it passed in; with "1", its SQLite cursors
 * report the rows they read and wrote, setAlarm() counts as the row written it is billed as,
 * and its env's bindings count like the Worker's (./bindings.ts).
 */
import { benchEnabled, countingEnv } from "./bindings";
import { count } from "./tally";

export function benchObject<S extends DurableObjectState<any>, E extends object>(className: string, ctx: S, env: E): [S, E] {
  if (!benchEnabled(env)) return [ctx, env];
  return [countingState(className, ctx) as S, countingEnv(env)];
}

/** A class that needs only its SQLite: ctx.storage.sql, counting when BENCH_COUNTERS=1. */
export function benchSql(className: string, ctx: DurableObjectState, env: unknown): SqlStorage {
  return benchEnabled(env) ? countingSql(className, ctx.storage.sql) : ctx.storage.sql;
}

/** One line in a class's alarm(): an alarm invocation is billed as a request. */
export function countAlarm(className: string, env: unknown): void {
  if (benchEnabled(env)) count.doAlarm(className);
}

const bound = (t: object, value: unknown) => (typeof value === "function" ? value.bind(t) : value);

function countingState(className: string, ctx: DurableObjectState): DurableObjectState {
  const sql = countingSql(className, ctx.storage.sql);
  const storage = new Proxy(ctx.storage, {
    get(t, prop) {
      if (prop === "sql") return sql;
      const value: unknown = Reflect.get(t, prop);
      if (prop !== "setAlarm" || typeof value !== "function") return bound(t, value);
      return (...args: unknown[]) => {
        count.setAlarm(className);
        return Reflect.apply(value, t, args);
      };
    },
  });
  return new Proxy(ctx, { get: (t, prop) => (prop === "storage" ? storage : bound(t, Reflect.get(t, prop))) });
}

export function countingSql(className: string, sql: SqlStorage): SqlStorage {
  return new Proxy(sql, {
    get(t, prop) {
      const value: unknown = Reflect.get(t, prop);
      if (prop !== "exec" || typeof value !== "function") return bound(t, value);
      return (...args: unknown[]) => countingCursor(className, Reflect.apply(value, t, args) as SqlStorageCursor<Record<string, SqlStorageValue>>);
    },
  });
}

/**
 * A cursor's rowsRead/rowsWritten grow as it is stepped (a write runs when exec() is called, a
 * read as rows are taken), so the counts are taken after exec() and after every call on it.
 */
function countingCursor<T extends Record<string, SqlStorageValue>>(className: string, cursor: SqlStorageCursor<T>): SqlStorageCursor<T> {
  let read = 0;
  let written = 0;
  const settle = () => {
    const r = cursor.rowsRead;
    const w = cursor.rowsWritten;
    if (r === read && w === written) return;
    count.sql(className, r - read, w - written);
    read = r;
    written = w;
  };
  settle();
  const proxy: SqlStorageCursor<T> = new Proxy(cursor, {
    get(t, prop) {
      if (prop === Symbol.iterator) return () => proxy; // iteration steps through the proxy
      const value: unknown = Reflect.get(t, prop);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        try {
          return Reflect.apply(value, t, args);
        } finally {
          settle();
        }
      };
    },
  });
  return proxy;
}
