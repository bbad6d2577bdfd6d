/** The master-record operations and the CloudEvents type suffix each one produces (DESIGN.md). */

export const OPS = ["insert", "update", "delete", "soft_delete", "restore", "reparent", "rekey", "snapshot"] as const;
export type Op = (typeof OPS)[number];

const PAST_TENSE: Record<Op, string> = {
  insert: "created",
  update: "updated",
  delete: "deleted",
  soft_delete: "soft_deleted",
  restore: "restored",
  reparent: "reparented",
  rekey: "rekeyed",
  snapshot: "snapshotted",
};

export function opPastTense(op: Op): string {
  return PAST_TENSE[op];
}

/** Ops whose `data` is the record's image and must be present. The others may omit it. */
export const OPS_REQUIRING_DATA: ReadonlySet<Op> = new Set<Op>(["insert", "update", "snapshot"]);
