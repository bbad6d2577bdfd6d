import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../workers/index";

describe("the cron's housekeeping", () => {
  it("forgets idempotency keys after 24 h and attempt-log rows after 30 days, keeping newer ones", async () => {
    const now = Date.UTC(2026, 10, 28, 12);
    const hour = 3_600_000;
    await env.DB.batch([
      env.DB.prepare("INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at) VALUES ('s', 'old', 'h', 201, '', ?)").bind(now - 25 * hour),
      env.DB.prepare("INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at) VALUES ('s', 'new', 'h', 201, '', ?)").bind(now - 23 * hour),
      env.DB.prepare("INSERT INTO delivery_attempts (tenant_id, route_id, id, created_at, attempts) VALUES ('t', 'r', 'old', ?, '[]')").bind(now - 31 * 24 * hour),
      env.DB.prepare("INSERT INTO delivery_attempts (tenant_id, route_id, id, created_at, attempts) VALUES ('t', 'r', 'new', ?, '[]')").bind(now - 29 * 24 * hour),
    ]);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: now, cron: "*/15 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const keys = await env.DB.prepare("SELECT key FROM idempotency_keys ORDER BY key").all<{ key: string }>();
    const rows = await env.DB.prepare("SELECT id FROM delivery_attempts ORDER BY id").all<{ id: string }>();
    expect(keys.results.map((r) => r.key)).toEqual(["new"]);
    expect(rows.results.map((r) => r.id)).toEqual(["new"]);
  });
});
