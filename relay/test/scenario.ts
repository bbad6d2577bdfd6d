/**
 * The change story the mode tests tell through an outbox, and what the subscriber must see of
 * it: two customers created in one transaction, one updated twice in a second, the other
 * deleted in a third. Each mode that reads the outbox (poll, notify, logical) must turn it into
 * exactly these events, signed, in per-record sequence order.
 */
import type pg from "pg";
import { expect } from "vitest";
import { ofSubject, type Delivered } from "./edge";
import { inTransaction, writeOutbox } from "./postgres";

export const OUTBOX_STORY_EVENTS = 5;

/** Writes the story into the outbox, one application transaction per step. */
export async function writeOutboxStory(db: pg.Client, prefix: string): Promise<void> {
  await inTransaction(db, (tx) => writeOutbox(tx, [
    ["customer", `${prefix}-1`, "insert", { name: "Ada", tier: "gold" }],
    ["customer", `${prefix}-2`, "insert", { name: "Grace", tier: "silver" }],
  ]));
  await inTransaction(db, (tx) => writeOutbox(tx, [
    ["customer", `${prefix}-1`, "update", { name: "Ada Lovelace", tier: "gold" }, { name: "Ada", tier: "gold" }],
    ["customer", `${prefix}-1`, "update", { name: "Ada Lovelace", tier: "platinum" }],
  ]));
  await inTransaction(db, (tx) => writeOutbox(tx, [["customer", `${prefix}-2`, "delete", null, { name: "Grace", tier: "silver" }]]));
}

/** Asserts the subscriber saw the story exactly: types, subjects, data and per-record order. */
export function expectOutboxStory(events: Delivered[], prefix: string): void {
  expect(events).toHaveLength(OUTBOX_STORY_EVENTS);
  expect(new Set(events.map((e) => e.webhookId)).size).toBe(OUTBOX_STORY_EVENTS);
  const first = ofSubject(events, `customer/${prefix}-1`);
  expect(first.map((e) => [e.sequence, e.type])).toEqual([
    ["00000000000000000001", "io.changecast.customer.created"],
    ["00000000000000000002", "io.changecast.customer.updated"],
    ["00000000000000000003", "io.changecast.customer.updated"],
  ]);
  expect(first.map((e) => e.data.after)).toEqual([
    { name: "Ada", tier: "gold" },
    { name: "Ada Lovelace", tier: "gold" },
    { name: "Ada Lovelace", tier: "platinum" },
  ]);
  expect(first[1]!.data.before).toEqual({ name: "Ada", tier: "gold" });
  expect(first[2]!.data.changed).toEqual(["tier"]);
  const second = ofSubject(events, `customer/${prefix}-2`);
  expect(second.map((e) => [e.sequence, e.type, e.data.op])).toEqual([
    ["00000000000000000001", "io.changecast.customer.created", "insert"],
    ["00000000000000000002", "io.changecast.customer.deleted", "delete"],
  ]);
  expect(second[0]!.data.after).toEqual({ name: "Grace", tier: "silver" });
}
