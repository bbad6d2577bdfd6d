/**
 * applyChange: each op's effect on the record (DESIGN.md "Vocabulary"), clocks (HLC receive
 * rule, Lamport, per-record sequence), "Concurrent writers" and the rekey hand-off.
 */
import { describe, expect, it } from "vitest";
import type { Change } from "../change/schema";
import { formatHlc } from "../clock/hlc";
import { applyChange, type Applied, type ApplyContext } from "./apply-change";
import { adoptCarriedState, carryState, GENESIS_HASH, initialRecordState, type RecordState } from "./state";

const NOW = Date.parse("2026-03-01T08:00:00.000Z");
const at = (ms: number) => new Date(ms).toISOString();

const ctx = (overrides: Partial<ApplyContext> = {}): ApplyContext => ({
  tenant: "acme",
  location: "locA",
  typePrefix: "io.changecast",
  recordType: "customer",
  recordId: "c1",
  now: NOW,
  eventId: "01936b2e-1f4a-7c3d-9e5f-0a1b2c3d4e5f",
  maxSkewMs: 500,
  ...overrides,
});

let n = 0;
const change = (op: Change["op"], extra: Partial<Change> = {}): Change => ({ id: `chg-${++n}`, recordType: "customer", recordId: "c1", op, occurredAt: at(NOW - 1_000), ...extra });

