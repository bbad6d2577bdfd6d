/**
 * The run's headline table: per scenario, changecast's figures, the floor's, and their ratios
 * (changes/s and delivered events/s: changecast ÷ floor, higher is better; p99: changecast ÷
 * floor, lower is better; server CPU per change: changecast ÷ floor, what a CPU-bound local
 * run's throughput ratios come down to), the $ figures from the counting run, and issue 7's
 * targets checked against them.
 */
import { round } from "./lib.mjs";

const ratio = (a, b) => (typeof a === "number" && typeof b === "number" && b > 0 ? round(a / b, 3) : null);

function deliveryRow(scenario, cc, fl, extra = {}) {
  return {
    scenario, ...extra,
    changecast: { changesPerSecond: cc.changesPerSecond, deliveriesPerSecond: cc.deliveriesPerSecond, latencyMs: cc.latencyMs, missing: cc.missing, cpuMsPerChange: cc.cpuMsPerChange ?? null },
    floor: { changesPerSecond: fl.changesPerSecond, deliveriesPerSecond: fl.deliveriesPerSecond, latencyMs: fl.latencyMs, missing: fl.missing, cpuMsPerChange: fl.cpuMsPerChange ?? null },
    ratio: { changesPerSecond: ratio(cc.changesPerSecond, fl.changesPerSecond), deliveriesPerSecond: ratio(cc.deliveriesPerSecond, fl.deliveriesPerSecond), p99: ratio(cc.latencyMs.p99, fl.latencyMs.p99), cpuPerChange: ratio(cc.cpuMsPerChange, fl.cpuMsPerChange) },
    ...(cc.cost ? { dollarsPerMillionChanges: cc.cost.dollarsPerMillionChanges, dollarsPerMillionDeliveries: cc.cost.dollarsPerMillionDeliveries } : {}),
  };
}

export function summarize(scenarios) {
  const rows = [];
  for (const b of scenarios.ingest?.batches ?? []) {
    const cc = b.changecast, fl = b.floor;
    rows.push({
      scenario: `ingest, batch ${b.batch}`,
      changecast: { changesPerSecond: cc.changesPerSecond, latencyMs: cc.requestLatencyMs, cpuMsPerChange: cc.cpuMsPerChange ?? null }, floor: { changesPerSecond: fl.changesPerSecond, latencyMs: fl.requestLatencyMs, cpuMsPerChange: fl.cpuMsPerChange ?? null },
      ratio: { changesPerSecond: ratio(cc.changesPerSecond, fl.changesPerSecond), p99: ratio(cc.requestLatencyMs.p99, fl.requestLatencyMs.p99), cpuPerChange: ratio(cc.cpuMsPerChange, fl.cpuMsPerChange) },
    });
  }
  for (const name of ["fanout-1", "fanout-3", "fanout-10", "hot-record"]) {
    const sc = scenarios[name];
    if (sc) rows.push(deliveryRow(name, sc.changecast, sc.floor));
  }
  if (scenarios.fifo) {
    const { changecast: cc, floor: fl } = scenarios.fifo;
    rows.push(deliveryRow("fifo (both routes)", cc, fl));
    for (const route of ["fifo", "none"]) {
      const c = cc.routes[route], f = fl.routes[route];
      rows.push({
        scenario: `fifo: route "${route}"`, orderViolations: c.orderViolations,
        changecast: { deliveriesPerSecond: c.deliveriesPerSecond, latencyMs: c.latencyMs, missing: c.missing },
        floor: { deliveriesPerSecond: f.deliveriesPerSecond, latencyMs: f.latencyMs, missing: f.missing },
        ratio: { deliveriesPerSecond: ratio(c.deliveriesPerSecond, f.deliveriesPerSecond), p99: ratio(c.latencyMs.p99, f.latencyMs.p99) },
      });
    }
  }
  const itty = scenarios.itty ? Object.entries(scenarios.itty.shapes).map(([shape, s]) => ({
    shape, native: { changesPerSecond: s.native.changesPerSecond, latencyMs: s.native.requestLatencyMs }, nativeKv: { changesPerSecond: s["native-kv"].changesPerSecond, latencyMs: s["native-kv"].requestLatencyMs }, itty: { changesPerSecond: s.itty.changesPerSecond, latencyMs: s.itty.requestLatencyMs },
    ittyToNativeKv: { changesPerSecond: ratio(s.itty.changesPerSecond, s["native-kv"].changesPerSecond), p99: ratio(s.itty.requestLatencyMs.p99, s["native-kv"].requestLatencyMs.p99) },
    ittyToNative: { changesPerSecond: ratio(s.itty.changesPerSecond, s.native.changesPerSecond), p50: ratio(s.itty.requestLatencyMs.p50, s.native.requestLatencyMs.p50), p99: ratio(s.itty.requestLatencyMs.p99, s.native.requestLatencyMs.p99) },
  })) : null;
  return { rows, itty, targets: targets(rows) };
}

