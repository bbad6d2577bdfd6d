/**
 * canReadJsonSchema: can a reader using one JSON Schema (draft-04 … 2020-12) read every document
 * valid against another? Yes iff every instance the writer accepts the reader accepts too — the
 * semantics Confluent, Karapace and Apicurio aim at — plus one deliberate departure: Confluent's
 * rule that a newly required property with a `default` is compatible. The check is sound but not
 * complete: an empty answer is a proof; where inclusion is undecidable (different regexes, formats)
 * or not proven (overlapping oneOf branches, references outside the document) it reports a finding.
 *
 * Every finding names a rule. Rules read from the writer's schema to the reader's (old → new under
 * BACKWARD) and say what the reader does to data the writer may produce:
 *
 * Types and values
 *   TYPE_NARROWED                    the writer may produce a JSON type the reader's `type` rejects
 *                                    (number → integer, a type removed from a type array, a type added where there was none)
 *   ENUM_ADDED / CONST_ADDED         the reader restricts to an enum/const; the writer's values are not restricted
 *   ENUM_VALUES_REMOVED              a value the writer may write (its enum or const) is not in the reader's enum
 *                                    (or fails another reader keyword; the message names it)
 *   CONST_CHANGED                    the writer may write a value other than the reader's const
 *   FALSE_SCHEMA                     the reader's schema is `false` where the writer writes something
 * Numbers and strings
 *   MINIMUM_INCREASED                the reader's lower bound (minimum, exclusiveMinimum; draft-04's boolean form too) is tighter or new
 *   MAXIMUM_DECREASED                likewise for the upper bound
 *   MULTIPLE_OF_CHANGED              the writer's numbers are not all multiples of the reader's multipleOf
 *   MIN_LENGTH_INCREASED / MAX_LENGTH_DECREASED
 *   PATTERN_CHANGED                  the reader has a pattern the writer does not have verbatim (regex inclusion is not decided)
 *   FORMAT_CHANGED, CONTENT_ENCODING_CHANGED, CONTENT_MEDIA_TYPE_CHANGED   likewise, by equality
 * Objects (Confluent's open / partially open / closed content models)
 *   REQUIRED_PROPERTY_ADDED_WITHOUT_DEFAULT   the reader requires a property the writer may omit, with no default
 *   PROPERTY_ADDED_TO_OPEN_MODEL     the reader constrains a property the writer's open model leaves unconstrained
 *   PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL   ... that the writer's additional/pattern properties allow more of
 *   PROPERTY_REMOVED_FROM_CLOSED_MODEL   the writer writes a property the reader forbids (closed model, or its schema is false)
 *   PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL   ... that the reader's additionalProperties schema rejects
 *   ADDITIONAL_PROPERTIES_NARROWED   the writer's other properties are not accepted by the reader's additionalProperties
 *   PATTERN_PROPERTIES_NARROWED      properties matching a reader pattern the writer does not have are not covered
 *   UNEVALUATED_PROPERTIES_NARROWED  likewise against the reader's unevaluatedProperties
 *   PROPERTY_NAMES_NARROWED          the writer's property names may fail the reader's propertyNames
 *   MIN_PROPERTIES_INCREASED / MAX_PROPERTIES_DECREASED
 *   DEPENDENT_REQUIRED_ADDED         `dependencies`/`dependentRequired`: the reader needs a property alongside another that the writer may omit
 *                                    (dependent schemas are compared as schemas; their findings sit under #/dependentSchemas/p)
 * Arrays (the same models over tuple positions)
 *   ITEM_ADDED_TO_OPEN_MODEL, ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL,
 *   ITEM_REMOVED_FROM_CLOSED_MODEL, ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL
 *   ADDITIONAL_ITEMS_NARROWED        items past the tuple are not accepted by the reader's additionalItems (2020-12: items)
 *   UNEVALUATED_ITEMS_NARROWED
 *   MIN_ITEMS_INCREASED / MAX_ITEMS_DECREASED / UNIQUE_ITEMS_ADDED
 *   CONTAINS_NARROWED                the writer does not guarantee the items the reader's contains/minContains needs
 *   MAX_CONTAINS_DECREASED
 * Combined schemas (the reader's allOf is checked member by member: findings sit under #/allOf/i)
 *   ANY_OF_NARROWED                  a writer branch (or the whole writer) is read by no reader anyOf branch — a branch removed
 *   ONE_OF_NARROWED                  ... no reader oneOf branch reads it while provably excluding every other branch
 *   NOT_ADDED / NOT_WIDENED          the reader's `not` excludes documents the writer may write
 *                                    (if/then/else findings keep their own rules under #/then, #/else)
 * Limits
 *   REF_UNRESOLVED                   the reader's $ref points outside its document (nothing is fetched)
 *   RECURSION_LIMIT                  the schemas are too deep or large to compare
 *   INVALID_SCHEMA                   an argument is not a JSON Schema (an object or a boolean, or JSON text of one)
 *
 * `path` is a JSON pointer into the reader's schema, walking through `$ref` as if inlined
 * (e.g. #/properties/email/type).
 */
