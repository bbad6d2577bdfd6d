import { describe, expect, it } from "vitest";
import { parseChoice } from "./choice";

describe("parseChoice", () => {
  const choices = ["fast", "safe"] as const;
  const cases: { raw: string | undefined; expected: ReturnType<typeof parseChoice> }[] = [
    { raw: undefined, expected: { ok: true, value: "safe" } },
    { raw: "", expected: { ok: true, value: "safe" } },
    { raw: "fast", expected: { ok: true, value: "fast" } },
    { raw: "safe", expected: { ok: true, value: "safe" } },
    { raw: "Fast", expected: { ok: false, reason: 'MODE must be one of fast, safe, not "Fast"' } },
    { raw: " fast", expected: { ok: false, reason: 'MODE must be one of fast, safe, not " fast"' } },
  ];
  for (const c of cases) it(JSON.stringify(c.raw), () => expect(parseChoice("MODE", choices, "safe", c.raw)).toEqual(c.expected));
});
