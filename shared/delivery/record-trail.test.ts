import { describe, expect, it } from "vitest";
import { mustReport, parseRecordTrail, type RecordTrailMode, type TrailOutcome } from "./record-trail";

const delivered1: TrailOutcome = { outcome: "delivered", attempt: 1 };
const delivered3: TrailOutcome = { outcome: "delivered", attempt: 3 };
const failed1: TrailOutcome = { outcome: "failed", attempt: 1 };
const dropped: TrailOutcome = { outcome: "dropped", attempt: 1 };
const pinned: TrailOutcome = { outcome: "schema-incompatible", attempt: 1 };

describe("mustReport", () => {
  const cases: { name: string; mode: RecordTrailMode; ordered: boolean; outcomes: TrailOutcome[]; expected: boolean }[] = [
    { name: "nothing settled: nothing to report", mode: "all", ordered: true, outcomes: [], expected: false },
    { name: "first-attempt successes on unordered routes stay in the attempt log", mode: "exceptions", ordered: false, outcomes: [delivered1, delivered1], expected: false },
    { name: "a failure among successes reports the whole event", mode: "exceptions", ordered: false, outcomes: [delivered1, failed1], expected: true },
    { name: "a success after retries closes what the trail showed as retrying", mode: "exceptions", ordered: false, outcomes: [delivered3], expected: true },
    { name: "a dropped route is reported", mode: "exceptions", ordered: false, outcomes: [dropped], expected: true },
    { name: "a schema-pin dead letter is reported", mode: "exceptions", ordered: false, outcomes: [pinned], expected: true },
    { name: "a FIFO route's success releases the next event", mode: "exceptions", ordered: true, outcomes: [delivered1], expected: true },
    { name: "mode all reports routine successes too", mode: "all", ordered: false, outcomes: [delivered1], expected: true },
  ];
  for (const c of cases) it(c.name, () => expect(mustReport(c.mode, c.ordered, c.outcomes)).toBe(c.expected));
});

describe("parseRecordTrail", () => {
  const cases: { raw: string | undefined; expected: ReturnType<typeof parseRecordTrail> }[] = [
    { raw: undefined, expected: { ok: true, mode: "exceptions" } },
    { raw: "", expected: { ok: true, mode: "exceptions" } },
    { raw: "all", expected: { ok: true, mode: "all" } },
    { raw: "exceptions", expected: { ok: true, mode: "exceptions" } },
    { raw: "All", expected: { ok: false, reason: 'RECORD_TRAIL must be one of exceptions, all, not "All"' } },
  ];
  for (const c of cases) it(`${JSON.stringify(c.raw)}`, () => expect(parseRecordTrail(c.raw)).toEqual(c.expected));
});
