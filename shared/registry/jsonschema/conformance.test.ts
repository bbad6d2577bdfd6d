/// <reference types="vite/client" />
/**
 * Apicurio Registry's JSON Schema compatibility cases (../shared/conformance/jsonschema-compatibility.json,
 * Apache-2.0), run as Apicurio's own runner runs them: `original` is the only version and
 * `updated` the candidate. backward = BACKWARD ok and FORWARD not; both = both ok; none = neither.
 * The file sits outside the repository, beside it; Vite inlines it when the test is transformed
 * (tests run inside workerd, which has no file system), so an absent folder is an empty glob, and
 * that fails loudly below rather than running zero cases.
 */
import { afterAll, describe, expect, it } from "vitest";
import { checkCompatibility } from "../compatibility";
import { canReadJsonSchema } from "./index";

type Verdict = "backward" | "forward" | "both" | "none";
type Case = { id: string; enabled: boolean; compatibility: Verdict; original: unknown; updated: unknown; $comment?: string };

const FILE = "../shared/conformance/jsonschema-compatibility.json";
// From shared/registry/jsonschema/ up to the repository (/work/main), then its sibling shared/.
const files = import.meta.glob("../../../../shared/conformance/jsonschema-compatibility.json", { eager: true, import: "default" }) as Record<string, { tests: Case[] }>;
const data = Object.values(files)[0];
if (!data) throw new Error(`${FILE} is missing: the folder ../shared/conformance must sit beside the repository root; these cases are read from there, never copied in`);

/**
 * Ids repeat in the file ("Const" three times), so a case is named by its id, then by
 * "id [expected]" when the id repeats, then by "#n" when even that repeats.
 */
const cases = data.tests.map((c, i, all) => {
  const sameId = all.filter((x) => x.id === c.id);
  const sameBoth = sameId.filter((x) => x.compatibility === c.compatibility);
  const nth = sameBoth.indexOf(c) + 1;
  const key = sameId.length === 1 ? c.id : sameBoth.length === 1 ? `${c.id} [${c.compatibility}]` : `${c.id} [${c.compatibility}] #${nth}`;
  return { key, index: i, c };
});
const enabled = cases.filter(({ c }) => c.enabled);

/**
 * Where our answer is not Apicurio's recorded one, or Apicurio says it cannot decide the case.
 * Each is asserted to produce OUR answer, so a change in behaviour still fails the test.
 */
const DISAGREE: Record<string, { ours: Verdict; why: string }> = {
  // $comment "Schema library does not support this case." (draft-06+ numeric exclusive bounds):
  // we decide them, and our answers match the expectation recorded in the file.
  "Number: exclusiveMinimum 2": { ours: "backward", why: "x > 10 is within x ≥ 10, not the reverse" },
  "Number: exclusiveMinimum 3": { ours: "backward", why: "x > 10 is within x ≥ 5, not the reverse" },
  "Number: exclusiveMinimum 4": { ours: "both", why: "the same bound x > 10" },
  "Number: exclusiveMaximum 2": { ours: "backward", why: "x < 10 is within x ≤ 10, not the reverse" },
  "Number: exclusiveMaximum 3": { ours: "backward", why: "x < 5 is within x ≤ 10, not the reverse" },
  "Number: exclusiveMaximum 4": { ours: "both", why: "the same bound x < 10" },
  // Judged differently from Apicurio, by the definition (every document the writer accepts, the reader accepts):
  "Const [none]": { ours: "both", why: "type string with an array const accepts no document, so each schema vacuously reads the other's (empty) data" },
  "Complex: anyOf 1": { ours: "both", why: "both anyOfs accept every document (a non-string passes maxLength, a string passes type string), so they are equivalent" },
  "Complex: oneOf 1": { ours: "forward", why: "oneOf exclusivity: \"abcdefg\" is valid under original but matches both updated branches; updated's data (strings longer than 10, non-strings) all match exactly one original branch" },
  "Complex: oneOf 3": { ours: "none", why: "oneOf exclusivity: \"abc\" is valid under original but matches both updated branches; updated accepts 5, which original (strings only) rejects" },
};

function verdictOf(c: Case): Verdict {
  const previous = [{ version: 1, schema: c.original }];
  const backward = checkCompatibility(canReadJsonSchema, c.updated, previous, "BACKWARD").compatible;
  const forward = checkCompatibility(canReadJsonSchema, c.updated, previous, "FORWARD").compatible;
  return backward && forward ? "both" : backward ? "backward" : forward ? "forward" : "none";
}

let agree = 0;

describe(`Apicurio JSON Schema compatibility cases (${FILE})`, () => {
  it("the file holds Apicurio's 145 cases", () => {
    expect(data.tests.length).toBe(145);
    expect(new Set(cases.map((x) => x.key)).size).toBe(cases.length);
  });

  it.each(enabled)("$key", ({ key, c }) => {
    const got = verdictOf(c);
    if (got === c.compatibility) agree++;
    expect(got).toBe(DISAGREE[key]?.ours ?? c.compatibility);
  });

  it("DISAGREE lists every case Apicurio marks undecidable, and only cases that exist", () => {
    const keys = new Set(enabled.map((x) => x.key));
    expect(Object.keys(DISAGREE).filter((k) => !keys.has(k))).toEqual([]);
    expect(enabled.filter(({ key, c }) => c.$comment !== undefined && !DISAGREE[key]).map((x) => x.key)).toEqual([]);
  });

  it("a DISAGREE entry without Apicurio's $comment really differs from Apicurio's expectation", () => {
    const same = enabled.filter(({ key, c }) => DISAGREE[key] && c.$comment === undefined && DISAGREE[key]!.ours === c.compatibility);
    expect(same.map((x) => x.key)).toEqual([]);
  });

  afterAll(() => {
    const differ = enabled.filter(({ key, c }) => DISAGREE[key] && DISAGREE[key]!.ours !== c.compatibility).length;
    const undecidable = enabled.filter(({ c }) => c.$comment !== undefined).length;
    console.log(`jsonschema conformance: ${agree} of ${enabled.length} enabled cases give Apicurio's expected answer; ${differ} judged differently and ${undecidable} marked undecidable by Apicurio (see DISAGREE)`);
  });
});
