/**
 * Prints a bench report (bench/results/bench-<date>.json) as the Markdown tables README's
 * "Performance" section shows, so the figures there are copied by a program, not by hand.
 *
 *   node bench/table.mjs bench/results/bench-2026-11-28.json
 */
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8"));
const { summary, environment: e } = report;
const n = (x) => (x === null || x === undefined ? "–" : String(x));
const lat = (l) => (l ? `${n(l.p50)} / ${n(l.p99)}` : "–");

console.log(`Measured ${report.date.slice(0, 16).replace("T", " ")} UTC, ${report.minutes} min, commit ${e.commit}: ${e.cpuModel}, ${e.cpus} cores, load average (1/5/15 min) ${e.loadAverage.before.join(" / ")} before, ${e.loadAverage.after.join(" / ")} after; medians of ${report.config.runs} runs.\n`);
console.log("| scenario | changes/s in: changecast / floor (×) | delivered events/s: changecast / floor (×) | POST→webhook p50 / p99 ms: changecast | … floor | × p99 | server CPU ms per change: changecast / floor (×) | $ / M changes | $ / M deliveries |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of summary.rows) {
  const cc = r.changecast, fl = r.floor;
  const inCol = cc.changesPerSecond === undefined ? "–" : `${n(cc.changesPerSecond)} / ${n(fl.changesPerSecond)} (${n(r.ratio.changesPerSecond)})`;
  const outCol = cc.deliveriesPerSecond === undefined ? "–" : `${n(cc.deliveriesPerSecond)} / ${n(fl.deliveriesPerSecond)} (${n(r.ratio.deliveriesPerSecond)})`;
  const cpuCol = cc.cpuMsPerChange === undefined || cc.cpuMsPerChange === null ? "–" : `${n(cc.cpuMsPerChange)} / ${n(fl.cpuMsPerChange)} (${n(r.ratio.cpuPerChange)})`;
  console.log(`| ${r.scenario}${r.orderViolations !== undefined ? ` (order violations: ${r.orderViolations})` : ""} | ${inCol} | ${outCol} | ${lat(cc.latencyMs)} | ${lat(fl.latencyMs)} | ${n(r.ratio.p99)} | ${cpuCol} | ${n(r.dollarsPerMillionChanges)} | ${n(r.dollarsPerMillionDeliveries)} |`);
}
console.log("\n(ingest rows: request latency, POST → answer, instead of POST→webhook)\n");
console.log("| target (issue 7) | figure | met |");
console.log("|---|---|---|");
for (const [name, t] of Object.entries(summary.targets)) console.log(`| ${name} | ${n(t.figure)} | ${t.met === null ? "not measured" : t.met ? "yes" : "no"} |`);
if (summary.itty) {
  console.log("\n| shape | native RPC + SQLite: changes/s, p50 / p99 ms | native RPC + KV (control) | itty-durable 2.4.1 (KV) | itty ÷ native | itty ÷ control |");
  console.log("|---|---|---|---|---|---|");
  for (const r of summary.itty) {
    const f = (x) => `${n(x.changesPerSecond)}, ${lat(x.latencyMs)}`;
    console.log(`| ${r.shape} | ${f(r.native)} | ${f(r.nativeKv)} | ${f(r.itty)} | ${n(r.ittyToNative.changesPerSecond)} | ${n(r.ittyToNativeKv.changesPerSecond)} |`);
  }
}
