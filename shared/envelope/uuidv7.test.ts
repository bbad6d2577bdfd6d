/**
 * Event ids (DESIGN.md "The event": `id` UUIDv7) come from the `uuid` package's v7, called by
 * durable-objects/master-record.ts. These tests pin the RFC 9562 §5.7 layout the event
 * contract relies on, and the time ordering subscribers may sort by.
 */
import { describe, expect, it } from "vitest";
import { v7 } from "uuid";

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function bytesOf(id: string): Uint8Array {
  const hex = id.replaceAll("-", "");
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

/** unix_ts_ms: the first 48 bits, big-endian (RFC 9562 §5.7). */
function unixMsOf(id: string): number {
  return parseInt(id.replaceAll("-", "").slice(0, 12), 16);
}

function filled(byte: number): Uint8Array {
  return new Uint8Array(16).fill(byte);
}

describe("RFC 9562 §5.7 layout", () => {
  it.each([
    { name: "epoch, random all zero", msecs: 0, random: filled(0x00) },
    { name: "epoch, random all ones", msecs: 0, random: filled(0xff) },
    { name: "a 2026 timestamp", msecs: 1_767_225_600_123, random: filled(0xa5) },
    { name: "the largest 48-bit timestamp", msecs: 2 ** 48 - 1, random: filled(0x5a) },
  ])("$name: version 7, variant 10, unix_ts_ms in the first 48 bits", ({ msecs, random }) => {
    const id = v7({ msecs, random });
    const b = bytesOf(id);
    expect(id).toMatch(UUID_TEXT);
    expect(b[6]! >> 4).toBe(0b0111); // §5.7 ver: bits 48–51 = 0111
    expect(b[8]! >> 6).toBe(0b10); // §4.1 var: bits 64–65 = 10
    expect(unixMsOf(id)).toBe(msecs);
  });

  it("reproduces the RFC 9562 Appendix A.6 test vector", () => {
    // unix_ts_ms 0x017F22E279B0; rand_a 0xCC3 and rand_b 0x18C4DC0C0C07398F, fed through the
    // package's 32-bit counter (seq) and the random bytes it copies into rand_b.
    const seq = 0xc * 2 ** 28 + (0xc3 << 20) + (0x18 << 14) + (0xc4 << 6) + 0x37;
    const random = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x0c, 0x0c, 0x07, 0x39, 0x8f]);
    expect(v7({ msecs: 0x017f22e279b0, random, seq })).toBe("017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
  });

  it("ids from the plain generator carry the current time and the same fixed bits", () => {
    const before = Date.now();
    const id = v7();
    const after = Date.now();
    expect(id).toMatch(UUID_TEXT);
    expect(id[14]).toBe("7");
    expect("89ab").toContain(id[19]);
    expect(unixMsOf(id)).toBeGreaterThanOrEqual(before);
    expect(unixMsOf(id)).toBeLessThanOrEqual(after + 1); // §6.2: a counter rollover may borrow 1 ms
  });
});

describe("RFC 9562 §6.2 monotonicity: ids sort (as text) in generation order", () => {
  it.each([
    // Later time wins even when its random part is smaller.
    { name: "1 ms apart, random descending", steps: [{ ms: 1_000, r: 0xff }, { ms: 1_001, r: 0x00 }] },
    { name: "seconds apart", steps: [{ ms: 1_767_225_600_000, r: 0x80 }, { ms: 1_767_225_601_000, r: 0x7f }, { ms: 1_767_225_602_000, r: 0x00 }] },
    { name: "across a 2^32 ms byte boundary", steps: [{ ms: 2 ** 32 - 1, r: 0xff }, { ms: 2 ** 32, r: 0x00 }] },
  ])("time order with explicit timestamps: $name", ({ steps }) => {
    const ids = steps.map(({ ms, r }) => v7({ msecs: ms, random: filled(r) }));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([10, 1_000, 10_000])("%i ids from plain v7() in a row are unique and strictly increasing", (n) => {
    // In workerd Date.now() does not advance within a request, so these mostly share one
    // millisecond: ordering then rests on the package's monotonic counter (§6.2, method 1).
    const ids = Array.from({ length: n }, () => v7());
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(n);
    expect(unixMsOf(ids[ids.length - 1]!)).toBeGreaterThanOrEqual(unixMsOf(ids[0]!));
  });

  it("many ids within one millisecond share its timestamp while sorting in order", () => {
    const ids = Array.from({ length: 100 }, () => v7());
    const sameMs = ids.filter((id) => unixMsOf(id) === unixMsOf(ids[0]!));
    expect(sameMs.length).toBeGreaterThan(1);
    expect([...sameMs].sort()).toEqual(sameMs);
  });
});
