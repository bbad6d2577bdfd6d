/**
 * Conformance of shared/clock/hlc.ts with Kulkarni, Demirbas et al., "Logical Physical
 * Clocks" (2014), Fig. 5, and with DESIGN.md's text form `<15-digit ms>-<6-digit logical>`.
 */
import { describe, expect, it } from "vitest";
import { checkSkew, compareHlc, formatHlc, HLC_ZERO, MAX_LOGICAL, parseHlc, tickLocal, tickReceive, type Hlc } from "./hlc";

const h = (wall: number, logical: number): Hlc => ({ wall, logical });

describe("HLC Fig. 5, send or local event: l := max(l', pt); c := l = l' ? c' + 1 : 0", () => {
  it.each([
    { rule: "pt wins: l := pt, c := 0", local: h(100, 5), pt: 200, expected: h(200, 0) },
    { rule: "l' wins over a lagging pt: c := c' + 1", local: h(200, 5), pt: 150, expected: h(200, 6) },
    { rule: "pt = l': c := c' + 1", local: h(200, 5), pt: 200, expected: h(200, 6) },
    { rule: "first event from zero", local: HLC_ZERO, pt: 1_700_000_000_000, expected: h(1_700_000_000_000, 0) },
    { rule: "overflow carry: c' = MAX_LOGICAL carries into l", local: h(200, MAX_LOGICAL), pt: 150, expected: h(201, 0) },
    { rule: "no carry when pt wins even at MAX_LOGICAL", local: h(200, MAX_LOGICAL), pt: 300, expected: h(300, 0) },
  ])("$rule", ({ local, pt, expected }) => {
    expect(tickLocal(local, pt)).toEqual(expected);
  });
});

describe("HLC Fig. 5, receive event of m: l := max(l', l.m, pt); c by which term won", () => {
  it.each([
    { rule: "pt wins: c := 0", local: h(100, 3), remote: h(150, 7), pt: 200, expected: h(200, 0) },
    { rule: "l' wins: c := c' + 1", local: h(300, 3), remote: h(150, 7), pt: 200, expected: h(300, 4) },
    { rule: "l.m wins: c := c.m + 1", local: h(100, 3), remote: h(300, 7), pt: 200, expected: h(300, 8) },
    { rule: "l' = l.m tie (remote c larger): c := max(c', c.m) + 1", local: h(300, 3), remote: h(300, 7), pt: 200, expected: h(300, 8) },
    { rule: "l' = l.m tie (local c larger): c := max(c', c.m) + 1", local: h(300, 9), remote: h(300, 2), pt: 200, expected: h(300, 10) },
    { rule: "l' = l.m = pt: still the tie rule", local: h(300, 3), remote: h(300, 7), pt: 300, expected: h(300, 8) },
    { rule: "l' = pt > l.m: c := c' + 1", local: h(300, 3), remote: h(100, 9), pt: 300, expected: h(300, 4) },
    { rule: "l.m = pt > l': c := c.m + 1", local: h(100, 9), remote: h(300, 3), pt: 300, expected: h(300, 4) },
    { rule: "overflow carry on the tie rule", local: h(300, MAX_LOGICAL), remote: h(300, 5), pt: 0, expected: h(301, 0) },
    { rule: "overflow carry when l.m wins", local: h(100, 0), remote: h(300, MAX_LOGICAL), pt: 0, expected: h(301, 0) },
  ])("$rule", ({ local, remote, pt, expected }) => {
    expect(tickReceive(local, remote, pt)).toEqual(expected);
  });
});

