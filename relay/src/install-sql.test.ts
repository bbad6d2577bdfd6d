import { describe, expect, it } from "vitest";
import { captureTriggerSql, notifyChannel, outboxSql, publicationSql, relayTablesSql } from "./install-sql.ts";

const plain = { schema: null, name: "changecast_outbox" };
const qualified = { schema: "App", name: "out\"box" };

describe("install SQL", () => {
  it("quotes every identifier, also schema-qualified ones", () => {
    const sql = outboxSql(qualified).join(";\n");
    expect(sql).toContain('create schema if not exists "App"');
    expect(sql).toContain('create table if not exists "App"."out""box" (');
    expect(sql).toContain('create index if not exists "out""box_txid_id" on "App"."out""box" (txid, id)');
    expect(sql).toContain('create or replace function "App"."out""box_notify"()');
    expect(sql).toContain("perform pg_notify('out\"box', '')");
    expect(sql).toContain('create or replace trigger changecast_notify after insert on "App"."out""box" for each statement execute function "App"."out""box_notify"()');
    expect(relayTablesSql(qualified)[0]).toContain('create table if not exists "App"."changecast_relay_checkpoint"');
    expect(relayTablesSql(plain)[1]).toContain('create table if not exists "changecast_relay_rejected"');
  });

  it("creates nothing unconditionally (idempotent)", () => {
    for (const sql of [...outboxSql(qualified), ...relayTablesSql(qualified)]) expect(sql).toMatch(/^create (schema if not exists|table if not exists|index if not exists|or replace)/);
  });

  it("passes record type, soft-delete column and key columns to the capture trigger as literals", () => {
    expect(captureTriggerSql(plain, { schema: "shop", name: "orders" }, "order", "deleted_at", ["shop", "no"])).toBe(
      `create or replace trigger changecast_capture after insert or update or delete on "shop"."orders" for each row execute function "changecast_outbox_capture"('order', 'deleted_at', 'shop', 'no')`,
    );
    expect(captureTriggerSql(plain, { schema: null, name: "t" }, "t", null, ["it's"])).toContain(`("changecast_outbox_capture"('t', '', 'it''s')`.slice(1));
  });

  it("publishes inserts only", () => {
    expect(publicationSql(qualified, "changecast_outbox")).toBe(`create publication "changecast_outbox" for table "App"."out""box" with (publish = 'insert')`);
    expect(notifyChannel(qualified)).toBe('out"box');
  });
});
