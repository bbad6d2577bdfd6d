/**
 * Counting wrappers around the Worker's bindings (bench mode): Durable Object stubs, queue
 * producers, R2 and D1. `countingEnv` answers the very env it was given unless BENCH_COUNTERS
 * is "1", so production runs the bindings untouched.
 *
 * Bindings are recognised by what they can do, not by name, so new ones (more delivery queue
 * shards, say) are counted without a change here.
 */
import { queueOpsPerMessage } from "../../shared/cost/model";
import { count } from "./tally";

export function benchEnabled(env: unknown): boolean {
  return typeof env === "object" && env !== null && (env as { BENCH_COUNTERS?: unknown }).BENCH_COUNTERS === "1";
}

type Fn = (...args: any[]) => any;
const isFn = (v: unknown): v is Fn => typeof v === "function";

/** Everything but the named methods passes through, bound to the real binding (natives need it). */
function intercept<T extends object>(target: T, methods: Record<string, (original: Fn) => Fn>): T {
  return new Proxy(target, {
    get(t, prop) {
      const value: unknown = Reflect.get(t, prop);
      if (!isFn(value)) return value;
      const wrap = typeof prop === "string" ? methods[prop] : undefined;
      return wrap ? wrap(value.bind(t)) : value.bind(t);
    },
  });
}

const counted = new WeakSet<object>();
const wrappedEnvs = new WeakMap<object, object>();

export function countingEnv<E extends object>(env: E): E {
  if (!benchEnabled(env) || counted.has(env)) return env;
  const known = wrappedEnvs.get(env);
  if (known) return known as E;
  // A plain copy (not a Proxy), so spreading or listing the env still sees every binding.
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) copy[name] = countingBinding(name, value);
  counted.add(copy);
  wrappedEnvs.set(env, copy);
  return copy as E;
}

function countingBinding(name: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const v = value as Record<string, unknown>;
  // An RPC stub or service binding answers a function for any property name: never one of ours.
  if (isFn(v["__changecast_no_such_method__"])) return value;
  if (isFn(v.idFromName) && isFn(v.get)) return countingNamespace(name, value as DurableObjectNamespace);
  if (isFn(v.sendBatch) && isFn(v.send)) return countingQueue(name, value as Queue);
  if (isFn(v.prepare) && isFn(v.batch)) return countingD1(value as D1Database);
  if (isFn(v.head) && isFn(v.put) && isFn(v.list)) return countingR2(value as R2Bucket);
  return value;
}

function countingNamespace<T extends DurableObjectNamespace>(binding: string, ns: T): T {
  return intercept(ns, {
    get: (get) => (...args) => countingStub(binding, get(...args)),
    getByName: (get) => (...args) => countingStub(binding, get(...args)),
    jurisdiction: (jurisdiction) => (...args) => countingNamespace(binding, jurisdiction(...args)),
  });
}

/** Properties of a stub that are not RPC calls. */
const NOT_A_CALL = new Set(["then", "id", "name", "constructor"]);

/** Each RPC method call and each fetch on a stub is one billed request (its own RPC session). */
function countingStub<T extends DurableObjectStub>(binding: string, stub: T): T {
  const objectId = stub.id.toString();
  return new Proxy(stub, {
    get(t, prop) {
      const value: unknown = Reflect.get(t, prop);
      if (!isFn(value)) return value;
      if (typeof prop !== "string" || NOT_A_CALL.has(prop)) return value.bind(t);
      return (...args: unknown[]) => {
        count.doRequest(binding);
        const done = count.doCallStarted(binding, objectId, Date.now());
        try {
          return Promise.resolve(Reflect.apply(value, t, args)).finally(done);
        } catch (err) {
          done();
          throw err;
        }
      };
    },
  });
}

const utf8 = new TextEncoder();

/** The bytes Queues bills for a body, by the content type it is sent with (json by default). */
function bodyBytes(body: unknown, contentType?: QueueContentType): number {
  if (contentType === "bytes") return (body as ArrayBuffer).byteLength;
  if (contentType === "text") return utf8.encode(String(body)).byteLength;
  return utf8.encode(JSON.stringify(body) ?? "").byteLength; // "json"; "v8" approximated by its JSON
}

function countingQueue<T extends Queue>(binding: string, queue: T): T {
  return intercept(queue, {
    send: (send) => async (body: unknown, options?: QueueSendOptions) => {
      const result = await send(body, options);
      count.queueSent(binding, 1, queueOpsPerMessage(bodyBytes(body, options?.contentType)));
      return result;
    },
    sendBatch: (sendBatch) => async (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
      const list = [...messages];
      const result = await sendBatch(list, options);
      count.queueSent(binding, list.length, list.reduce((ops, m) => ops + queueOpsPerMessage(bodyBytes(m.body, m.contentType)), 0));
      return result;
    },
  });
}

/** Counted when called: a refused conditional put (412) is still a billed Class A operation. */
function countingR2<T extends R2Bucket>(bucket: T): T {
  const op = (name: string) => (original: Fn) => (...args: unknown[]) => {
    count.r2(name);
    return original(...args);
  };
  return intercept(bucket, { put: op("put"), get: op("get"), head: op("head"), list: op("list"), delete: op("delete"), createMultipartUpload: op("createMultipartUpload") });
}

type Meta = { rows_read?: number; rows_written?: number } | undefined;
const countMeta = (meta: Meta) => count.d1(meta?.rows_read ?? 0, meta?.rows_written ?? 0);

function countingD1<T extends D1Database>(db: T): T {
  return intercept(db, {
    prepare: (prepare) => (query: string) => countingStatement(prepare(query)),
    batch: (batch) => async (statements: D1PreparedStatement[]) => {
      const results = (await batch(statements)) as D1Result[];
      results.forEach((r) => countMeta(r.meta));
      return results;
    },
    // D1ExecResult carries no row counts; changecast runs exec() only in test set-up.
    exec: (exec) => async (query: string) => {
      count.d1(0, 0);
      return exec(query);
    },
    withSession: (withSession) => (...args: unknown[]) => countingD1(withSession(...args)),
  });
}

/**
 * Statements stay the real objects (db.batch() takes only those): their running methods are
 * replaced on the instance. first() returns no metadata, so it runs as all() and picks the row
 * the way D1's first() does. raw() is not used by changecast and is left uncounted.
 */
function countingStatement(stmt: D1PreparedStatement): D1PreparedStatement {
  const bind = stmt.bind.bind(stmt);
  const all = stmt.all.bind(stmt);
  const run = stmt.run.bind(stmt);
  const counting: Partial<D1PreparedStatement> = {
    bind: (...values: unknown[]) => countingStatement(bind(...values)),
    all: (async () => {
      const result = await all();
      countMeta(result.meta);
      return result;
    }) as D1PreparedStatement["all"],
    run: (async () => {
      const result = await run();
      countMeta(result.meta);
      return result;
    }) as D1PreparedStatement["run"],
    first: (async (column?: string) => {
      const result = await all<Record<string, unknown>>();
      countMeta(result.meta);
      const row = result.results[0];
      if (column === undefined) return row ?? null;
      if (row && !(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
      return row?.[column] ?? null;
    }) as D1PreparedStatement["first"],
  };
  return Object.assign(stmt, counting);
}
