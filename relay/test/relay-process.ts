/**
 * The relay CLI as a child process (its public surface): `node relay/bin/changecast-relay.mjs
 * <command> … --json`, with the JSON lines it writes to stderr collected as they come, so a
 * test can wait on one ("caught_up", a batch with duplicates…), send it a signal, or wait for
 * its exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { Edge } from "./edge";
import { waitFor } from "./edge";

const bin = join(import.meta.dirname, "..", "bin", "changecast-relay.mjs");

export type RelayLine = { event: string; [field: string]: any };

export type Relay = {
  child: ChildProcess;
  /** JSON stderr lines so far, in order. */
  lines: RelayLine[];
  /** stderr lines that were not JSON, and stdout, for failure messages. */
  text: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a line matching `match` (at or after index `from`); answers it. */
  waitForLine(what: string, match: (line: RelayLine) => boolean, opts?: { from?: number; timeoutMs?: number }): Promise<RelayLine>;
  kill(signal: NodeJS.Signals): void;
  /** What it said, for an assertion's message. */
  transcript(): string;
};

/** The flags every run against a test edge and database takes. */
export function connectionFlags(edge: Pick<Edge, "ingestUrl" | "key">, databaseUrl: string): string[] {
  return ["--database-url", databaseUrl, "--ingest-url", edge.ingestUrl, "--location-key", edge.key];
}

export function startRelay(args: string[], env: Record<string, string> = {}): Relay {
  const child = spawn(process.execPath, [bin, ...args, "--json"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: RelayLine[] = [];
  const text: string[] = [];
  let partial = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    for (const raw of parts) {
      if (!raw.trim()) continue;
      try {
        const line = JSON.parse(raw) as RelayLine;
        if (line && typeof line.event === "string") lines.push(line);
        else text.push(raw);
      } catch {
        text.push(raw);
      }
    }
  });
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => text.push(chunk.trimEnd()));
  let done: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve((done = { code, signal })));
  });
  const relay: Relay = {
    child, lines, text, exited,
    transcript: () => [...lines.map((l) => JSON.stringify(l)), ...text].join("\n"),
    kill: (signal) => void child.kill(signal),
    waitForLine: (what, match, { from = 0, timeoutMs = 90_000 } = {}) =>
      waitFor(`relay line: ${what}`, () => {
        const found = lines.slice(from).find(match);
        if (found) return found;
        if (done) throw new Error(`relay exited (${JSON.stringify(done)}) before ${what}:\n${relay.transcript()}`);
        return null;
      }, timeoutMs),
  };
  return relay;
}

/** Runs the relay to its exit (e.g. with --once) and answers the exit code and its lines. */
export async function runRelay(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<{ code: number | null; lines: RelayLine[]; text: string[]; transcript: string }> {
  const relay = startRelay(args, env);
  const timer = setTimeout(() => relay.kill("SIGKILL"), timeoutMs);
  const { code, signal } = await relay.exited;
  clearTimeout(timer);
  if (signal === "SIGKILL") throw new Error(`relay ${args[0]} did not exit within ${timeoutMs} ms:\n${relay.transcript()}`);
  return { code, lines: relay.lines, text: relay.text, transcript: relay.transcript() };
}

/** Sum of a numeric field over the `batch` lines. */
export function batchTotal(lines: RelayLine[], field: "sent" | "accepted" | "duplicate" | "rejected"): number {
  return lines.filter((l) => l.event === "batch").reduce((sum, l) => sum + Number(l[field] ?? 0), 0);
}
