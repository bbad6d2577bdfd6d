/**
 * shared/delivery/retry-after.ts: Retry-After per RFC 9110 §10.2.3 (delay-seconds or HTTP-date,
 * §5.6.7's three date forms), whole seconds, capped at 24 h, null when absent or unparsable.
 */
import { describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_SECONDS, parseHttpDate, parseRetryAfter } from "./retry-after";

/** The RFC's own example instant: Sun, 06 Nov 1994 08:49:37 GMT. */
const RFC_EXAMPLE = Date.UTC(1994, 10, 6, 8, 49, 37);
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

describe("parseRetryAfter: delay-seconds (RFC 9110 §10.2.3)", () => {
  it.each([
    { why: "the RFC's example", value: "120", expected: 120 },
    { why: "zero: retry at once", value: "0", expected: 0 },
    { why: "leading zeros are still digits", value: "007", expected: 7 },
    { why: "surrounding whitespace (OWS) is ignored", value: "  30 ", expected: 30 },
    { why: "exactly 24 h", value: "86400", expected: 86_400 },
    { why: "over 24 h is capped", value: "86401", expected: MAX_RETRY_AFTER_SECONDS },
    { why: "absurdly large is capped", value: "99999999999999999999999", expected: MAX_RETRY_AFTER_SECONDS },
  ])("$why: $value → $expected", ({ value, expected }) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe("parseRetryAfter: HTTP-date (RFC 9110 §5.6.7)", () => {
  const inSeconds = (s: number) => new Date(NOW + s * 1000).toUTCString();
  it.each([
    { why: "IMF-fixdate 90 s ahead", value: inSeconds(90), now: NOW, expected: 90 },
    { why: "IMF-fixdate exactly now", value: inSeconds(0), now: NOW, expected: 0 },
    { why: "a date in the past → 0", value: inSeconds(-3600), now: NOW, expected: 0 },
    { why: "the RFC example, long past → 0", value: "Sun, 06 Nov 1994 08:49:37 GMT", now: NOW, expected: 0 },
    { why: "a fraction of a second ahead rounds up to 1", value: "Sun, 06 Nov 1994 08:49:37 GMT", now: RFC_EXAMPLE - 200, expected: 1 },
    { why: "IMF-fixdate 2 days ahead is capped at 24 h", value: inSeconds(2 * 86_400), now: NOW, expected: MAX_RETRY_AFTER_SECONDS },
    { why: "RFC 850 form", value: "Sunday, 06-Nov-94 08:49:37 GMT", now: RFC_EXAMPLE - 60_000, expected: 60 },
    { why: "asctime form (space-padded day)", value: "Sun Nov  6 08:49:37 1994", now: RFC_EXAMPLE - 60_000, expected: 60 },
    { why: "asctime form (two-digit day)", value: "Thu Nov 10 08:49:37 1994", now: Date.UTC(1994, 10, 10, 8, 49, 0), expected: 37 },
    { why: "leap second 60 is accepted", value: "Wed, 31 Dec 2025 23:59:60 GMT", now: Date.UTC(2025, 11, 31, 23, 59, 0), expected: 60 },
  ])("$why", ({ value, now, expected }) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([
    { why: "IMF-fixdate", value: "Sun, 06 Nov 1994 08:49:37 GMT", now: NOW },
    { why: "RFC 850, 19xx when 20xx would be > 50 years ahead", value: "Sunday, 06-Nov-94 08:49:37 GMT", now: NOW },
    { why: "asctime", value: "Sun Nov  6 08:49:37 1994", now: NOW },
  ])("all three forms name the same instant: $why", ({ value, now }) => {
    expect(parseHttpDate(value, now)).toBe(RFC_EXAMPLE);
  });

  it.each([
    { why: "'26 in 2026 is this year", value: "Thursday, 15-Jan-26 12:00:00 GMT", now: NOW, year: 2026 },
    { why: "'76 in 2026 is exactly 50 years ahead: kept", value: "Wednesday, 15-Jan-76 12:00:00 GMT", now: NOW, year: 2076 },
    { why: "'77 in 2026 is more than 50 years ahead: 1977", value: "Saturday, 15-Jan-77 12:00:00 GMT", now: NOW, year: 1977 },
    { why: "'05 in 1994 is 2005", value: "Saturday, 15-Jan-05 12:00:00 GMT", now: RFC_EXAMPLE, year: 2005 },
  ])("RFC 850 two-digit years: $why", ({ value, now, year }) => {
    expect(new Date(parseHttpDate(value, now)!).getUTCFullYear()).toBe(year);
  });
});

describe("parseRetryAfter: absent or unparsable → null (caller's own policy applies)", () => {
  it.each([
    { why: "no header", value: null },
    { why: "empty", value: "" },
    { why: "blank", value: "   " },
    { why: "negative", value: "-5" },
    { why: "fraction", value: "1.5" },
    { why: "plus sign", value: "+30" },
    { why: "unit suffix", value: "30s" },
    { why: "words", value: "soon" },
    { why: "ISO 8601 is not an HTTP-date", value: "2026-01-15T12:01:00Z" },
    { why: "zone other than GMT", value: "Thu, 15 Jan 2026 12:01:00 UTC" },
    { why: "lower-case month (HTTP-date is case-sensitive)", value: "Thu, 15 jan 2026 12:01:00 GMT" },
    { why: "single-digit day in IMF-fixdate", value: "Thu, 5 Jan 2026 12:01:00 GMT" },
    { why: "31 February", value: "Tue, 31 Feb 2026 12:00:00 GMT" },
    { why: "day 00", value: "Tue, 00 Feb 2026 12:00:00 GMT" },
    { why: "hour 24", value: "Thu, 15 Jan 2026 24:00:00 GMT" },
    { why: "minute 60", value: "Thu, 15 Jan 2026 12:60:00 GMT" },
    { why: "second 61", value: "Thu, 15 Jan 2026 12:00:61 GMT" },
  ])("$why", ({ value }) => {
    expect(parseRetryAfter(value, NOW)).toBeNull();
  });
});
