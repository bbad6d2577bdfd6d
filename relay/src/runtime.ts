/**
 * What every sending mode shares: the database connection, the sender, counters, the status
 * line and the stop signal. deliver() is the one path from a batch to "accepted": send, keep
 * rejected items aside, log. The caller checkpoints only after deliver() returned.
 */
import type { Config, Sink } from "./config.ts";
import { storeRejected, type Db } from "./db.ts";
import type { Logger } from "./log.ts";
import type { OutgoingChange } from "./mapping.ts";
import { createSender, type Sender } from "./sender.ts";

export type Lag = { rows: number | null; seconds: number | null };

export type Runtime = {
  config: Config & Sink;
  db: Db;
  logger: Logger;
  sender: Sender;
  signal: AbortSignal;
  totals: { sent: number; accepted: number; duplicate: number; rejected: number };
  deliver(changes: OutgoingChange[]): Promise<void>;
  /** Starts the periodic status line; the mode says how to measure its lag. */
  startStatus(lag: () => Promise<Lag>): () => void;
  /** Resolves after ms, or at once when stopped or woken. */
  idle(ms: number, wake?: AbortSignal): Promise<void>;
};

export function createRuntime(config: Config & Sink, db: Db, logger: Logger, signal: AbortSignal): Runtime {
  const sender = createSender({ ingestUrl: config.ingestUrl, locationKey: config.locationKey, logger, signal });
  const totals = { sent: 0, accepted: 0, duplicate: 0, rejected: 0 };
  const runtime: Runtime = {
    config, db, logger, sender, signal, totals,
    async deliver(changes) {
      if (changes.length === 0) return;
      const started = Date.now();
      const outcome = await sender.send(changes);
      // A poison change must not block the location: keep it aside, warn, move on.
      await storeRejected(db, config.outboxTable, outcome.rejected);
      for (const r of outcome.rejected) {
        logger.log({ event: "warn", code: "rejected", message: `change ${r.change.id} was rejected and stored in changecast_relay_rejected: ${JSON.stringify(r.error)}`, id: r.change.id, error: r.error });
      }
      totals.sent += changes.length;
      totals.accepted += outcome.accepted;
      totals.duplicate += outcome.duplicate;
      totals.rejected += outcome.rejected.length;
      logger.log({ event: "batch", mode: config.command, sent: changes.length, accepted: outcome.accepted, duplicate: outcome.duplicate, rejected: outcome.rejected.length, ms: Date.now() - started });
    },
    startStatus(lag) {
      if (config.statusIntervalMs === 0) return () => {};
      let lastSent = 0;
      let lastAt = Date.now();
      let running = false;
      const timer = setInterval(async () => {
        if (running) return; // a slow lag query must not pile up
        running = true;
        try {
          const l = await lag();
          const now = Date.now();
          const ratePerSec = Math.round(((totals.sent - lastSent) / Math.max(1, now - lastAt)) * 10_000) / 10;
          lastSent = totals.sent;
          lastAt = now;
          logger.log({ event: "status", mode: config.command, sent: totals.sent, accepted: totals.accepted, duplicate: totals.duplicate, lagRows: l.rows, lagSeconds: l.seconds, ratePerSec });
        } catch (err) {
          logger.log({ event: "warn", code: "status_failed", message: `could not measure lag: ${(err as Error).message}` });
        } finally {
          running = false;
        }
      }, config.statusIntervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    idle(ms, wake) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          wake?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        if (signal.aborted || wake?.aborted) return done();
        signal.addEventListener("abort", done, { once: true });
        wake?.addEventListener("abort", done, { once: true });
      });
    },
  };
  return runtime;
}