/** Issue 7's targets, each with the figure it was checked on (null: not measured in this run). */
function targets(rows) {
  const find = (s) => rows.find((r) => r.scenario === s);
  const ingest = rows.filter((r) => r.scenario.startsWith("ingest")).map((r) => r.ratio.changesPerSecond);
  const e2e = ["fanout-1", "fanout-3", "fanout-10"].map(find).filter(Boolean);
  const check = (figure, ok) => ({ figure, met: figure === null || figure === undefined ? null : ok(figure) });
  return {
    "ingest ≥ 0.9 × floor (worst batch size)": check(ingest.length ? Math.min(...ingest) : null, (x) => x >= 0.9),
    "delivered events/s ≥ 0.8 × floor (worst fan-out)": check(e2e.length ? Math.min(...e2e.map((r) => r.ratio.deliveriesPerSecond)) : null, (x) => x >= 0.8),
    "p99 POST→webhook ≤ 1.5 × floor p99 (worst fan-out)": check(e2e.length ? Math.max(...e2e.map((r) => r.ratio.p99)) : null, (x) => x <= 1.5),
    "≤ $0.50 per million deliveries at fan-out 10": check(find("fanout-10")?.dollarsPerMillionDeliveries ?? null, (x) => x <= 0.5),
    "≥ 500 changes/s into one hot record": check(find("hot-record")?.changecast.changesPerSecond ?? null, (x) => x >= 500),
  };
}

export function printSummary(report) {
  const { summary, environment: e } = report;
  console.log(`\n${e.cpuModel}, ${e.cpus} CPUs, load average before ${e.loadAverage.before.join(" ")} / after ${e.loadAverage.after.join(" ")}; commit ${e.commit}; medians of ${report.config.runs} run(s)`);
  console.table(summary.rows.map((r) => ({
    scenario: r.scenario,
    "cc changes/s": r.changecast.changesPerSecond ?? "", "floor changes/s": r.floor.changesPerSecond ?? "", "× in": r.ratio.changesPerSecond ?? "",
    "cc events/s": r.changecast.deliveriesPerSecond ?? "", "floor events/s": r.floor.deliveriesPerSecond ?? "", "× out": r.ratio.deliveriesPerSecond ?? "",
    "cc p50/p99 ms": `${r.changecast.latencyMs.p50}/${r.changecast.latencyMs.p99}`, "floor p50/p99 ms": `${r.floor.latencyMs.p50}/${r.floor.latencyMs.p99}`, "× p99": r.ratio.p99 ?? "",
    "CPU ms/change cc/floor": r.changecast.cpuMsPerChange === undefined ? "" : `${r.changecast.cpuMsPerChange}/${r.floor.cpuMsPerChange}`, "× CPU": r.ratio.cpuPerChange ?? "",
    "$/M deliveries": r.dollarsPerMillionDeliveries ?? "",
  })));
  if (summary.itty) {
    console.log("itty-durable vs native RPC (request latency):");
    console.table(summary.itty.map((r) => ({
      shape: r.shape, "native changes/s": r.native.changesPerSecond, "native-kv changes/s": r.nativeKv.changesPerSecond, "itty changes/s": r.itty.changesPerSecond,
      "itty ÷ native": r.ittyToNative.changesPerSecond, "itty ÷ native-kv": r.ittyToNativeKv.changesPerSecond,
      "native p50/p99 ms": `${r.native.latencyMs.p50}/${r.native.latencyMs.p99}`, "native-kv p50/p99 ms": `${r.nativeKv.latencyMs.p50}/${r.nativeKv.latencyMs.p99}`, "itty p50/p99 ms": `${r.itty.latencyMs.p50}/${r.itty.latencyMs.p99}`,
    })));
  }
  console.log("targets:");
  for (const [name, t] of Object.entries(summary.targets)) console.log(`  ${t.met === null ? "n/a " : t.met ? "met " : "MISS"} ${name}: ${t.figure ?? "not measured"}`);
}
