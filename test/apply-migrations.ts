// D1 storage is isolated per test file: apply the project's migrations before each file runs.
import { applyD1Migrations, env } from "cloudflare:test";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
