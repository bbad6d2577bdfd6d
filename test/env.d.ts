// Test-only bindings (vitest.config.ts), on top of the Worker's own Env from `wrangler types`.
import type { D1Migration } from "@cloudflare/vitest-plugin";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
export {};
