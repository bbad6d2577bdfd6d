/** Tenant regions: where a tenant's master records live and its routes deliver by default. */
export const REGIONS = ["us", "eu", "ap"] as const;
export type Region = (typeof REGIONS)[number];
