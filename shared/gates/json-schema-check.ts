/**
 * JSON Schema validation of a change's `data` with @cfworker/json-schema (no code generation, so
 * it runs in Workers), all errors collected, then reduced to the violations a sender can act on:
 * the leaves of cfworker's error tree, each at the instance location it is about.
 */
import { Validator, type OutputUnit, type Schema, type SchemaDraft } from "@cfworker/json-schema";
import type { Violation } from "./violation";

/** The draft named by `$schema`; 2020-12 when none is named (the current draft). */
export function draftOf(schema: unknown): SchemaDraft {
  const uri = typeof schema === "object" && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
  if (typeof uri !== "string") return "2020-12";
  if (uri.includes("draft-04")) return "4";
  // draft-06 is draft-07 minus a few keywords: validating under 7 is the closest cfworker offers.
  if (uri.includes("draft-06") || uri.includes("draft-07")) return "7";
  if (uri.includes("2019-09")) return "2019-09";
  return "2020-12";
}

export function compileJsonSchema(schema: Schema | boolean): (data: unknown) => Violation[] {
  // shortCircuit false: every error, so that the answer can name more than the first.
  const validator = new Validator(schema, draftOf(schema), false);
  return (data) => {
    const result = validator.validate(data);
    return result.valid ? [] : violationsOf(data, result.errors);
  };
}

/** Keywords whose error only says "something below failed"; the errors right after it say what. */
const WRAPPERS = new Set([
  "properties", "patternProperties", "additionalProperties", "unevaluatedProperties", "items", "prefixItems", "additionalItems",
  "unevaluatedItems", "$ref", "$recursiveRef", "allOf", "if", "dependentSchemas", "dependencies",
]);
/** Alternatives: the branches' errors are guesses at what was meant, so the alternative itself is the violation. */
const ALTERNATIVES = new Set(["anyOf", "oneOf", "contains", "propertyNames"]);

/**
 * cfworker pushes a wrapper's error before its children's, and a child schema `false` (say,
 * `additionalProperties: false`) reports as keyword "false" at the child's location: that one is
 * named after its wrapper, which is what the schema author wrote.
 */
export function violationsOf(data: unknown, errors: readonly OutputUnit[]): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  const add = (location: string, keyword: string, message: string, extra?: string) => {
    const path = pathOf(data, location);
    if (extra !== undefined) path.push(extra);
    const key = JSON.stringify([path, keyword]);
    if (!seen.has(key)) seen.add(key), out.push({ path, keyword, message: message.replace(/\.$/, "") });
  };
  for (let i = 0; i < errors.length; i++) {
    const e = errors[i]!;
    const next = errors[i + 1];
    if (ALTERNATIVES.has(e.keyword)) {
      add(e.instanceLocation, e.keyword, e.error);
      while (errors[i + 1] && (errors[i + 1]!.keywordLocation.startsWith(`${e.keywordLocation}/`) || errors[i + 1]!.keyword === "false")) i++;
    } else if (WRAPPERS.has(e.keyword) && next?.keyword === "false") {
      add(next.instanceLocation, e.keyword, e.error);
      i++;
    } else if (WRAPPERS.has(e.keyword) && next && isBelow(next, e)) {
      continue;
    } else if (e.keyword === "required") {
      // The missing property is the place to fix: name it, as the message does.
      const missing = /required property "(.*)"\.?$/.exec(e.error)?.[1];
      add(e.instanceLocation, e.keyword, e.error, missing);
    } else {
      add(e.instanceLocation, e.keyword, e.error);
    }
  }
  return out;
}

/** A child error of wrapper `w`: deeper in the schema, or (then/else) the same instance under `if`'s parent. */
function isBelow(child: OutputUnit, w: OutputUnit): boolean {
  if (child.keywordLocation.startsWith(`${w.keywordLocation}/`)) return true;
  const parent = w.keywordLocation.slice(0, w.keywordLocation.lastIndexOf("/"));
  return w.keyword === "if" && (child.keywordLocation.startsWith(`${parent}/then`) || child.keywordLocation.startsWith(`${parent}/else`));
}

/**
 * "#/address/lines/0" → ["address", "lines", 0]: a segment is an index only where the instance
 * holds an array there (an object may have a key "0"). Segments are URI-encoded JSON pointer tokens.
 */
export function pathOf(data: unknown, location: string): (string | number)[] {
  const path: (string | number)[] = [];
  let node = data;
  for (const raw of location.replace(/^#\/?/, "").split("/").filter((s, i, all) => !(s === "" && all.length === 1))) {
    let token = raw;
    try {
      token = decodeURIComponent(raw);
    } catch {
      // Not percent-encoded after all: keep the token as it is.
    }
    token = token.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node) && /^\d+$/.test(token)) {
      path.push(Number(token));
      node = node[Number(token)];
    } else {
      path.push(token);
      node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[token] : undefined;
    }
  }
  return path;
}
