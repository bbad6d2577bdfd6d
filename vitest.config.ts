import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // Tests read .dev.vars.example's values so they never depend on a developer's .dev.vars.
        bindings: { ADMIN_TOKEN: "test-admin-token", TEST_MIGRATIONS: await readD1Migrations("./migrations") },
      },
    })),
  ],
  test: {
    include: ["shared/**/*.test.ts", "test/**/*.test.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // cloudevents (devDependency, used by shared/envelope tests) is CJS and require()s uuid@8,
    // whose workerd-resolved entry is ESM, which workerd cannot require(): pre-bundle it into
    // one ESM file. Its node built-ins stay external; nodejs_compat provides them at runtime.
    deps: { optimizer: { ssr: { enabled: true, include: ["cloudevents"], rolldownOptions: { external: ["http", "https", "events"] } } } },
  },
});
