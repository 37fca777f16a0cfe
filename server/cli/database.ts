// The CLI's database: DATABASE_URL when set, otherwise the local installation's embedded
// PostgreSQL in .data/postgres — reusing the server a running `npm start` already has up, or
// starting it for the length of one command. Migrations are applied first, as `npm start` does,
// so the CLI works on a fresh installation before the web app has ever run.
//
// With DATABASE_URL given, the process-wide connection pool belongs to whoever set it (the entry
// point closes it; a test keeps using it), so close() leaves it open: modules such as the sign-in
// limiter hold on to the pool and fail once it has ended.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { embeddedDataDir, localDatabase, localMasterKeys } from "@/scripts/local-env";
import { env } from "@/server/config";
import { closeDb } from "@/server/db/client";
import { migrateAll } from "@/server/db/migrate-all";
import { connectionFields, withDatabase } from "@/server/db/url";

export interface CliDatabase {
  url: string;
  /** When the embedded server was used: closes the pool, stops the server if this command started it. */
  close(): Promise<void>;
}

/** Opens the database for one command; `note` gets a line for the person waiting on a slow start. */
export async function openDatabase(note: (line: string) => void = () => {}): Promise<CliDatabase> {
  if (env.DATABASE_URL) {
    const url = env.DATABASE_URL;
    await migrateAll(url);
    return { url, close: async () => {} };
  }
  let url = runningEmbeddedUrl();
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    note(`Starting the embedded PostgreSQL in ${embeddedDataDir().dir}…`);
    const local = await localDatabase();
    url = local.url;
    stopEmbedded = local.embedded?.stop;
  }
  // The local installation's master key, kept beside its data (secrets need it).
  const masterKeys = localMasterKeys();
  if (masterKeys) process.env.BATON_MASTER_KEYS = masterKeys;
  // The shared client reads DATABASE_URL when it first connects.
  process.env.DATABASE_URL = url;
  const close = async () => {
    await closeDb();
    if (stopEmbedded) {
      await poolGone(url);
      await stopEmbedded();
    }
    delete process.env.DATABASE_URL;
  };
  try {
    await migrateAll(url);
  } catch (error) {
    await close();
    throw error;
  }
  return { url, close };
}

/**
 * Waits (a second at most) until the server has seen the pool's sockets close: pool.end() resolves
 * before that, and stopping the server under a closing connection prints "connection lost".
 */
async function poolGone(url: string): Promise<void> {
  const client = new pg.Client(connectionFields(url));
  try {
    await client.connect();
    for (let i = 0; i < 50; i++) {
      const open = await client.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'baton' AND pid <> pg_backend_pid()",
      );
      if (open.rows[0].n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } catch {
    // Only a nicety before the server stops.
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The URL of the embedded server when another process (usually `npm start`) is running it: a
 * second postmaster cannot start on the same data directory. PostgreSQL's lock file holds the
 * pid on its first line and the port on its fourth.
 */
function runningEmbeddedUrl(): string | undefined {
  const lockFile = path.join(embeddedDataDir().dir, "postmaster.pid");
  if (!existsSync(lockFile)) return undefined;
  const [pid, , , port] = readFileSync(lockFile, "utf8").split("\n");
  if (!pid || !port || !isAlive(Number(pid))) return undefined;
  // The credentials server/db/embedded.ts creates the cluster with.
  return withDatabase(`postgresql://baton:baton@127.0.0.1:${Number(port)}/postgres`, "baton");
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user (the `postgres` user when run as root).
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
