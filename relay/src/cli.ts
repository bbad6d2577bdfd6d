/**
 * Entry point: parse and validate flags (exit 2 on bad config), run the command, map failures
 * to exit 1. SIGINT/SIGTERM ask the running mode to stop after the batch in flight and its
 * checkpoint (exit 0); a second signal exits at once (exit 1).
 */
import { parseCli } from "./config.ts";
import { UserFacingError } from "./db.ts";
import { createLogger } from "./log.ts";
import { runCommand } from "./run.ts";
import { FatalSendError, SendAborted } from "./sender.ts";

async function main(): Promise<number> {
  const parsed = parseCli(process.argv.slice(2), process.env);
  if (parsed.kind === "help") {
    process.stdout.write(parsed.text);
    return 0;
  }
  if (parsed.kind === "error") {
    process.stderr.write(`changecast-relay: ${parsed.message}\n`);
    return 2;
  }
  const config = parsed.config;
  const logger = createLogger(config.json);
  const stop = new AbortController();
  let stoppedBy: string | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppedBy !== null) process.exit(1);
    stoppedBy = signal;
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await runCommand(config, logger, stop.signal);
  } catch (err) {
    if (!(err instanceof SendAborted)) {
      const known = err instanceof FatalSendError || err instanceof UserFacingError;
      const message = err instanceof Error ? err.message : String(err);
      logger.log({ event: "error", message });
      if (!known && !config.json && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
      return 1;
    }
  }
  if (stoppedBy !== null) logger.log({ event: "stopped", signal: stoppedBy });
  return 0;
}

process.exitCode = await main();
// Explicit exit: a LISTEN or replication socket still closing must not keep the process up.
process.exit();
