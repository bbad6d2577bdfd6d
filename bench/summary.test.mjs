/**
 * The headline table's ratios and issue 7's target checks, on hand-made scenario results.
 * Run: node --test bench/*.test.mjs
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { summarize } from "./summary.mjs";

const e2e = (changesPerSecond, deliveriesPerSecond, p99, cost) => ({ changesPerSecond, deliveriesPerSecond, latencyMs: { p50: p99 / 2, p99 }, missing: 0, routes: {}, ...(cost ? { cost } : {}) });
const ingestSide = (changesPerSecond, p99) => ({ changesPerSecond, requestLatencyMs: { p50: p99 / 2, p99 } });

test("ratios are changecast ÷ floor; targets take the worst scenario", () => {
  const { rows, targets } = summarize({
    ingest: { batches: [{ batch: 1, changecast: ingestSide(95, 10), floor: ingestSide(100, 10) }, { batch: 100, changecast: ingestSide(80, 20), floor: ingestSide(100, 10) }] },
    "fanout-1": { changecast: e2e(100, 90, 300), floor: e2e(100, 100, 200) },
    "fanout-10": { changecast: e2e(50, 400, 600), floor: e2e(50, 500, 500) },
    "hot-record": { changecast: e2e(520, 100, 100), floor: e2e(600, 100, 100) },
  });
  assert.deepEqual(rows.map((r) => r.scenario), ["ingest, batch 1", "ingest, batch 100", "fanout-1", "fanout-10", "hot-record"]);
  assert.deepEqual(rows[2].ratio, { changesPerSecond: 1, deliveriesPerSecond: 0.9, p99: 1.5, cpuPerChange: null });
  assert.deepEqual(targets["ingest ≥ 0.9 × floor (worst batch size)"], { figure: 0.8, met: false });
  assert.deepEqual(targets["delivered events/s ≥ 0.8 × floor (worst fan-out)"], { figure: 0.8, met: true });
  assert.deepEqual(targets["p99 POST→webhook ≤ 1.5 × floor p99 (worst fan-out)"], { figure: 1.5, met: true });
  assert.deepEqual(targets["≥ 500 changes/s into one hot record"], { figure: 520, met: true });
  // no bench counters in this run: not measured, neither met nor missed
  assert.deepEqual(targets["≤ $0.50 per million deliveries at fan-out 10"], { figure: null, met: null });
});

test("server CPU per change is compared as changecast ÷ floor", () => {
  const { rows } = summarize({ "fanout-1": { changecast: { ...e2e(100, 90, 300), cpuMsPerChange: 3 }, floor: { ...e2e(100, 100, 200), cpuMsPerChange: 1.2 } } });
  assert.equal(rows[0].ratio.cpuPerChange, 2.5);
  assert.deepEqual([rows[0].changecast.cpuMsPerChange, rows[0].floor.cpuMsPerChange], [3, 1.2]);
});

test("the $ target reads fan-out 10's dollars per million deliveries", () => {
  const cost = { dollarsPerMillionChanges: 6, dollarsPerMillionDeliveries: 0.6 };
  const { rows, targets } = summarize({ "fanout-10": { changecast: e2e(50, 400, 600, cost), floor: e2e(50, 500, 500) } });
  assert.equal(rows[0].dollarsPerMillionDeliveries, 0.6);
  assert.deepEqual(targets["≤ $0.50 per million deliveries at fan-out 10"], { figure: 0.6, met: false });
});
