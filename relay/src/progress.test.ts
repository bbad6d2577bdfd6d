import { describe, expect, it } from "vitest";
import { formatDuration, formatProgressLine, measureProgress, progressBar } from "./progress.ts";

describe("progress", () => {
  it.each([
    { name: "halfway", done: 500, total: 1000, doneAtStart: 0, seconds: 10, rate: 50, eta: 10 },
    { name: "resumed run counts only this process's rows", done: 900, total: 1000, doneAtStart: 800, seconds: 10, rate: 10, eta: 10 },
    { name: "finished", done: 1000, total: 1000, doneAtStart: 0, seconds: 4, rate: 250, eta: 0 },
    { name: "outgrew the estimate", done: 1200, total: 1000, doneAtStart: 0, seconds: 4, rate: 300, eta: 0 },
    { name: "nothing sent yet: ETA unknown", done: 0, total: 1000, doneAtStart: 0, seconds: 0, rate: 0, eta: null },
  ])("$name", ({ done, total, doneAtStart, seconds, rate, eta }) => {
    const p = measureProgress({ table: "t", done, total, doneAtStart, startedAtMs: 1000, nowMs: 1000 + seconds * 1000 });
    expect(p.ratePerSec).toBe(rate);
    expect(p.etaSeconds).toBe(eta);
  });

  it.each([
    [null, "?"],
    [0, "0:00"],
    [7, "0:07"],
    [725, "12:05"],
    [10_929, "3:02:09"],
  ])("duration %j → %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it.each([
    [0, 100, "[--------]   0%"],
    [50, 100, "[####----]  50%"],
    [100, 100, "[########] 100%"],
    [150, 100, "[########] 100%"],
    [0, 0, "[########] 100%"],
  ])("bar %i/%i", (done, total, text) => {
    expect(progressBar(done, total, 8)).toBe(text);
  });

  it("prints a line for logs and a bar for a terminal", () => {
    const p = { table: "customers", done: 12_500, total: 50_000, ratePerSec: 2500, etaSeconds: 15 };
    expect(formatProgressLine(p, false)).toBe("snapshot customers: 12,500/50,000 rows, 2,500 rows/s, ETA 0:15");
    expect(formatProgressLine(p, true)).toBe("customers [######------------------]  25% 12,500/50,000 rows, 2,500 rows/s, ETA 0:15");
  });
});