function ok(result: ReturnType<typeof applyChange>): Applied {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.error)}`);
  return result;
}

/** Applies changes in turn from an empty record, each one second later at the edge. */
function run(steps: { change: Change; ctx?: Partial<ApplyContext> }[], from = initialRecordState()): Applied[] {
  const out: Applied[] = [];
  let state = from;
  steps.forEach((s, i) => {
    const applied = ok(applyChange(state, s.change, ctx({ now: NOW + i * 1_000, ...s.ctx })));
    out.push(applied);
    state = applied.state;
  });
  return out;
}

const ADA = { name: "Ada", tier: "gold" };
const active = (): RecordState => run([{ change: change("insert", { data: ADA }) }])[0]!.state;

describe("each op from an active record { name: Ada, tier: gold }", () => {
  it.each([
    { op: "insert", extra: { data: { name: "Bo" } }, snapshot: { name: "Bo" }, status: "active", changed: ["name", "tier"] },
    { op: "update", extra: { data: { tier: "platinum" } }, snapshot: { name: "Ada", tier: "platinum" }, status: "active", changed: ["tier"] },
    { op: "update", extra: { data: { tier: "gold" } }, snapshot: ADA, status: "active", changed: [] },
    { op: "update", extra: { data: { email: "ada@example.com" } }, snapshot: { ...ADA, email: "ada@example.com" }, status: "active", changed: ["email"] },
    { op: "delete", extra: {}, snapshot: null, status: "deleted", changed: ["name", "tier"] },
    { op: "soft_delete", extra: {}, snapshot: ADA, status: "soft_deleted", changed: [] },
    { op: "soft_delete", extra: { data: { deletedBy: "ops" } }, snapshot: { ...ADA, deletedBy: "ops" }, status: "soft_deleted", changed: ["deletedBy"] },
    { op: "restore", extra: {}, snapshot: ADA, status: "active", changed: [] },
    { op: "reparent", extra: { parent: { type: "location", id: "l2" } }, snapshot: ADA, status: "active", changed: [] },
    { op: "rekey", extra: { newRecordId: "c2" }, snapshot: ADA, status: "active", changed: [] },
    { op: "snapshot", extra: { data: { name: "Ada L." } }, snapshot: { name: "Ada L." }, status: "active", changed: ["name", "tier"] },
  ] as const)("$op $extra → snapshot $snapshot, status $status, changed $changed", ({ op, extra, snapshot, status, changed }) => {
    const before = active();
    const { state, event } = ok(applyChange(before, change(op, extra as Partial<Change>), ctx({ now: NOW + 1_000 })));
    expect(state.snapshot).toEqual(snapshot);
    expect(state.status).toBe(status);
    expect(event.data).toMatchObject({ op, before: ADA, after: snapshot, changed });
    expect(event.data.conflict).toBeUndefined();
  });

  it("an explicit `before` from the location is carried as sent", () => {
    const { event } = ok(applyChange(active(), change("update", { data: { tier: "x" }, before: { tier: "silver" } }), ctx()));
    expect(event.data.before).toEqual({ tier: "silver" });
  });

  it("insert on an absent record: before null, status active", () => {
    const [a] = run([{ change: change("insert", { data: ADA }) }]);
    expect(a!.state).toMatchObject({ status: "active", snapshot: ADA });
    expect(a!.event.data).toMatchObject({ before: null, after: ADA, changed: ["name", "tier"] });
  });

  it("soft_delete then restore comes back active with the merged image", () => {
    const [, , r] = run([{ change: change("insert", { data: ADA }) }, { change: change("soft_delete") }, { change: change("restore", { data: { tier: "silver" } }) }]);
    expect(r!.state).toMatchObject({ status: "active", snapshot: { name: "Ada", tier: "silver" } });
  });

  it("reparent records the new parent and the previous one", () => {
    const [, first, second] = run([
      { change: change("insert", { data: ADA }) },
      { change: change("reparent", { parent: { type: "location", id: "l1" } }) },
      { change: change("reparent", { parent: { type: "location", id: "l2" } }) },
    ]);
    expect(first!.event.data).toMatchObject({ parent: { type: "location", id: "l1" }, previousParent: null });
    expect(second!.event.data).toMatchObject({ parent: { type: "location", id: "l2" }, previousParent: { type: "location", id: "l1" } });
    expect(second!.state.parent).toEqual({ type: "location", id: "l2" });
  });

  it("rekey sets rekeyedTo and the event's newRecordId; any later change is refused", () => {
    const { state, event } = ok(applyChange(active(), change("rekey", { newRecordId: "c2" }), ctx()));
    expect(state.rekeyedTo).toBe("c2");
    expect(event.data.newRecordId).toBe("c2");
    expect(event.type).toBe("io.changecast.customer.rekeyed");
    for (const op of ["update", "delete", "rekey"] as const) {
      expect(applyChange(state, change(op, { data: {}, newRecordId: "c3" }), ctx())).toEqual({ ok: false, error: { field: "recordId", reason: expect.stringContaining('"c2"') } });
    }
  });

  it.each(["insert", "update", "delete", "soft_delete", "restore", "snapshot"] as const)("%s leaves parent and rekeyedTo alone", (op) => {
    const withParent = run([{ change: change("insert", { data: ADA }) }, { change: change("reparent", { parent: { type: "location", id: "l1" } }) }])[1]!.state;
    const { state, event } = ok(applyChange(withParent, change(op, { data: { x: 1 } }), ctx({ now: NOW + 5_000 })));
    expect(state.parent).toEqual({ type: "location", id: "l1" });
    expect(state.rekeyedTo).toBeNull();
    expect("parent" in event.data || "newRecordId" in event.data).toBe(false);
  });
});

describe("sequence, Lamport and vector advance by one per accepted change", () => {
  it("over five changes from two locations", () => {
    const results = run([
      { change: change("insert", { data: ADA }) },
      { change: change("update", { data: { a: 1 } }) },
      { change: change("update", { data: { a: 2 } }), ctx: { location: "locB" } },
      { change: change("soft_delete") },
      { change: change("restore") },
    ]);
    expect(results.map((r) => r.state.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(results.map((r) => r.event.sequence)).toEqual([1, 2, 3, 4, 5].map((i) => String(i).padStart(20, "0")));
    expect(results.map((r) => r.event.lamport)).toEqual([1, 2, 3, 4, 5]);
    expect(results.map((r) => r.event.data.vector)).toEqual([{ locA: 1 }, { locA: 2 }, { locA: 2, locB: 1 }, { locA: 3, locB: 1 }, { locA: 4, locB: 1 }]);
    expect(results[2]!.event.location).toBe("locB");
  });
});

describe("HLC stamping (HLC paper Fig. 5; DESIGN.md `hlc`)", () => {
  const prior = { ...initialRecordState(), hlc: { wall: NOW, logical: 4 } };
  it.each([
    { name: "no sender hlc, pt ahead: send rule, pt wins", state: initialRecordState(), hlc: undefined, now: NOW, expected: { wall: NOW, logical: 0 } },
    { name: "no sender hlc, same ms: send rule, c + 1", state: prior, hlc: undefined, now: NOW, expected: { wall: NOW, logical: 5 } },
    { name: "sender hlc ahead within skew: receive rule, remote wins", state: prior, hlc: formatHlc({ wall: NOW + 100, logical: 7 }), now: NOW, expected: { wall: NOW + 100, logical: 8 } },
    { name: "sender hlc exactly at the skew limit is accepted", state: prior, hlc: formatHlc({ wall: NOW + 500, logical: 0 }), now: NOW, expected: { wall: NOW + 500, logical: 1 } },
    { name: "sender hlc behind: receive rule, local wins", state: prior, hlc: formatHlc({ wall: NOW - 9_000, logical: 99 }), now: NOW, expected: { wall: NOW, logical: 5 } },
    { name: "sender hlc ties local: max(c) + 1", state: prior, hlc: formatHlc({ wall: NOW, logical: 9 }), now: NOW - 1, expected: { wall: NOW, logical: 10 } },
  ])("$name", ({ state, hlc, now, expected }) => {
    const { state: next, event } = ok(applyChange(state, change("update", { data: {}, ...(hlc ? { hlc } : {}) }), ctx({ now })));
    expect(next.hlc).toEqual(expected);
    expect(event.hlc).toBe(formatHlc(expected));
  });

  it.each([
    { name: "1 ms beyond the skew limit", hlc: formatHlc({ wall: NOW + 501, logical: 0 }), reason: /501 ms ahead/ },
    { name: "an hour ahead", hlc: formatHlc({ wall: NOW + 3_600_000, logical: 0 }), reason: /3600000 ms ahead/ },
    { name: "not an HLC", hlc: "yesterday", reason: /not an HLC/ },
  ])("refuses a sender hlc $name with field `hlc`, leaving the state alone", ({ hlc, reason }) => {
    const state = active();
    const result = applyChange(state, change("update", { data: {}, hlc }), ctx());
    expect(result).toEqual({ ok: false, error: { field: "hlc", reason: expect.stringMatching(reason) } });
    expect(state).toEqual(active()); // pure: nothing moved
  });
});

describe('DESIGN.md "Concurrent writers": conflict detection', () => {
  // locA made two changes, locB one: vector { locA: 2, locB: 1 }, locB's latest clock at NOW - 500.
  const base = () =>
    run([
      { change: change("insert", { data: ADA, occurredAt: at(NOW - 3_000) }) },
      { change: change("update", { data: { tier: "silver" }, occurredAt: at(NOW - 2_000) }) },
      { change: change("update", { data: { tier: "bronze" }, occurredAt: at(NOW - 500) }), ctx: { location: "locB" } },
    ])[2]!.state;

  it.each<{ name: string; basedOn: Record<string, number>; conflict: boolean }>([
    { name: "basedOn equal to the record's vector", basedOn: { locA: 2, locB: 1 }, conflict: false },
    { name: "basedOn ahead of the record's vector (dominates)", basedOn: { locA: 3, locB: 1 }, conflict: false },
    { name: "basedOn missing a location's change", basedOn: { locA: 2 }, conflict: true },
    { name: "basedOn behind on its own location", basedOn: { locA: 1, locB: 1 }, conflict: true },
    { name: "basedOn concurrent with the record", basedOn: { locA: 1, locB: 2 }, conflict: true },
    { name: "empty basedOn", basedOn: {}, conflict: true },
  ])("with basedOn: $name → conflict $conflict", ({ basedOn, conflict }) => {
    // The change is newer than everything: basedOn alone decides, and it always wins the snapshot.
    const { event, state } = ok(applyChange(base(), change("update", { data: { tier: "gold" }, basedOn, occurredAt: at(NOW) }), ctx({ now: NOW + 1_000 })));
    expect(event.data.conflict === true).toBe(conflict);
    expect(event.data.superseded).toBeUndefined();
    expect(state.snapshot).toEqual({ name: "Ada", tier: "gold" });
  });

  it.each([
    { name: "older than another location's latest", location: "locA", occurredAt: at(NOW - 1_000), hlc: undefined, conflict: true },
    { name: "newer than another location's latest", location: "locA", occurredAt: at(NOW - 100), hlc: undefined, conflict: false },
    { name: "equal to another location's latest", location: "locA", occurredAt: at(NOW - 500), hlc: undefined, conflict: false },
    { name: "older than only its own location's latest", location: "locB", occurredAt: at(NOW - 1_000), hlc: undefined, conflict: false },
    { name: "a new location older than both", location: "locC", occurredAt: at(NOW - 2_500), hlc: undefined, conflict: true },
    { name: "sender hlc older than locB's latest", location: "locA", occurredAt: at(NOW), hlc: formatHlc({ wall: NOW - 600, logical: 0 }), conflict: true },
    { name: "sender hlc newer than locB's latest", location: "locA", occurredAt: at(NOW - 9_000), hlc: formatHlc({ wall: NOW - 500, logical: 1 }), conflict: false },
  ])("without basedOn: $name → conflict $conflict", ({ location, occurredAt, hlc, conflict }) => {
    const { event } = ok(applyChange(base(), change("update", { data: { tier: "gold" }, occurredAt, ...(hlc ? { hlc } : {}) }), ctx({ location, now: NOW + 1_000 })));
    expect(event.data.conflict === true).toBe(conflict);
  });

  it("last writer by HLC wins: an older concurrent change is recorded, flagged superseded, and does not overwrite", () => {
    const state = base();
    const { event, state: next } = ok(applyChange(state, change("update", { data: { tier: "gold" }, occurredAt: at(NOW - 1_000) }), ctx({ now: NOW + 1_000 })));
    expect(event.data).toMatchObject({ conflict: true, superseded: true, proposed: { tier: "gold" }, before: state.snapshot, after: state.snapshot, changed: [] });
    expect(next.snapshot).toEqual(state.snapshot);
    expect(next.snapshotClock).toBe(state.snapshotClock);
    expect(next.sequence).toBe(state.sequence + 1);
    expect(next.vector).toEqual({ locA: 3, locB: 1 });
    expect(next.lastClockByLocation.locA).toBe(formatHlc({ wall: NOW - 1_000, logical: 0 }));
  });

  it("a superseded reparent or delete does not move parent or status", () => {
    const state = base();
    const older = at(NOW - 1_000);
    const re = ok(applyChange(state, change("reparent", { parent: { type: "location", id: "l9" }, occurredAt: older }), ctx({ now: NOW + 1_000 })));
    expect(re.state.parent).toBeNull();
    const del = ok(applyChange(state, change("delete", { occurredAt: older }), ctx({ now: NOW + 1_000 })));
    expect(del.state).toMatchObject({ status: "active", snapshot: state.snapshot });
  });
});

describe("rekey hand-off: carryState / adoptCarriedState", () => {
  const rekeyed = () => run([{ change: change("insert", { data: ADA }) }, { change: change("update", { data: { tier: "silver" } }) }, { change: change("rekey", { newRecordId: "c2" }) }])[2]!.state;

  it("carryState drops the old key's alias and chain position and names where it came from", () => {
    const old = { ...rekeyed(), headHash: "a".repeat(64) };
    const carried = carryState(old, "c1");
    expect(carried.fromRecordId).toBe("c1");
    for (const k of ["rekeyedTo", "chainAnchor", "chainStart"]) expect(k in carried).toBe(false);
    expect(carried).toMatchObject({ sequence: 3, lamport: 3, snapshot: { name: "Ada", tier: "silver" }, headHash: "a".repeat(64) });
  });

  it("a fresh key adopts the stream: sequence continues, chain anchored on the old head", () => {
    const old = { ...rekeyed(), headHash: "b".repeat(64) };
    const adopted = adoptCarriedState(initialRecordState(), carryState(old, "c1"));
    expect(adopted).toMatchObject({ sequence: 3, lamport: 3, hlc: old.hlc, vector: old.vector, snapshot: old.snapshot, status: "active", rekeyedTo: null, rekeyedFrom: "c1", chainAnchor: "b".repeat(64), chainStart: 4, headHash: "b".repeat(64) });
    const next = ok(applyChange(adopted, change("update", { recordId: "c2", data: { tier: "gold" } }), ctx({ recordId: "c2", now: NOW + 10_000 })));
    expect(next.state.sequence).toBe(4);
    expect(next.event).toMatchObject({ subject: "customer/c2", lamport: 4, data: { before: old.snapshot, after: { name: "Ada", tier: "gold" } } });
  });

  it("a carried absent status becomes active", () => {
    const carried = carryState({ ...initialRecordState(), sequence: 1, status: "absent" }, "c1");
    expect(adoptCarriedState(initialRecordState(), carried).status).toBe("active");
  });

  it("a key with its own history keeps its stream and only merges clocks forward", () => {
    const own = run([{ change: change("insert", { data: { name: "Other" } }) }], initialRecordState())[0]!.state;
    const old = rekeyed();
    const ahead = { ...old, lamport: 10, hlc: { wall: NOW + 60_000, logical: 2 } };
    const merged = adoptCarriedState(own, carryState(ahead, "c1"));
    expect(merged).toMatchObject({ sequence: 1, snapshot: { name: "Other" }, chainAnchor: GENESIS_HASH, chainStart: 1, lamport: 10, hlc: ahead.hlc, rekeyedFrom: "c1" });
    const behind = adoptCarriedState({ ...own, lamport: 20, hlc: { wall: NOW + 90_000, logical: 0 } }, carryState(ahead, "c1"));
    expect(behind).toMatchObject({ lamport: 20, hlc: { wall: NOW + 90_000, logical: 0 } });
  });
});

describe("occurredAt far in the future", () => {
  it("is refused (it would win every last-writer-wins conflict); five minutes ahead is still fine", () => {
    const now = Date.UTC(2026, 10, 28, 12);
    const ctx = { tenant: "t", location: "l", typePrefix: "io.changecast", recordType: "customer", recordId: "r", now, eventId: "01a2202b-9a41-7564-88d8-6745b644116c", maxSkewMs: 500 };
    const at = (ms: number) => ({ id: "c", recordType: "customer", recordId: "r", op: "update" as const, occurredAt: new Date(now + ms).toISOString(), data: { a: 1 } });
    expect(applyChange(initialRecordState(), at(5 * 60_000), ctx).ok).toBe(true);
    expect(applyChange(initialRecordState(), at(5 * 60_000 + 1000), ctx)).toEqual({ ok: false, error: { field: "occurredAt", reason: "301 s in the future (limit 300 s); fix the sender's clock" } });
  });
});
