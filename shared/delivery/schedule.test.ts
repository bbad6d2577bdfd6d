/**
 * shared/delivery/schedule.ts: the retry delay after n failed attempts, with ±20 % jitter, whole
 * seconds, clamped to [1, 86 400] (Cloudflare Queues' delaySeconds limit), null once spent.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_SCHEDULE } from "../routing/route";
import { MAX_DELAY_SECONDS, retryDelaySeconds } from "./schedule";

describe("retryDelaySeconds", () => {
  it.each([
    { why: "first failure, no jitter (random 0.5)", schedule: [5, 300], attempts: 1, random: 0.5, expected: 5 },
    { why: "second failure, no jitter", schedule: [5, 300], attempts: 2, random: 0.5, expected: 300 },
    { why: "random 0 → −20 %", schedule: [300], attempts: 1, random: 0, expected: 240 },
    { why: "random → 1 → +20 % (rounded)", schedule: [300], attempts: 1, random: 0.999_999_9, expected: 360 },
    { why: "random 0.25 → −10 %", schedule: [300], attempts: 1, random: 0.25, expected: 270 },
    { why: "random 0.75 → +10 %", schedule: [300], attempts: 1, random: 0.75, expected: 330 },
    { why: "rounds to whole seconds (5 × 0.84 = 4.2)", schedule: [5], attempts: 1, random: 0.1, expected: 4 },
    { why: "rounds half up (5 × 1.1 = 5.5)", schedule: [5], attempts: 1, random: 0.75, expected: 6 },
    { why: "never below 1 s (a 0 entry)", schedule: [0], attempts: 1, random: 0, expected: 1 },
    { why: "never below 1 s (1 × 0.8 rounds to 1)", schedule: [1], attempts: 1, random: 0, expected: 1 },
    { why: "never below 1 s (0.4 rounds to 0)", schedule: [0.5], attempts: 1, random: 0, expected: 1 },
    { why: "capped at Queues' 24 h after jitter", schedule: [86_400], attempts: 1, random: 0.9, expected: MAX_DELAY_SECONDS },
    { why: "capped at Queues' 24 h for a longer entry", schedule: [200_000], attempts: 1, random: 0, expected: MAX_DELAY_SECONDS },
    { why: "−20 % of 24 h is under the cap", schedule: [86_400], attempts: 1, random: 0, expected: 69_120 },
    { why: "last entry of the default schedule", schedule: DEFAULT_RETRY_SCHEDULE, attempts: 7, random: 0.5, expected: 36_000 },
    { why: "schedule spent: null (dead letter)", schedule: [5, 300], attempts: 3, random: 0.5, expected: null },
    { why: "default schedule spent after 7 retries", schedule: DEFAULT_RETRY_SCHEDULE, attempts: 8, random: 0.5, expected: null },
    { why: "empty schedule (at-most-once): null at once", schedule: [], attempts: 1, random: 0.5, expected: null },
  ])("$why", ({ schedule, attempts, random, expected }) => {
    expect(retryDelaySeconds(schedule, attempts, random)).toBe(expected);
  });

  it.each([
    { why: "attemptsMade 0 (nothing has failed yet)", schedule: [5], attempts: 0, random: 0.5 },
    { why: "attemptsMade not an integer", schedule: [5], attempts: 1.5, random: 0.5 },
    { why: "random = 1 (outside [0, 1))", schedule: [5], attempts: 1, random: 1 },
    { why: "random negative", schedule: [5], attempts: 1, random: -0.1 },
    { why: "random NaN", schedule: [5], attempts: 1, random: Number.NaN },
    { why: "a NaN schedule entry", schedule: [Number.NaN], attempts: 1, random: 0.5 },
    { why: "a negative schedule entry", schedule: [-5], attempts: 1, random: 0.5 },
  ])("throws RangeError: $why", ({ schedule, attempts, random }) => {
    expect(() => retryDelaySeconds(schedule, attempts, random)).toThrow(RangeError);
  });

  it.each(DEFAULT_RETRY_SCHEDULE.map((base, i) => ({ attempt: i + 1, base })))(
    "jitter stays within ±20 % of $base s over the whole random range (attempt $attempt)",
    ({ attempt, base }) => {
      for (let k = 0; k < 1000; k++) {
        const delay = retryDelaySeconds(DEFAULT_RETRY_SCHEDULE, attempt, k / 1000)!;
        expect(delay).toBeGreaterThanOrEqual(Math.max(1, Math.floor(base * 0.8)));
        expect(delay).toBeLessThanOrEqual(Math.min(MAX_DELAY_SECONDS, Math.ceil(base * 1.2)));
        expect(Number.isInteger(delay)).toBe(true);
      }
    },
  );
});
