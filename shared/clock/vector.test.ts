/**
 * Version vectors (DESIGN.md "Concurrent writers"): the partial order between two vectors,
 * with a missing location counting as 0, and the increment/merge used per accepted change.
 */
import { describe, expect, it } from "vitest";
import { compareVectors, dominates, incrementVector, mergeVectors, type VectorOrder, type VersionVector } from "./vector";

type Case = { name: string; a: VersionVector; b: VersionVector; order: VectorOrder };

const cases: Case[] = [
  { name: "both empty", a: {}, b: {}, order: "equal" },
  { name: "same counts", a: { locA: 2, locB: 1 }, b: { locA: 2, locB: 1 }, order: "equal" },
  { name: "missing key equals an explicit 0", a: { locA: 2, locB: 0 }, b: { locA: 2 }, order: "equal" },
  { name: "one count lower, rest equal", a: { locA: 1, locB: 1 }, b: { locA: 2, locB: 1 }, order: "before" },
  { name: "empty is before any non-zero vector", a: {}, b: { locA: 1 }, order: "before" },
  { name: "missing key is before a present one", a: { locA: 2 }, b: { locA: 2, locB: 1 }, order: "before" },
  { name: "every count higher", a: { locA: 3, locB: 2 }, b: { locA: 2, locB: 1 }, order: "after" },
  { name: "extra location on a", a: { locA: 2, locC: 1 }, b: { locA: 2 }, order: "after" },
  { name: "each higher in a different location", a: { locA: 3, locB: 1 }, b: { locA: 2, locB: 2 }, order: "concurrent" },
  { name: "disjoint locations", a: { locA: 1 }, b: { locB: 1 }, order: "concurrent" },
];

const reverse: Record<VectorOrder, VectorOrder> = { equal: "equal", before: "after", after: "before", concurrent: "concurrent" };

describe("compareVectors", () => {
  it.each(cases)("$name → $order", ({ a, b, order }) => {
    expect(compareVectors(a, b)).toBe(order);
  });

  it.each(cases)("$name: swapping the arguments gives the converse order", ({ a, b, order }) => {
    expect(compareVectors(b, a)).toBe(reverse[order]);
  });
});

describe("dominates: a has seen at least everything b has (equal or after)", () => {
  it.each(cases)("$name", ({ a, b, order }) => {
    expect(dominates(a, b)).toBe(order === "equal" || order === "after");
  });
});

describe("incrementVector", () => {
  it.each<{ name: string; v: VersionVector; location: string; expected: VersionVector }>([
    { name: "first change from a location", v: {}, location: "locA", expected: { locA: 1 } },
    { name: "next change from the same location", v: { locA: 4 }, location: "locA", expected: { locA: 5 } },
    { name: "another location keeps the others", v: { locA: 4 }, location: "locB", expected: { locA: 4, locB: 1 } },
  ])("$name", ({ v, location, expected }) => {
    const before = structuredClone(v);
    const next = incrementVector(v, location);
    expect(next).toEqual(expected);
    expect(v).toEqual(before); // pure: the input vector is never mutated
    expect(compareVectors(next, v)).toBe("after");
  });
});

describe("mergeVectors: componentwise maximum (least upper bound)", () => {
  it.each<{ name: string; a: VersionVector; b: VersionVector; expected: VersionVector }>([
    { name: "empty with empty", a: {}, b: {}, expected: {} },
    { name: "empty with one", a: {}, b: { locA: 2 }, expected: { locA: 2 } },
    { name: "disjoint", a: { locA: 2 }, b: { locB: 3 }, expected: { locA: 2, locB: 3 } },
    { name: "overlapping, max per key", a: { locA: 5, locB: 1 }, b: { locA: 2, locB: 3, locC: 1 }, expected: { locA: 5, locB: 3, locC: 1 } },
  ])("$name", ({ a, b, expected }) => {
    const merged = mergeVectors(a, b);
    expect(merged).toEqual(expected);
    expect(mergeVectors(b, a)).toEqual(expected);
    expect(dominates(merged, a)).toBe(true);
    expect(dominates(merged, b)).toBe(true);
  });
});
