/**
 * The two pipelines `npm run bench` drives with the same load generator and the same sinks:
 * - changecast: the real Worker (wrangler.toml at the root) as deployed, without counters; the
 *   bench tenant, location and routes are created through the admin API (setUpBenchTenant);
 * - floor: bench/floor, the irreducible work only; its routes are given as a --var.
 * `start` answers {s, key, path, counters}: the server, the bearer key for ingest, the ingest
 * path, and the cost counters when asked for ({counters: true}: changecast with BENCH_COUNTERS=1,
 * GET /__bench/counters). Timed runs go to servers without counters: counting every SQLite
 * cursor, queue body and RPC took 7–8 % of the Worker's CPU (bench/profile.mjs), which the
 * floor does not pay; the cost comes from a separate counting server.
 */
import { call, setUpBenchTenant, startServer } from "./lib.mjs";
import { newSecret } from "./receivers.mjs";

/** `routes`: [{name, body}] (body: changecast route fields); each gets receiver slot i and path `/${pipeline}/${scenario}/${name}`. */
export const routePaths = (pipeline, scenario, routes) => routes.map((r) => `/${pipeline}/${scenario}/${r.name}`);

async function startChangecast(ctx, { app, token, receivers }, scenario, routes, { counters = false } = {}) {
  const s = await startServer(ctx, app, `changecast-${scenario}`, counters ? { vars: { BENCH_COUNTERS: "1" } } : {});
  const paths = routePaths("changecast", scenario, routes);
  let key;
  if (routes.length) {
    const set = await setUpBenchTenant(ctx, s, token, routes.map((r, i) => ({ name: r.name, url: receivers.url(i, paths[i]), body: r.body ?? {} })));
    set.routes.forEach((r, i) => receivers.secrets.set(paths[i], r.secret));
    key = set.key;
  } else {
    await call(ctx, s.base, "POST", "/admin/v1/tenants", token, { id: "bench", name: "Bench" });
    ({ key } = await call(ctx, s.base, "POST", "/admin/v1/tenants/bench/locations", token, { id: "store-1", name: "Store 1" }));
  }
  return { s, key, path: "/v1/changes", paths, counters: counters ? await costCounters(ctx, s, token) : null };
}

async function startFloor(ctx, { app, receivers }, scenario, routes) {
  const paths = routePaths("floor", scenario, routes);
  const list = paths.map((p, i) => ({ url: receivers.url(i, p), secret: newSecret() }));
  paths.forEach((p, i) => receivers.secrets.set(p, list[i].secret));
  const s = await startServer(ctx, app, `floor-${scenario}`, { config: "bench/floor/wrangler.toml", vars: { FLOOR_ROUTES: JSON.stringify(list) } });
  return { s, key: "floor-key", path: "/v1/changes", paths, counters: null };
}

export const PIPELINES = { changecast: startChangecast, floor: startFloor };

/**
 * The real Worker's bench-mode counters, when it has them (404 otherwise): operation counts and
 * list-price dollars since the last reset.
 */
async function costCounters(ctx, s, token) {
  const res = await fetch(`${s.base}/__bench/counters`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) }).catch(() => null);
  if (!res?.ok) {
    await res?.body?.cancel();
    return null;
  }
  await res.body?.cancel();
  return {
    reset: () => call(ctx, s.base, "POST", "/__bench/counters/reset", token),
    read: () => call(ctx, s.base, "GET", "/__bench/counters", token),
  };
}