import type { CanRead, Incompatibility } from "../compatibility";
import { sub } from "./check";
import { createContext, deepEqual, isObj } from "./context";
import { flatten } from "./conj";
import { makeRoot } from "./refs";

export const JSON_SCHEMA_RULES = [
  "TYPE_NARROWED", "ENUM_ADDED", "ENUM_VALUES_REMOVED", "CONST_ADDED", "CONST_CHANGED", "FALSE_SCHEMA",
  "MINIMUM_INCREASED", "MAXIMUM_DECREASED", "MULTIPLE_OF_CHANGED",
  "MIN_LENGTH_INCREASED", "MAX_LENGTH_DECREASED", "PATTERN_CHANGED", "FORMAT_CHANGED", "CONTENT_ENCODING_CHANGED", "CONTENT_MEDIA_TYPE_CHANGED",
  "REQUIRED_PROPERTY_ADDED_WITHOUT_DEFAULT", "PROPERTY_ADDED_TO_OPEN_MODEL", "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL",
  "PROPERTY_REMOVED_FROM_CLOSED_MODEL", "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", "ADDITIONAL_PROPERTIES_NARROWED",
  "PATTERN_PROPERTIES_NARROWED", "UNEVALUATED_PROPERTIES_NARROWED", "PROPERTY_NAMES_NARROWED",
  "MIN_PROPERTIES_INCREASED", "MAX_PROPERTIES_DECREASED", "DEPENDENT_REQUIRED_ADDED",
  "ITEM_ADDED_TO_OPEN_MODEL", "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", "ITEM_REMOVED_FROM_CLOSED_MODEL",
  "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", "ADDITIONAL_ITEMS_NARROWED", "UNEVALUATED_ITEMS_NARROWED",
  "MIN_ITEMS_INCREASED", "MAX_ITEMS_DECREASED", "UNIQUE_ITEMS_ADDED", "CONTAINS_NARROWED", "MAX_CONTAINS_DECREASED",
  "ANY_OF_NARROWED", "ONE_OF_NARROWED", "NOT_ADDED", "NOT_WIDENED",
  "REF_UNRESOLVED", "RECURSION_LIMIT", "INVALID_SCHEMA",
] as const;
export type JsonSchemaRule = (typeof JSON_SCHEMA_RULES)[number];

/** Either argument may be a parsed schema (object or boolean) or its JSON text. */
export const canReadJsonSchema: CanRead = (reader, writer) => {
  const r = load(reader);
  const w = load(writer);
  const invalid: Incompatibility[] = [];
  if (!r.ok) invalid.push({ path: "#", rule: "INVALID_SCHEMA", message: `the reader's schema ${r.error}` });
  if (!w.ok) invalid.push({ path: "#", rule: "INVALID_SCHEMA", message: `the writer's schema ${w.error}` });
  if (!r.ok || !w.ok) return invalid;
  // Equal documents read each other, whatever they say (and however they use $ref).
  if (deepEqual(r.schema, w.schema)) return [];
  const ctx = createContext(sub);
  const writerRoot = makeRoot(w.schema);
  return ctx.sub(r.schema, makeRoot(r.schema), "#", flatten(ctx, w.schema, writerRoot, "#", "#", "writer"));
};

function load(value: unknown): { ok: true; schema: unknown } | { ok: false; error: string } {
  let schema = value;
  if (typeof value === "string") {
    try {
      schema = JSON.parse(value);
    } catch (err) {
      return { ok: false, error: `is not JSON: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  return typeof schema === "boolean" || isObj(schema) ? { ok: true, schema } : { ok: false, error: "is neither an object nor a boolean" };
}
