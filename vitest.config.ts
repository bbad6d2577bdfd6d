import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // Tests read .dev.vars.example's values so they never depend on a developer's .dev.vars.
        bindings: {
          ADMIN_TOKEN: "test-admin-token",
          EU_JURISDICTION: "emulate",
          // A fixed test-only key (base64 of 32 bytes) and loopback targets for the local receiver.
          SECRETS_KEY: "80WbTdG97I8NJWVF/g2/DuZEC5g+uNFN1pFClBWmwoo=",
          ALLOW_LOOPBACK_TARGETS: "1",
          // wrangler.toml ships "record"; the suite runs "route", the key whose per-shard messages
          // the shard tests inspect (test/delivery-shards.test.ts checks "record" explicitly).
          DELIVERY_SHARD_KEY: "route",
          // wrangler.toml ships "exceptions"; the suite's trail tests read every outcome, so it runs
          // "all" (test/record-trail.test.ts checks "exceptions" explicitly).
          RECORD_TRAIL: "all",
          // Bench counters on (workers/bench): every test runs through the counting wrappers, and
          // test/bench-counters.test.ts reads them; production-off is unit-tested there.
          BENCH_COUNTERS: "1",
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
        },
        // The ingest limiter at 100 requests per 10 s per location instead of wrangler.toml's 3,000,
        // so test/ingest-rate-limit.test.ts reaches it in a second; no other test comes near.
        ratelimits: { INGEST_LIMITER: { namespace_id: "1001", simple: { limit: 100, period: 10 } } },
      },
    })),
  ],
  test: {
    include: ["shared/**/*.test.ts", "test/**/*.test.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
    // A Node HTTP receiver on 127.0.0.1 for webhook tests (workerd cannot listen): see the file.
    // The AsyncAPI parser runs in Node only: a service the same way (test/asyncapi-parser.global-setup.ts).
    globalSetup: ["./test/receivers.global-setup.ts", "./test/asyncapi-parser.global-setup.ts", "./test/openapi-validator.global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // cloudevents (devDependency, used by shared/envelope tests) is CJS and require()s uuid@8,
    // whose workerd-resolved entry is ESM, which workerd cannot require(): pre-bundle it into
    // one ESM file. Its node built-ins stay external; nodejs_compat provides them at runtime.
    deps: { optimizer: { ssr: { enabled: true, include: ["cloudevents"], rolldownOptions: { external: ["http", "https", "events"] } } } },
  },
});
