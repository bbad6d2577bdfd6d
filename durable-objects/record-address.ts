/**
 * Where a master record's object lives: one object per (tenant, recordType, recordId), named
 * by an unambiguous JSON key, created in the EU jurisdiction for EU tenants (data residency),
 * and hinted towards the tenant's region otherwise.
 *
 * Local workerd (wrangler dev, vitest) throws "Jurisdiction restrictions are not implemented"
 * for `jurisdiction()`. EU_JURISDICTION=emulate (set only in .dev.vars and the tests) keeps EU
 * objects apart by name instead; production's default, "enforce", never falls back silently.
 */

import type { Region } from "../shared/record/region";

export type { Region };

export type RecordAddress = { tenant: string; region: Region; recordType: string; recordId: string };

export type Residency = "enforce" | "emulate";

const LOCATION_HINTS: Record<Exclude<Region, "eu">, DurableObjectLocationHint> = { us: "enam", ap: "apac" };

export function recordObjectName(a: Pick<RecordAddress, "tenant" | "recordType" | "recordId">): string {
  return JSON.stringify([a.tenant, a.recordType, a.recordId]);
}

/** The name an EU record's object gets when jurisdictions are only emulated (local runs). */
export function emulatedEuName(a: Pick<RecordAddress, "tenant" | "recordType" | "recordId">): string {
  return `eu:${recordObjectName(a)}`;
}

export function residencyMode(value: string | undefined): Residency {
  return value === "emulate" ? "emulate" : "enforce";
}

export function masterRecordStub(ns: DurableObjectNamespace<import("./master-record").MasterRecord>, a: RecordAddress, residency: Residency) {
  if (a.region !== "eu") return ns.get(ns.idFromName(recordObjectName(a)), { locationHint: LOCATION_HINTS[a.region] });
  if (residency === "emulate") return ns.get(ns.idFromName(emulatedEuName(a)));
  const eu = ns.jurisdiction("eu");
  return eu.get(eu.idFromName(recordObjectName(a)));
}
