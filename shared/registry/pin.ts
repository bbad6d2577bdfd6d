/**
 * Per-route schema pinning, pure: a route pinned to version P of subject S receives an event
 * written with another version of S only if P can read it (the reader/writer check of the
 * subject's schema type; Confluent's BACKWARD direction with P as the reader). Everything else
 * (no pin, no dataschema, another subject, the same version) is delivered as usual.
 */
import type { CanRead, Incompatibility, SchemaType } from "./compatibility";

/** What a route stores: the pinned version and the schema id it resolved to when pinned. */
export type SchemaPin = { subject: string; version: number; id: number };

/** A registered schema as the check needs it: its type and its text (the stored form). */
export type SchemaText = { type: SchemaType; text: string };

/** A dataschema this registry wrote: `…/registry/t/{tenant}/schemas/ids/{id}` (Confluent's schema-by-id path). */
const DATASCHEMA = /\/registry\/t\/([^/]+)\/schemas\/ids\/([1-9]\d{0,9})$/;

/** The schema id an event's `dataschema` names in `tenant`'s registry, or null (absent, foreign, another tenant). */
export function schemaIdOf(dataschema: unknown, tenant: string): number | null {
  if (typeof dataschema !== "string") return null;
  const m = DATASCHEMA.exec(dataschema);
  if (!m || decodeURIComponent(m[1]!) !== tenant) return null;
  return Number(m[2]);
}

export type Precheck = { kind: "deliver"; why: "unpinned" | "no-dataschema" | "other-subject" | "same-schema" } | { kind: "check"; schemaId: number };

/**
 * Decides what needs no registry read. `recordType` is the event's (a subject is a record type),
 * so an event of another record type is never held by this pin. The same schema id as the pin's
 * is the pinned version itself (or an identical re-registration of it).
 */
export function pinPrecheck(pin: SchemaPin | null, event: { tenant: string; recordType: string; dataschema?: unknown }): Precheck {
  if (!pin) return { kind: "deliver", why: "unpinned" };
  const schemaId = schemaIdOf(event.dataschema, event.tenant);
  if (schemaId === null) return { kind: "deliver", why: "no-dataschema" };
  if (event.recordType !== pin.subject) return { kind: "deliver", why: "other-subject" };
  if (schemaId === pin.id) return { kind: "deliver", why: "same-schema" };
  return { kind: "check", schemaId };
}

export type PinVerdict =
  | { kind: "deliver"; why: "not-a-version-of-subject" | "same-version" | "readable" }
  | { kind: "hold"; reason: string; incompatibilities: Incompatibility[] };

/** How many findings the reason names; the rest are counted. */
const REASON_FINDINGS = 3;

/**
 * `written` is the event's schema with its version in the pinned subject (null when the id is
 * not a version of it: delivered as usual). `canReadOf` gives the check for a schema type.
 */
export function pinVerdict(pin: SchemaPin, pinned: SchemaText, written: SchemaText & { version: number | null }, canReadOf: (type: SchemaType) => CanRead): PinVerdict {
  if (written.version === null) return { kind: "deliver", why: "not-a-version-of-subject" };
  if (written.version === pin.version) return { kind: "deliver", why: "same-version" };
  let found: Incompatibility[];
  if (written.type !== pinned.type) {
    found = [{ path: "", rule: "SCHEMA_TYPE_CHANGED", message: `v${written.version} is ${written.type}, the pinned v${pin.version} is ${pinned.type}` }];
  } else {
    try {
      found = canReadOf(pinned.type)(pinned.text, written.text);
    } catch (err) {
      // Both schemas passed the registry's parse; a checker that throws cannot prove readability.
      found = [{ path: "", rule: "CHECK_FAILED", message: err instanceof Error ? err.message : String(err) }];
    }
  }
  if (found.length === 0) return { kind: "deliver", why: "readable" };
  return { kind: "hold", reason: holdReason(pin, written.version, found), incompatibilities: found };
}

/** `schema incompatibility: pinned customer v1 cannot read v3: TYPE_NARROWED at #/properties/age/type; …` */
export function holdReason(pin: SchemaPin, version: number, found: readonly Incompatibility[]): string {
  const named = found.slice(0, REASON_FINDINGS).map((f) => (f.path && f.path !== "#" && f.path !== "/" && f.path !== "#/" ? `${f.rule} at ${f.path}` : f.rule));
  const more = found.length > REASON_FINDINGS ? ` (+${found.length - REASON_FINDINGS} more)` : "";
  return `schema incompatibility: pinned ${pin.subject} v${pin.version} cannot read v${version}: ${named.join("; ")}${more}`;
}