/** Deterministic pseudo-random source (LCG) so the property run is reproducible. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("HLC paper, Theorem 1 and §3: l never goes backwards, (l, c) strictly increases, l ≥ pt", () => {
  it.each([1, 7, 42, 1234, 99_999])("holds over 2,000 mixed events (seed %i)", (seed) => {
    const rnd = lcg(seed);
    let pt = 1_000_000;
    let clock: Hlc = HLC_ZERO;
    for (let i = 0; i < 2_000; i++) {
      // Physical time mostly stalls or creeps, sometimes steps back (NTP), sometimes jumps.
      const r = rnd();
      pt += r < 0.4 ? 0 : r < 0.8 ? 1 : r < 0.9 ? -Math.floor(rnd() * 50) : Math.floor(rnd() * 100);
      // Logical counters near the cap exercise the carry too.
      const remote = h(pt + Math.floor(rnd() * 80) - 40, rnd() < 0.05 ? MAX_LOGICAL : Math.floor(rnd() * 10));
      const receive = rnd() < 0.5;
      const next = receive ? tickReceive(clock, remote, pt) : tickLocal(clock, pt);
      expect(next.wall).toBeGreaterThanOrEqual(clock.wall);
      expect(compareHlc(next, clock)).toBeGreaterThan(0);
      expect(next.wall).toBeGreaterThanOrEqual(pt);
      expect(next.logical).toBeLessThanOrEqual(MAX_LOGICAL);
      // Receive happens after the send: hlc(send) < hlc(receive).
      if (receive) expect(compareHlc(next, remote)).toBeGreaterThan(0);
      clock = next;
    }
  });
});

describe("HLC text form (DESIGN.md: `<15-digit ms>-<6-digit logical>`, sorts as text)", () => {
  it.each([
    { clock: h(0, 0), text: "000000000000000-000000" },
    { clock: h(1_767_225_600_000, 0), text: "001767225600000-000000" },
    { clock: h(1_767_225_600_000, 42), text: "001767225600000-000042" },
    { clock: h(999_999_999_999_999, MAX_LOGICAL), text: "999999999999999-999999" },
  ])("formats $clock.wall/$clock.logical as $text and parses it back", ({ clock, text }) => {
    expect(formatHlc(clock)).toBe(text);
    expect(parseHlc(text)).toEqual(clock);
  });

  it.each([
    "",
    "1767225600000-0",
    "01767225600000-000000",
    "001767225600000-0000000",
    "001767225600000_000000",
    "-01767225600000-000000",
    "001767225600000-00000a",
    " 001767225600000-000000",
    "001767225600000-000000\n",
  ])("refuses malformed text %j", (text) => {
    expect(parseHlc(text)).toBeNull();
  });

  it("orders text exactly as compareHlc orders clocks", () => {
    const rnd = lcg(5);
    const clocks = Array.from({ length: 500 }, () => h(1_700_000_000_000 + Math.floor(rnd() * 2_000) * (rnd() < 0.5 ? 1 : 1_000_000), Math.floor(rnd() * 1_000)));
    clocks.push(h(9, MAX_LOGICAL), h(10, 0), h(10, 1), h(100, 0));
    const byClock = [...clocks].sort(compareHlc).map(formatHlc);
    const byText = clocks.map(formatHlc).sort();
    expect(byText).toEqual(byClock);
  });
});

describe("checkSkew: a remote clock more than maxSkewMs ahead of pt is refused", () => {
  const pt = 1_767_225_600_000;
  it.each([
    { name: "behind our clock", remote: h(pt - 10_000, 3), expected: { ok: true } },
    { name: "equal to our clock", remote: h(pt, 0), expected: { ok: true } },
    { name: "exactly at the limit", remote: h(pt + 500, MAX_LOGICAL), expected: { ok: true } },
    { name: "1 ms beyond the limit", remote: h(pt + 501, 0), expected: { ok: false, aheadMs: 501 } },
    { name: "far ahead", remote: h(pt + 3_600_000, 0), expected: { ok: false, aheadMs: 3_600_000 } },
  ])("$name", ({ remote, expected }) => {
    expect(checkSkew(remote, pt, 500)).toEqual(expected);
  });

  it("a zero limit refuses any clock ahead of pt", () => {
    expect(checkSkew(h(pt + 1, 0), pt, 0)).toEqual({ ok: false, aheadMs: 1 });
    expect(checkSkew(h(pt, 5), pt, 0)).toEqual({ ok: true });
  });
});
