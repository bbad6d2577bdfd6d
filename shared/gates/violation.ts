/**
 * A place where a change's `data` breaks its schema, and how a rejected item names it: the field
 * of the first violation, the reason "<keyword>: <message>" with up to three of them.
 */
import { fieldPath, type ItemError } from "../change/schema";

/** `path` walks `data`: object keys as strings, array indexes as numbers. */
export type Violation = { path: (string | number)[]; keyword: string; message: string };

export const MAX_REASONS = 3;

/** Fields relative to the change ("data.email"): the ingest answer prefixes "changes[i].". */
export function violationError(violations: readonly Violation[], label: string): ItemError {
  const first = violations[0]!;
  const reasons = violations.slice(0, MAX_REASONS).map((v, k) => (k === 0 ? `${v.keyword}: ${v.message}` : `${v.keyword} at ${fieldPath("data", v.path)}: ${v.message}`));
  const more = violations.length > MAX_REASONS ? `; and ${violations.length - MAX_REASONS} more` : "";
  return { field: fieldPath("data", first.path), reason: `${reasons.join("; ")}${more} [schema ${label}]` };
}
