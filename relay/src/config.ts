/**
 * The one place where flags and environment variables become a validated Config. Pure:
 * argv and env in, a Config, a help request or a one-line error out (exit code 2 in cli.ts).
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { parseColumnName, parseQualifiedName, type QualifiedName } from "./identifiers.ts";
import { helpText, COMMANDS, type Command } from "./help.ts";

export type TableSpec = { table: QualifiedName; recordType: string };

type Common = {
  databaseUrl: string;
  outboxTable: QualifiedName;
  batchSize: number;
  pollIntervalMs: number;
  name: string;
  once: boolean;
  json: boolean;
  statusIntervalMs: number;
};
export type Sink = { ingestUrl: string; locationKey: string };

export type InstallConfig = Common & { command: "install"; triggerTables: TableSpec[]; softDeleteColumn: string | null; logical: boolean; slot: string; publication: string };
export type PollConfig = Common & Sink & { command: "poll" | "notify" };
export type LogicalConfig = Common & Sink & { command: "logical"; slot: string; publication: string; maxRetainedWalMb: number };
export type TimestampConfig = Common & Sink & { command: "timestamp"; tables: TableSpec[]; updatedAtColumn: string; softDeleteColumn: string | null; lagMs: number };
export type SnapshotConfig = Common & Sink & { command: "snapshot"; tables: TableSpec[]; restart: boolean };
export type Config = InstallConfig | PollConfig | LogicalConfig | TimestampConfig | SnapshotConfig;

export type CliParse = { kind: "run"; config: Config } | { kind: "help"; text: string } | { kind: "error"; message: string };

type FlagType = "string" | "boolean";
const COMMON_FLAGS: Record<string, FlagType> = {
  "database-url": "string", "outbox-table": "string", "batch-size": "string", "poll-interval-ms": "string",
  name: "string", once: "boolean", json: "boolean", "status-interval-ms": "string", help: "boolean",
};
const SINK_FLAGS: Record<string, FlagType> = { "ingest-url": "string", "location-key": "string" };
const FLAGS_BY_COMMAND: Record<Exclude<Command, "help">, Record<string, FlagType>> = {
  install: { ...COMMON_FLAGS, "trigger-table": "string", "soft-delete-column": "string", logical: "boolean", slot: "string", publication: "string" },
  poll: { ...COMMON_FLAGS, ...SINK_FLAGS },
  notify: { ...COMMON_FLAGS, ...SINK_FLAGS },
  logical: { ...COMMON_FLAGS, ...SINK_FLAGS, slot: "string", publication: "string", "max-retained-wal-mb": "string" },
  timestamp: { ...COMMON_FLAGS, ...SINK_FLAGS, table: "string", "updated-at-column": "string", "soft-delete-column": "string", "lag-ms": "string" },
  snapshot: { ...COMMON_FLAGS, ...SINK_FLAGS, table: "string", restart: "boolean" },
};
const REPEATABLE = new Set(["trigger-table", "table"]);
/** Flags that may also come from the environment, first variable wins; the flag beats all. */
const ENV_FALLBACKS: Record<string, string[]> = {
  "database-url": ["CHANGECAST_DATABASE_URL", "DATABASE_URL"],
  "ingest-url": ["CHANGECAST_INGEST_URL"],
  "location-key": ["CHANGECAST_LOCATION_KEY"],
};

// Same rule as the edge's changeSchema.recordType (shared/change/schema.ts).
const RECORD_TYPE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

