import { describe, expect, it } from "vitest";
import { parseCli, type Config } from "./config.ts";

const SINK = ["--database-url", "postgres://u:p@127.0.0.1:5432/app", "--ingest-url", "http://127.0.0.1:8787/", "--location-key", "loc_abc"];

function config(argv: string[], env: Record<string, string> = {}): Config {
  const parsed = parseCli(argv, env);
  if (parsed.kind !== "run") throw new Error(JSON.stringify(parsed));
  return parsed.config;
}

describe("config: every bad flag is named, with its environment variable where it has one", () => {
  it.each([
    [["poll", ...SINK, "--batch-size", "0"], "--batch-size must be between 1 and 500 (got 0)"],
    [["poll", ...SINK, "--batch-size", "501"], "--batch-size must be between 1 and 500 (got 501)"],
    [["poll", ...SINK, "--batch-size", "ten"], "--batch-size must be a whole number (got ten)"],
    [["poll", ...SINK, "--poll-interval-ms", "5"], "--poll-interval-ms must be between 10 and 3600000 (got 5)"],
    [["poll", ...SINK, "--status-interval-ms=-1"], "--status-interval-ms must be between 0 and 86400000 (got -1)"],
    [["poll", ...SINK, "--outbox-table", "a.b.c"], '--outbox-table is invalid: "a.b.c" is not a table name (use name or schema.name; quote mixed case as "Name") (got a.b.c)'],
    [["poll", ...SINK, "--outbox-table", "x;drop table y"], '--outbox-table is invalid: "x;drop table y" is not a table name (use name or schema.name; quote mixed case as "Name") (got x;drop table y)'],
    [["poll", ...SINK, "--name", ""], "--name must not be empty (got )"],
    [["poll", "--ingest-url", "http://x", "--location-key", "loc_a"], "--database-url (or CHANGECAST_DATABASE_URL / DATABASE_URL) is required"],
    [["poll", "--database-url", "postgres://x", "--location-key", "loc_a"], "--ingest-url (or CHANGECAST_INGEST_URL) is required"],
    [["poll", "--database-url", "postgres://x", "--ingest-url", "http://x"], "--location-key (or CHANGECAST_LOCATION_KEY) is required"],
    [["poll", "--database-url", "mysql://x", "--ingest-url", "http://x", "--location-key", "loc_a"], "--database-url (or CHANGECAST_DATABASE_URL / DATABASE_URL) must be a postgres:// or postgresql:// URL (got mysql://x)"],
    [["poll", "--database-url", "postgres://x", "--ingest-url", "ftp://x", "--location-key", "loc_a"], "--ingest-url (or CHANGECAST_INGEST_URL) must be an http(s) URL (got ftp://x)"],
    [["poll", "--database-url", "postgres://x", "--ingest-url", "http://x", "--location-key", "sk_a"], "--location-key (or CHANGECAST_LOCATION_KEY) must be a location key (loc_…) (got sk_a)"],
    [["poll", ...SINK, "--slot", "s"], "Unknown option '--slot' (see changecast-relay poll --help)"],
    [["poll", ...SINK, "stray"], expect.stringMatching(/^Unexpected argument 'stray'/)],
    [["logical", ...SINK, "--slot", "Bad-Slot"], "--slot must be lower-case letters, digits and _ (at most 63) (got Bad-Slot)"],
    [["logical", ...SINK, "--max-retained-wal-mb", "0"], "--max-retained-wal-mb must be between 1 and 10000000 (got 0)"],
    [["timestamp", ...SINK], "--table is required (--table <table>[:<recordType>], repeatable)"],
    [["timestamp", ...SINK, "--table", "items:9lives"], '--table record type "9lives" must be letters, digits and _, starting with a letter, at most 64 (write <table>:<recordType>) (got items:9lives)'],
    [["timestamp", ...SINK, "--table", "items", "--lag-ms", "x"], "--lag-ms must be a whole number (got x)"],
    [["timestamp", ...SINK, "--table", "items", "--updated-at-column", "a b"], "--updated-at-column must be a column name (got a b)"],
    [["snapshot", ...SINK, "--table", "a", "--table", "b.c.d"], '--table is invalid: "b.c.d" is not a table name (use name or schema.name; quote mixed case as "Name") (got a, b.c.d)'],
    [["install", "--database-url", "postgres://x", "--trigger-table", "orders:"], '--trigger-table record type "" must be letters, digits and _, starting with a letter, at most 64 (write <table>:<recordType>) (got orders:)'],
    [["install", "--database-url", "postgres://x", "--ingest-url", "http://x"], "Unknown option '--ingest-url' (see changecast-relay install --help)"],
    [["frob"], 'unknown command "frob" (one of install, poll, notify, logical, timestamp, snapshot, help; see changecast-relay help)'],
  ])("%j → %s", (argv, message) => {
    expect(parseCli(argv, {})).toEqual({ kind: "error", message });
  });
});

