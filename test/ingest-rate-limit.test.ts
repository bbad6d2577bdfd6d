/**
 * Per-location ingest rate (DESIGN.md "Ingestion API": 429 with Retry-After). The suite's limiter
 * allows 100 requests per 10 s per location (vitest.config.ts; wrangler.toml ships 3,000). Every
 * request counts once its key is known, whatever its body, so the test spends the budget with
 * cheap bad requests, then sees a valid one refused with nothing stored, while another location
 * of the same tenant still gets through.
 */
import { describe, expect, it } from "vitest";
import { admin, call, change, newTenant, push } from "./helpers";

/**
 * The limiter counts in fixed windows aligned to the wall clock (as Cloudflare's does per
 * location): start right after a window opens, so the whole test falls in one window.
 */
async function atWindowStart(periodMs = 10_000): Promise<void> {
  await new Promise((r) => setTimeout(r, periodMs - (Date.now() % periodMs) + 50));
}

describe("ingest rate per location", () => {
  it("answers 429 problem+json with Retry-After once a location is over its rate, and stores nothing", { timeout: 60_000 }, async () => {
    const { tenant, keys } = await newTenant("us", ["store-1", "store-2"]);
    await atWindowStart();
    const spend = Array.from({ length: 100 }, () => call("POST", "/v1/changes", { token: keys["store-1"]!, body: {} }));
    expect((await Promise.all(spend)).map((r) => r.status)).toEqual(Array.from({ length: 100 }, () => 400));

    const over = await call("POST", "/v1/changes", { token: keys["store-1"]!, body: { changes: [change("rl-1", "insert", { a: 1 })] } });
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("10");
    expect(over.headers.get("content-type")).toBe("application/problem+json");
    expect(await over.json()).toMatchObject({ status: 429, title: "Too many requests", detail: expect.stringContaining("store-1") });
    expect((await admin("GET", `/tenants/${tenant}/records/customer/rl-1/audit`)).json.items ?? []).toEqual([]);

    // The CDC endpoints share the location's budget.
    expect((await call("POST", "/v1/changes/maxwell", { token: keys["store-1"]!, body: {} })).status).toBe(429);
    // Another location is counted on its own.
    const other = await push(keys["store-2"]!, [change("rl-2", "insert", { a: 2 })]);
    expect(other.results[0]).toMatchObject({ status: "accepted" });
  });

  it("does not count requests without a valid key against anyone", { timeout: 60_000 }, async () => {
    const { keys } = await newTenant();
    await atWindowStart();
    const anonymous = await Promise.all(Array.from({ length: 120 }, () => call("POST", "/v1/changes", { token: "loc_nobody", body: {} })));
    expect(new Set(anonymous.map((r) => r.status))).toEqual(new Set([401]));
    expect((await push(keys["store-1"]!, [change("rl-3", "insert", { a: 3 })])).results[0]).toMatchObject({ status: "accepted" });
  });
});
