// The environment of a local Baton (npm start, npm run dev, the CLI): the embedded PostgreSQL
// when DATABASE_URL is unset, and generated secrets kept beside the data in .data/.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { env } from "@/server/config";
import { type EmbeddedDatabase, reachableDataDir, startEmbeddedPostgres } from "@/server/db/embedded";
import { connectionFields, withDatabase } from "@/server/db/url";

export const dataDir = path.resolve(env.BATON_DATA_DIR);

interface LocalSecrets {
  nextauthSecret: string;
  masterKey: string;
}

/** Generated once and stored with the data: losing them logs everyone out and locks secrets away. */
function localSecrets(): LocalSecrets {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as LocalSecrets;
  const secrets = {
    nextauthSecret: randomBytes(32).toString("base64url"),
    masterKey: randomBytes(32).toString("base64"),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** The master key of a local installation, as BATON_MASTER_KEYS, when none is set. */
export function localMasterKeys(): string | undefined {
  if (env.BATON_MASTER_KEYS || env.BATON_MASTER_KEY) return undefined;
  return `1:${localSecrets().masterKey}`;
}

export interface LocalDatabase {
  url: string;
  embedded?: EmbeddedDatabase;
}

/**
 * The embedded server's data folder: `.data/postgres`, unless the `postgres` user it runs as (when
 * we are root) cannot reach the checkout; `moved` then says where it is instead.
 */
export function embeddedDataDir(): { dir: string; moved: boolean } {
  return reachableDataDir(path.join(dataDir, "postgres"));
}

/** DATABASE_URL if set; otherwise the embedded server (started now) and its `baton` database. */
export async function localDatabase(log: (line: string) => void = () => {}): Promise<LocalDatabase> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL };
  const embedded = await startEmbeddedPostgres({
    dir: embeddedDataDir().dir,
    port: env.BATON_PG_PORT || undefined,
    log,
  });
  const client = new pg.Client(connectionFields(embedded.serverUrl));
  await client.connect();
  const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = 'baton'");
  if (exists.rowCount === 0) await client.query("CREATE DATABASE baton");
  await client.end();
  return { url: withDatabase(embedded.serverUrl, "baton"), embedded };
}

/** Fills in what a local run needs and production must set itself. */
export function localEnvironment(databaseUrl: string, port: number): NodeJS.ProcessEnv {
  const secrets = localSecrets();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    NEXTAUTH_SECRET: env.NEXTAUTH_SECRET ?? secrets.nextauthSecret,
    NEXTAUTH_URL: env.NEXTAUTH_URL ?? `http://localhost:${port}`,
    NEXT_TELEMETRY_DISABLED: "1",
    // Lines for a person at a terminal, unless JSON was asked for.
    BATON_LOG_FORMAT: env.BATON_LOG_FORMAT ?? "pretty",
  };
  const masterKeys = localMasterKeys();
  if (masterKeys) childEnv.BATON_MASTER_KEYS = masterKeys;
  return childEnv;
}
