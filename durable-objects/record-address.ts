/**
 * Where a master record's object lives: one object per (tenant, recordType, recordId), named
 * by an unambiguous JSON key, placed in the EU jurisdiction for EU tenants (data residency),
 * and hinted towards the tenant's region otherwise.
 */

export type Region = "us" | "eu" | "ap";

export type RecordAddress = { tenant: string; region: Region; recordType: string; recordId: string };

const LOCATION_HINTS: Record<Exclude<Region, "eu">, DurableObjectLocationHint> = { us: "enam", ap: "apac" };

export function recordObjectName(a: Pick<RecordAddress, "tenant" | "recordType" | "recordId">): string {
  return JSON.stringify([a.tenant, a.recordType, a.recordId]);
}

export function masterRecordStub(ns: DurableObjectNamespace<import("./master-record").MasterRecord>, a: RecordAddress) {
  const name = recordObjectName(a);
  if (a.region === "eu") {
    const eu = ns.jurisdiction("eu");
    return eu.get(eu.idFromName(name));
  }
  return ns.get(ns.idFromName(name), { locationHint: LOCATION_HINTS[a.region] });
}
