// Test-only bindings (vitest.config.ts), on top of the Worker's own Env from `wrangler types`.
import type { D1Migration } from "@cloudflare/vitest-plugin";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
// Values test/*.global-setup.ts files hand to the tests (`inject(name)` from vitest).
declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the webhook receiver on 127.0.0.1 (test/receivers.global-setup.ts). */
    receiverUrl: string;
  }
}
export {};
