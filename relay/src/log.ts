/**
 * Log lines on stderr: one JSON object per line with --json (for log shippers and tests), or
 * readable lines. stdout stays free for command output such as help.
 */
import { formatCount, formatDuration, formatProgressLine } from "./progress.ts";

export type LogEvent =
  | { event: "start"; mode: string; name: string; message: string }
  | { event: "batch"; mode: string; sent: number; accepted: number; duplicate: number; rejected: number; ms: number }
  | { event: "retry"; status: number | null; attempt: number; delayMs: number; reason: string }
  | { event: "status"; mode: string; sent: number; accepted: number; duplicate: number; lagRows: number | null; lagSeconds: number | null; ratePerSec: number }
  | { event: "progress"; table: string; done: number; total: number; ratePerSec: number; etaSeconds: number | null }
  | { event: "warn"; code: string; message: string; [key: string]: unknown }
  | { event: "info"; message: string; [key: string]: unknown }
  | { event: "caught_up" }
  | { event: "stopped"; signal: string }
  | { event: "error"; message: string };

export type Logger = { log(e: LogEvent): void };

export function formatHuman(e: LogEvent): string {
  switch (e.event) {
    case "start":
    case "info":
      return e.message;
    case "batch":
      return `${e.mode}: sent ${e.sent} (accepted ${e.accepted}, duplicate ${e.duplicate}, rejected ${e.rejected}) in ${e.ms} ms`;
    case "retry":
      return `retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s: ${e.reason}`;
    case "status": {
      const lag = e.lagRows === null ? "lag ?" : `lag ${formatCount(e.lagRows)} rows`;
      const age = e.lagSeconds === null ? "" : ` / ${formatDuration(e.lagSeconds)}`;
      return `${e.mode}: ${lag}${age}, ${formatCount(e.ratePerSec)} sent/s (sent ${formatCount(e.sent)}, accepted ${formatCount(e.accepted)}, duplicate ${formatCount(e.duplicate)})`;
    }
    case "progress":
      return formatProgressLine(e, false);
    case "warn":
      return `warning (${e.code}): ${e.message}`;
    case "caught_up":
      return "caught up";
    case "stopped":
      return `stopped by ${e.signal}; every accepted batch is checkpointed`;
    case "error":
      return `error: ${e.message}`;
  }
}

export function createLogger(json: boolean, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  return {
    log(e) {
      write(json ? `${JSON.stringify(e)}\n` : `changecast-relay: ${formatHuman(e)}\n`);
    },
  };
}
