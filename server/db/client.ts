// The process-wide database handles: one node-postgres pool, shared by Prisma (through its
// driver adapter) and graphile-worker. Created on first use so that tests can point
// DATABASE_URL at their own database before anything connects.
//
// Only the modules biome.jsonc lists import this (the workspace door, account services, the raw
// SQL entry points); request handlers get a workspace-scoped client, or workspaceSql(scope).
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "@/prisma/generated/client";
import { env } from "@/server/config";
import { log } from "@/server/observability/logger";
import { oneQueryAtATime } from "./one-query-at-a-time";
import { connectionFields } from "./url";

export type Db = PrismaClient;

// Every timestamp is UTC, whatever the host's time zone. Prisma's DateTime columns are
// `timestamp(3)` without a zone; node-postgres would read them as the host's local time and write
// Dates in local time, so on a laptop in New York the engine's raw reads (logicalDate in
// templates, run windows) were five hours off. Prisma's own adapter parses them itself (as UTC).
pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (text) =>
  text === "infinity" || text === "-infinity"
    ? new Date(text === "infinity" ? 8.64e15 : -8.64e15)
    : new Date(`${text.replace(" ", "T")}Z`),
);
pg.defaults.parseInputDatesAsUTC = true;

let pool: pg.Pool | undefined;
let client: PrismaClient | undefined;

export function databaseUrl(): string {
  const url = env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: start Baton with `npm start`, which provides one");
  return url;
}

export function pgPool(): pg.Pool {
  if (!pool) {
    pool = new pg.Pool({
      ...connectionFields(databaseUrl()),
      max: env.BATON_DB_POOL_SIZE,
      application_name: "baton",
    });
    // An idle connection dropped by the server (restart, failover) must not crash the process;
    // the pool replaces it on next use.
    pool.on("error", connectionLost);
    pool.on("connect", (client) => {
      client.on("error", connectionLost);
      oneQueryAtATime(client);
    });
  }
  return pool;
}

/**
 * An idle connection dropped by the server: one line per burst, since a restart drops every
 * connection of the pool at once.
 */
let lostSince = 0;
let lostMore = 0;
function connectionLost(error: Error): void {
  if (Date.now() - lostSince < 10_000) {
    lostMore++;
    return;
  }
  log.warn({ err: error, ...(lostMore ? { alsoLost: lostMore } : {}) }, "database connection lost");
  lostSince = Date.now();
  lostMore = 0;
}

function prisma(): PrismaClient {
  client ??= new PrismaClient({ adapter: new PrismaPg(pgPool()) });
  return client;
}

/** The unscoped client. Reaching tenant rows through it outside the door is a bug. */
export const db: PrismaClient = new Proxy({} as PrismaClient, {
  get: (_target, key) => {
    const value = Reflect.get(prisma(), key);
    return typeof value === "function" ? value.bind(prisma()) : value;
  },
});

export async function closeDb(): Promise<void> {
  await client?.$disconnect();
  await pool?.end();
  client = undefined;
  pool = undefined;
}