const int = (min: number, max: number) =>
  z.string().regex(/^-?\d+$/, "must be a whole number").transform(Number).pipe(z.number().min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`));
const qualifiedName = z.string().transform((s, ctx) => {
  const parsed = parseQualifiedName(s);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: `is invalid: ${parsed.reason}` });
  return parsed.ok ? parsed.value : { schema: null, name: "" };
});
const columnName = z.string().transform((s, ctx) => {
  const parsed = parseColumnName(s);
  if (parsed === null) ctx.addIssue({ code: "custom", message: "must be a column name" });
  return parsed ?? "";
});
const tableSpec = z.string().transform((s, ctx): TableSpec => {
  const colon = s.lastIndexOf(":");
  const tablePart = colon === -1 ? s : s.slice(0, colon);
  const parsed = parseQualifiedName(tablePart);
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: `is invalid: ${parsed.reason}` });
    return { table: { schema: null, name: "" }, recordType: "" };
  }
  const recordType = colon === -1 ? parsed.value.name : s.slice(colon + 1);
  if (!RECORD_TYPE.test(recordType)) {
    ctx.addIssue({ code: "custom", message: `record type "${recordType}" must be letters, digits and _, starting with a letter, at most 64 (write <table>:<recordType>)` });
  }
  return { table: parsed.value, recordType };
});
const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL");
const httpUrl = z.string().url("must be an http(s) URL").refine((s) => /^https?:\/\//.test(s), "must be an http(s) URL").transform((s) => s.replace(/\/+$/, ""));

/** Field schemas by flag name; required fields have no default. */
const FIELDS = {
  "database-url": postgresUrl,
  "ingest-url": httpUrl,
  "location-key": z.string().regex(/^loc_[A-Za-z0-9_-]+$/, "must be a location key (loc_…)"),
  "outbox-table": qualifiedName.prefault("changecast_outbox"),
  "batch-size": int(1, 500).default(500),
  "poll-interval-ms": int(10, 3_600_000).default(1000),
  "status-interval-ms": int(0, 86_400_000).default(5000),
  name: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters").optional(),
  once: z.boolean().default(false),
  json: z.boolean().default(false),
  "trigger-table": z.array(tableSpec).default([]),
  table: z.array(tableSpec).min(1, "is required at least once (--table <table>[:<recordType>])"),
  "soft-delete-column": columnName.optional(),
  "updated-at-column": columnName.default("updated_at"),
  "lag-ms": int(0, 86_400_000).default(2000),
  logical: z.boolean().default(false),
  restart: z.boolean().default(false),
  slot: z.string().regex(SLOT_NAME, "must be lower-case letters, digits and _ (at most 63)").default("changecast_relay"),
  publication: z.string().regex(SLOT_NAME, "must be lower-case letters, digits and _ (at most 63)").default("changecast_outbox"),
  "max-retained-wal-mb": int(1, 10_000_000).default(1024),
} satisfies Record<string, z.ZodType>;
type FieldName = keyof typeof FIELDS;

function describeFlag(flag: string): string {
  const envs = ENV_FALLBACKS[flag];
  return envs ? `--${flag} (or ${envs.join(" / ")})` : `--${flag}`;
}

export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliParse {
  const [commandArg, ...rest] = argv;
  if (commandArg === undefined || commandArg === "help" || commandArg === "--help" || commandArg === "-h") {
    const topic = rest[0];
    return { kind: "help", text: helpText(topic && (COMMANDS as readonly string[]).includes(topic) ? (topic as Command) : "help") };
  }
  if (!(COMMANDS as readonly string[]).includes(commandArg) ) {
    return { kind: "error", message: `unknown command "${commandArg}" (one of ${COMMANDS.join(", ")}; see changecast-relay help)` };
  }
  const command = commandArg as Exclude<Command, "help">;
  const allowed = FLAGS_BY_COMMAND[command];
  const options = Object.fromEntries(Object.entries(allowed).map(([flag, type]) => [flag, { type, multiple: REPEATABLE.has(flag) }]));
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...rest], options, strict: true, allowPositionals: false }));
  } catch (err) {
    // Node's messages can run over several lines; the first says what is wrong.
    return { kind: "error", message: `${(err as Error).message.split("\n")[0]!.replace(/\.$/, "")} (see changecast-relay ${command} --help)` };
  }
  if (values.help) return { kind: "help", text: helpText(command) };

  const raw: Record<string, unknown> = {};
  for (const flag of Object.keys(allowed)) {
    if (flag === "help") continue;
    const fromEnv = (ENV_FALLBACKS[flag] ?? []).map((name) => env[name]).find((v) => v !== undefined && v !== "");
    raw[flag] = values[flag] ?? fromEnv;
  }
  const required: FieldName[] = command === "install" ? ["database-url"] : ["database-url", "ingest-url", "location-key"];
  if (command === "timestamp" || command === "snapshot") required.push("table");
  const REQUIRED_HINT: Partial<Record<FieldName, string>> = { table: " (--table <table>[:<recordType>], repeatable)" };
  for (const flag of required) {
    if (raw[flag] === undefined) return { kind: "error", message: `${describeFlag(flag)} is required${REQUIRED_HINT[flag] ?? ""}` };
  }
  const out: Record<string, unknown> = {};
  for (const flag of Object.keys(raw) as FieldName[]) {
    const parsed = FIELDS[flag].safeParse(raw[flag]);
    if (!parsed.success) {
      const got = raw[flag];
      const gotText = got === undefined ? "" : ` (got ${Array.isArray(got) ? got.join(", ") || "none" : String(got)})`;
      return { kind: "error", message: `${describeFlag(flag)} ${parsed.error.issues[0]!.message}${gotText}` };
    }
    out[flag] = parsed.data;
  }
  return { kind: "run", config: toConfig(command, out) };
}

function toConfig(command: Exclude<Command, "help">, v: Record<string, unknown>): Config {
  const common: Common = {
    databaseUrl: v["database-url"] as string,
    outboxTable: v["outbox-table"] as QualifiedName,
    batchSize: v["batch-size"] as number,
    pollIntervalMs: v["poll-interval-ms"] as number,
    name: (v.name as string | undefined) ?? command,
    once: v.once as boolean,
    json: v.json as boolean,
    statusIntervalMs: v["status-interval-ms"] as number,
  };
  const sink = { ingestUrl: v["ingest-url"] as string, locationKey: v["location-key"] as string };
  const softDeleteColumn = (v["soft-delete-column"] as string | undefined) ?? null;
  switch (command) {
    case "install":
      return { ...common, command, triggerTables: v["trigger-table"] as TableSpec[], softDeleteColumn, logical: v.logical as boolean, slot: v.slot as string, publication: v.publication as string };
    case "poll":
    case "notify":
      return { ...common, ...sink, command };
    case "logical":
      return { ...common, ...sink, command, slot: v.slot as string, publication: v.publication as string, maxRetainedWalMb: v["max-retained-wal-mb"] as number };
    case "timestamp":
      return { ...common, ...sink, command, tables: v.table as TableSpec[], updatedAtColumn: v["updated-at-column"] as string, softDeleteColumn, lagMs: v["lag-ms"] as number };
    case "snapshot":
      return { ...common, ...sink, command, tables: v.table as TableSpec[], restart: v.restart as boolean };
  }
}
