import { describe, expect, it } from "vitest";
import { parseColumnName, parseQualifiedName, qualifiedSql, quoteLiteral } from "./identifiers.ts";

describe("identifiers", () => {
  it.each([
    ["changecast_outbox", null, "changecast_outbox", '"changecast_outbox"'],
    ["App.Outbox", "app", "outbox", '"app"."outbox"'],
    ['"App"."Out box"', "App", "Out box", '"App"."Out box"'],
    ['app."we""ird"', "app", 'we"ird', '"app"."we""ird"'],
    ['"a.b"', null, "a.b", '"a.b"'],
  ])("%s → schema %j, name %j, SQL %s", (text, schema, name, sql) => {
    const parsed = parseQualifiedName(text);
    expect(parsed).toEqual({ ok: true, value: { schema, name } });
    if (parsed.ok) expect(qualifiedSql(parsed.value)).toBe(sql);
  });

  it.each(["", "a.b.c", "a;drop", "1abc", '"unterminated', '""', "a.", ".a", "x".repeat(64), "a b"])("%j is refused", (text) => {
    expect(parseQualifiedName(text).ok).toBe(false);
  });

  it.each([
    ["deleted_at", "deleted_at"],
    ["DeletedAt", "deletedat"],
    ['"DeletedAt"', "DeletedAt"],
    ["a.b", null],
  ])("column %s → %j", (text, column) => {
    expect(parseColumnName(text)).toBe(column);
  });

  it("quotes literals", () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });
});
