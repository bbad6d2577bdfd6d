import { describe, expect, it } from "vitest";
import { backoffCeilingMs, parseRetryAfter, retryDelayMs } from "./backoff.ts";

describe("backoff", () => {
  it.each([
    [1, 500],
    [2, 1000],
    [3, 2000],
    [6, 16_000],
    [7, 30_000],
    [50, 30_000],
    [10_000, 30_000],
  ])("attempt %i has ceiling %i ms", (attempt, ceiling) => {
    expect(backoffCeilingMs(attempt)).toBe(ceiling);
  });

  it.each([
    { attempt: 1, random: 0, retryAfter: null, delay: 0 },
    { attempt: 1, random: 0.5, retryAfter: null, delay: 250 },
    { attempt: 3, random: 0.999, retryAfter: null, delay: 1998 },
    { attempt: 20, random: 0.5, retryAfter: null, delay: 15_000 },
    // Retry-After is a floor, also above the cap
    { attempt: 1, random: 0.5, retryAfter: 2000, delay: 2000 },
    { attempt: 7, random: 0.9, retryAfter: 2000, delay: 27_000 },
    { attempt: 2, random: 0.1, retryAfter: 120_000, delay: 120_000 },
  ])("attempt $attempt, random $random, Retry-After $retryAfter → $delay ms", ({ attempt, random, retryAfter, delay }) => {
    expect(retryDelayMs(attempt, random, retryAfter)).toBe(delay);
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2026-11-28T06:00:00Z");
  it.each([
    [null, null],
    ["", null],
    ["0", 0],
    ["7", 7000],
    [" 30 ", 30_000],
    ["-1", null],
    ["1.5", null],
    ["soon", null],
    ["Sat, 28 Nov 2026 06:00:10 GMT", 10_000],
    ["Sat, 28 Nov 2026 05:59:00 GMT", 0],
  ])("%j → %j ms", (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });
});
