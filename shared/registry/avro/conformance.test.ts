/// <reference types="vite/client" />
/**
 * Apicurio Registry's Avro compatibility cases (../shared/conformance/avro-compatibility.json,
 * Apache-2.0), run as Apicurio's own runner runs them: `original` is the only version and
 * `updated` the candidate. backward = BACKWARD ok and FORWARD not; both = both ok; none = neither.
 * The file sits outside the repository, beside it; Vite inlines it when the test is transformed
 * (tests run inside workerd, which has no file system), so an absent folder is an empty glob.
 */
import { describe, expect, it } from "vitest";
import { checkCompatibility } from "../compatibility";
import { canReadAvro, parseAvroSchema } from "./index";

type Case = { id: string; enabled: boolean; compatibility: "backward" | "both" | "none" | string; original: unknown; updated: unknown; $comment?: string };

// From shared/registry/avro/ up to the repository (/work/main), then its sibling shared/.
const files = import.meta.glob("../../../../shared/conformance/avro-compatibility.json", { eager: true, import: "default" }) as Record<string, { tests: Case[] }>;
const data = Object.values(files)[0];
const cases = data?.tests ?? [];

describe("Apicurio Avro compatibility cases (../shared/conformance/avro-compatibility.json)", () => {
  it("the conformance file is present beside the repository", () => {
    expect(data, "../shared/conformance/avro-compatibility.json is missing: these cases are read from the shared folder beside the repository, never copied in").toBeDefined();
    expect(cases.length).toBe(4);
  });

  it.each(cases.filter((c) => c.enabled).map((c) => [c.id, c] as const))("%s", (_id, c) => {
    expect(parseAvroSchema(c.original).ok).toBe(true);
    expect(parseAvroSchema(c.updated).ok).toBe(true);
    const previous = [{ version: 1, schema: c.original }];
    const backward = checkCompatibility(canReadAvro, c.updated, previous, "BACKWARD").compatible;
    const forward = checkCompatibility(canReadAvro, c.updated, previous, "FORWARD").compatible;
    const expected = { backward: [true, false], both: [true, true], none: [false, false] }[c.compatibility as "backward" | "both" | "none"];
    expect(expected, `unknown expectation ${c.compatibility}`).toBeDefined();
    expect({ backward, forward }).toEqual({ backward: expected![0], forward: expected![1] });
  });

  it("no case is disabled or marked undecidable by Apicurio", () => {
    expect(cases.filter((c) => !c.enabled || c.$comment !== undefined).map((c) => c.id)).toEqual([]);
  });
});