describe("config: values", () => {
  it("applies defaults", () => {
    expect(config(["poll", ...SINK])).toEqual({
      command: "poll",
      databaseUrl: "postgres://u:p@127.0.0.1:5432/app",
      ingestUrl: "http://127.0.0.1:8787",
      locationKey: "loc_abc",
      outboxTable: { schema: null, name: "changecast_outbox" },
      batchSize: 500,
      pollIntervalMs: 1000,
      name: "poll",
      once: false,
      json: false,
      statusIntervalMs: 5000,
    });
  });

  it("reads the environment; a flag wins; DATABASE_URL is the last resort", () => {
    const env = { CHANGECAST_INGEST_URL: "https://edge.example", CHANGECAST_LOCATION_KEY: "loc_env", DATABASE_URL: "postgres://fallback" };
    expect(config(["notify"], env)).toMatchObject({ ingestUrl: "https://edge.example", locationKey: "loc_env", databaseUrl: "postgres://fallback" });
    expect(config(["notify"], { ...env, CHANGECAST_DATABASE_URL: "postgres://first" })).toMatchObject({ databaseUrl: "postgres://first" });
    expect(config(["notify", "--location-key", "loc_flag"], env)).toMatchObject({ locationKey: "loc_flag" });
  });

  it("parses repeatable tables with record types, schemas and quoting", () => {
    const c = config(["timestamp", ...SINK, "--table", "Items", "--table", 'app."Store List":store', "--soft-delete-column", "deleted_at", "--lag-ms", "0", "--once", "--name", "ts-1"]);
    expect(c).toMatchObject({
      command: "timestamp",
      tables: [
        { table: { schema: null, name: "items" }, recordType: "items" },
        { table: { schema: "app", name: "Store List" }, recordType: "store" },
      ],
      updatedAtColumn: "updated_at",
      softDeleteColumn: "deleted_at",
      lagMs: 0,
      once: true,
      name: "ts-1",
    });
  });

  it("install needs only the database", () => {
    expect(config(["install", "--database-url", "postgres://x", "--trigger-table", "customers:customer", "--logical"])).toMatchObject({
      command: "install",
      triggerTables: [{ table: { schema: null, name: "customers" }, recordType: "customer" }],
      softDeleteColumn: null,
      logical: true,
      slot: "changecast_relay",
      publication: "changecast_outbox",
    });
  });

  it.each([[[]], [["help"]], [["--help"]], [["help", "logical"]], [["logical", "--help"]]])("%j prints help", (argv) => {
    expect(parseCli(argv, {}).kind).toBe("help");
  });

  it("each command's help says what it cannot see", () => {
    const help = (cmd: string) => (parseCli([cmd, "--help"], {}) as { text: string }).text;
    expect(help("timestamp")).toMatch(/hard deletes/);
    expect(help("poll")).toMatch(/pg_snapshot_xmin/);
    expect(help("logical")).toMatch(/WAL/);
    expect(help("snapshot")).toMatch(/--restart/);
  });
});
