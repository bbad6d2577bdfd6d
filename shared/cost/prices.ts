/**
 * Cloudflare list prices (Workers Paid, Standard usage model, USD), as read from Cloudflare's
 * documentation on READ_ON. Pure data: the cost model (./model.ts) multiplies operation counts
 * by these. When Cloudflare changes a price, change it here with the new date and source.
 */

/** The day these prices were read. */
export const READ_ON = "2026-11-28";

/** Every billable item the model prices. Units: see `unit` of each price. */
export const COST_ITEMS = [
  "workersRequests",
  "workersCpuMs",
  "doRequests",
  "doDurationGbS",
  "doRowsRead",
  "doRowsWritten",
  "doStorageGbMonth",
  "queueOps",
  "r2ClassA",
  "r2ClassB",
  "r2StorageGbMonth",
  "d1RowsRead",
  "d1RowsWritten",
  "d1StorageGbMonth",
] as const;
export type CostItem = (typeof COST_ITEMS)[number];

export type Price = {
  product: string;
  unit: string;
  /** USD per `per` units. */
  usd: number;
  per: number;
  /** Units included in the monthly plan at no charge (the model can ignore them: see model.ts). */
  includedPerMonth: number;
  source: string;
};

const WORKERS = "https://developers.cloudflare.com/workers/platform/pricing/";
const DURABLE_OBJECTS = "https://developers.cloudflare.com/durable-objects/platform/pricing/";
const QUEUES = "https://developers.cloudflare.com/queues/platform/pricing/";
const R2 = "https://developers.cloudflare.com/r2/pricing/";
const D1 = "https://developers.cloudflare.com/d1/platform/pricing/";
const MILLION = 1_000_000;

export const LIST_PRICES: Readonly<Record<CostItem, Price>> = {
  // Inbound requests: fetch, cron and (assumed, like every invocation) each queue consumer batch.
  workersRequests: { product: "Workers", unit: "request", usd: 0.3, per: MILLION, includedPerMonth: 10 * MILLION, source: WORKERS },
  workersCpuMs: { product: "Workers", unit: "CPU ms", usd: 0.02, per: MILLION, includedPerMonth: 30 * MILLION, source: WORKERS },
  // Every RPC method call on a stub is its own session, so one billed request; alarms count too.
  doRequests: { product: "Durable Objects", unit: "request", usd: 0.15, per: MILLION, includedPerMonth: MILLION, source: DURABLE_OBJECTS },
  // Wall-clock while active, always billed at 128 MB: GB-s = seconds × 0.128.
  doDurationGbS: { product: "Durable Objects", unit: "GB-s", usd: 12.5, per: MILLION, includedPerMonth: 400_000, source: DURABLE_OBJECTS },
  doRowsRead: { product: "Durable Objects SQLite", unit: "row read", usd: 0.001, per: MILLION, includedPerMonth: 25_000 * MILLION, source: DURABLE_OBJECTS },
  // Each setAlarm() is billed as one row written; deletes count as rows written.
  doRowsWritten: { product: "Durable Objects SQLite", unit: "row written", usd: 1.0, per: MILLION, includedPerMonth: 50 * MILLION, source: DURABLE_OBJECTS },
  doStorageGbMonth: { product: "Durable Objects SQLite", unit: "GB-month", usd: 0.2, per: 1, includedPerMonth: 5, source: DURABLE_OBJECTS },
  // One operation per 64 KB (1 KB = 1,000 bytes, ~100 bytes of metadata per message) written, read or deleted.
  queueOps: { product: "Queues", unit: "operation", usd: 0.4, per: MILLION, includedPerMonth: MILLION, source: QUEUES },
  // Class A: PutObject, ListObjects, multipart…; Class B: GetObject, HeadObject; DeleteObject is free.
  r2ClassA: { product: "R2", unit: "Class A operation", usd: 4.5, per: MILLION, includedPerMonth: MILLION, source: R2 },
  r2ClassB: { product: "R2", unit: "Class B operation", usd: 0.36, per: MILLION, includedPerMonth: 10 * MILLION, source: R2 },
  r2StorageGbMonth: { product: "R2", unit: "GB-month", usd: 0.015, per: 1, includedPerMonth: 10, source: R2 },
  d1RowsRead: { product: "D1", unit: "row read", usd: 0.001, per: MILLION, includedPerMonth: 25_000 * MILLION, source: D1 },
  d1RowsWritten: { product: "D1", unit: "row written", usd: 1.0, per: MILLION, includedPerMonth: 50 * MILLION, source: D1 },
  d1StorageGbMonth: { product: "D1", unit: "GB-month", usd: 0.75, per: 1, includedPerMonth: 5, source: D1 },
};

/** The Workers Paid plan's monthly minimum, which carries the included amounts above. */
export const PAID_PLAN_USD_PER_MONTH = 5;

/** Queues: bytes per billed operation ("a KB is 1,000 bytes") and the metadata each message carries. */
export const QUEUE_OP_BYTES = 64_000;
export const QUEUE_MESSAGE_METADATA_BYTES = 100;

/** Durable Objects duration is billed for 128 MB whatever the object uses: 0.128 GB. */
export const DO_BILLED_GB = 0.128;
