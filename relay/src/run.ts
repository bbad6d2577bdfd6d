/** Runs one validated command to its end: the part of the CLI tests can call in-process. */
import type { Config, Sink } from "./config.ts";
import { connect, ensureRelayTables } from "./db.ts";
import { runInstall } from "./install.ts";
import type { Logger } from "./log.ts";
import { runLogical } from "./logical.ts";
import { runPoll } from "./poll.ts";
import { createRuntime } from "./runtime.ts";
import { runSnapshot } from "./snapshot.ts";
import { runTimestamp } from "./timestamp.ts";

export async function runCommand(config: Config, logger: Logger, signal: AbortSignal): Promise<void> {
  if (config.command === "install") return runInstall(config, logger);
  return runSending(config, logger, signal);
}

async function runSending(config: Config & Sink, logger: Logger, signal: AbortSignal): Promise<void> {
  const db = await connect(config.databaseUrl);
  // Without a listener an idle connection's error would crash the process; the next query fails instead.
  db.on("error", (err) => logger.log({ event: "warn", code: "database_error", message: `database connection: ${err.message}` }));
  try {
    await ensureRelayTables(db, config.outboxTable);
    const rt = createRuntime(config, db, logger, signal);
    switch (config.command) {
      case "poll":
      case "notify":
        return await runPoll({ ...rt, config });
      case "logical":
        return await runLogical({ ...rt, config });
      case "timestamp":
        return await runTimestamp({ ...rt, config });
      case "snapshot":
        return await runSnapshot({ ...rt, config });
    }
  } finally {
    await db.end().catch(() => {});
  }
}
