import { describe, expect, it } from "vitest";
import { checkCompatibility, type CanRead, type CompatibilityMode } from "./compatibility";

// A toy type: a schema is a set of required field names; a reader can read a writer's data
// when every field the reader requires is one the writer always writes.
const canRead: CanRead = (reader, writer) =>
  (reader as string[]).filter((f) => !(writer as string[]).includes(f)).map((f) => ({ path: `#/${f}`, rule: "required-missing", message: `${f} not written` }));

const v = (version: number, schema: string[]) => ({ version, schema });
// v1 {a,b} → v2 {a} (dropped b: backward ok, forward not) → candidate {a,c}
const history = [v(1, ["a", "b"]), v(2, ["a"])];

describe("checkCompatibility per Confluent mode", () => {
  it.each<[CompatibilityMode, string[], boolean, number[]]>([
    ["NONE", ["z"], true, []],
    ["BACKWARD", ["a"], true, []],
    ["BACKWARD", ["a", "c"], false, [2]],
    ["BACKWARD_TRANSITIVE", ["a", "b"], false, [2]],
    ["FORWARD", ["a", "c"], true, []],
    ["FORWARD", [], false, [2]],
    ["FORWARD_TRANSITIVE", ["a"], false, [1]],
    ["FULL", ["a"], true, []],
    ["FULL_TRANSITIVE", ["a"], false, [1]],
    ["FULL", ["a", "c"], false, [2]],
  ])("%s with candidate %j → compatible %s (failing versions %j)", (mode, candidate, compatible, versions) => {
    const result = checkCompatibility(canRead, candidate, history, mode);
    expect(result.compatible).toBe(compatible);
    expect([...new Set(result.messages.map((m) => m.version))].sort()).toEqual(versions);
  });

  it("names the direction and the rule of every incompatibility", () => {
    const result = checkCompatibility(canRead, ["a", "c"], history, "FULL");
    expect(result.messages).toEqual([{ path: "#/c", rule: "required-missing", message: "c not written", version: 2, direction: "backward" }]);
  });

  it("a first version is always compatible", () => {
    expect(checkCompatibility(canRead, ["x"], [], "FULL_TRANSITIVE")).toEqual({ compatible: true, messages: [] });
  });
});
