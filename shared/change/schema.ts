/**
 * The ingestion contract (DESIGN.md, "Ingestion API"): one Change as a location sends it.
 * Validation is per item so that one bad change never blocks the others of a request.
 */
import { z } from "zod";
import { OPS, OPS_REQUIRING_DATA } from "./ops";

export const MAX_CHANGES_PER_REQUEST = 500;

const recordKeyPart = z.string().min(1).max(256).regex(/^[^\s/\u0000-\u001f]+$/, "no whitespace, '/' or control characters");
const jsonObject = z.record(z.string(), z.unknown());
const scalarRef = z.union([z.string().max(256), z.number()]);

export const changeSchema = z
  .strictObject({
    id: z.string().min(1).max(200),
    recordType: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "letters, digits and _; starts with a letter; at most 64"),
    recordId: recordKeyPart,
    op: z.enum(OPS),
    occurredAt: z.iso.datetime({ offset: true }),
    data: jsonObject.optional(),
    before: jsonObject.nullable().optional(),
    parent: z.strictObject({ type: z.string().min(1).max(64), id: recordKeyPart }).optional(),
    newRecordId: recordKeyPart.optional(),
    schemaVersion: z.number().int().positive().optional(),
    source: z
      .strictObject({
        kind: z.enum(["outbox", "trigger", "timestamp", "snapshot", "log"]),
        txId: scalarRef.optional(),
        position: scalarRef.optional(),
      })
      .optional(),
    traceparent: z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, "W3C traceparent").optional(),
    basedOn: z.record(z.string(), z.number().int().nonnegative()).optional(),
    hlc: z.string().regex(/^\d{15}-\d{6}$/, "<15-digit ms>-<6-digit logical>").optional(),
  })
  .superRefine((c, ctx) => {
    if (OPS_REQUIRING_DATA.has(c.op) && c.data === undefined) {
      ctx.addIssue({ code: "custom", path: ["data"], message: `required for op "${c.op}"` });
    }
    if (c.op === "reparent" && !c.parent) ctx.addIssue({ code: "custom", path: ["parent"], message: 'required for op "reparent"' });
    if (c.op === "rekey") {
      if (!c.newRecordId) ctx.addIssue({ code: "custom", path: ["newRecordId"], message: 'required for op "rekey"' });
      else if (c.newRecordId === c.recordId) ctx.addIssue({ code: "custom", path: ["newRecordId"], message: "must differ from recordId" });
    }
  });

export type Change = z.infer<typeof changeSchema>;

export type ItemError = { field: string; reason: string };

export type ParsedItem = { ok: true; change: Change } | { ok: false; id: string | null; error: ItemError };

/** "changes[3].source.kind" style paths, as the problem+json and per-item errors name fields. */
export function fieldPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : `${acc}.${String(key)}`), prefix);
}

export function parseChangeItem(raw: unknown, index: number): ParsedItem {
  const parsed = changeSchema.safeParse(raw);
  if (parsed.success) return { ok: true, change: parsed.data };
  const issue = parsed.error.issues[0]!;
  const id = typeof raw === "object" && raw !== null && typeof (raw as { id?: unknown }).id === "string" ? (raw as { id: string }).id : null;
  const field = issue.code === "unrecognized_keys" ? fieldPath(`changes[${index}]`, [...issue.path, issue.keys[0] ?? ""]) : fieldPath(`changes[${index}]`, issue.path);
  return { ok: false, id, error: { field, reason: issue.message } };
}

/** The envelope around the items: only its shape is checked here, items one by one later. */
export const ingestBodySchema = z.strictObject({
  changes: z.array(z.unknown()).min(1).max(MAX_CHANGES_PER_REQUEST),
});
