/**
 * RouteHealth: one object per (tenant, route) holding what every delivery-consumer invocation
 * shares about that route: breaker, rate, in-flight leases, receiver blocks
 * (shared/delivery/route-health.ts). State lives in memory and in one SQLite row. The delivery
 * consumer calls the batch forms (one acquireMany and one releaseMany per route per batch); the
 * single forms serve one-off callers and tests.
 */
import { DurableObject } from "cloudflare:workers";
import {
  acquire, describeHealth, durableKey, HEALTH_STATE_VERSION, initialHealth, release,
  type AttemptResult, type HealthConfig, type HealthEffects, type HealthState, type HealthView, type Permit,
} from "../shared/delivery/route-health";
import { acquireMany, releaseMany, type LeaseResult } from "../shared/delivery/route-health-batch";
import { benchSql } from "../workers/bench/object";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS health (
  k INTEGER PRIMARY KEY CHECK (k = 1),
  state TEXT NOT NULL
);`;

/** The object of one route. JSON names the pair unambiguously (a tenant id may hold any character). */
export function routeHealthStub(ns: DurableObjectNamespace<RouteHealth>, tenant: string, routeId: string): DurableObjectStub<RouteHealth> {
  return ns.get(ns.idFromName(JSON.stringify([tenant, routeId])));
}

/**
 * No RPC method awaits anything, so each one runs to completion before the next starts: the
 * read-decide-write of a permit needs no lock. A write holds the answer back (output gate) until
 * it is durable; most calls skip the write (see `durableKey`).
 */
export class RouteHealth extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  #state: HealthState;
  /** durableKey of the stored row: a call whose state keeps this key does not write. */
  #storedKey: string;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = benchSql("RouteHealth", ctx, env); // ctx.storage.sql, counting rows only when BENCH_COUNTERS=1
    this.#sql.exec(SCHEMA);
    const row = this.#sql.exec<{ state: string }>("SELECT state FROM health WHERE k = 1").toArray()[0];
    this.#state = row ? readState(row.state) : initialHealth();
    this.#storedKey = row ? durableKey(this.#state) : durableKey(initialHealth());
  }

  /** May one attempt start now? Without a lease id the object makes one (returned in the permit). */
  acquire(cfg: HealthConfig, leaseId?: string): Permit {
    const out = acquire(this.#state, cfg, Date.now(), leaseId ?? crypto.randomUUID());
    this.#adopt(out.state);
    return out.permit;
  }

  /** The attempt under `leaseId` ended; the effects tell the consumer to notify or disable the route. */
  release(cfg: HealthConfig, leaseId: string, result: AttemptResult): HealthEffects {
    const out = release(this.#state, cfg, leaseId, result, Date.now());
    this.#adopt(out.state);
    return out.effects;
  }

  /**
   * Permits for a consumer batch's deliveries to this route, in one call (the consumer makes the
   * lease ids, so a retried call after a lost answer gets the same grants, spending nothing twice).
   */
  acquireMany(cfg: HealthConfig, leaseIds: string[], startWithinMs = 0): Permit[] {
    const out = acquireMany(this.#state, cfg, Date.now(), leaseIds, startWithinMs);
    this.#adopt(out.state);
    return out.permits;
  }

  /** The batch's attempts ended, listed as they finished; the batch's effects, each reported once. */
  releaseMany(cfg: HealthConfig, results: LeaseResult[], unused: string[] = []): HealthEffects {
    const out = releaseMany(this.#state, cfg, results, Date.now(), unused);
    this.#adopt(out.state);
    return out.effects;
  }

  health(): HealthView {
    return describeHealth(this.#state, Date.now());
  }

  #adopt(next: HealthState): void {
    this.#state = next;
    const key = durableKey(next);
    if (key === this.#storedKey) return;
    this.#sql.exec("INSERT INTO health (k, state) VALUES (1, ?) ON CONFLICT (k) DO UPDATE SET state = excluded.state", JSON.stringify(next));
    this.#storedKey = key;
  }
}

/**
 * Only v1 exists. A row this code cannot read (a newer version after a rollback) starts over as
 * healthy: the worst case is a breaker that has to trip again, never a route stuck closed off.
 */
function readState(text: string): HealthState {
  const state = JSON.parse(text) as HealthState;
  if (state.v === HEALTH_STATE_VERSION) return state;
  console.warn(`route health: stored state v${String(state.v)} is not v${HEALTH_STATE_VERSION}; starting over`);
  return initialHealth();
}
