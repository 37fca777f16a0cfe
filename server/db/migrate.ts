// Applies prisma/migrations/*/migration.sql in order and records each in Prisma's own
// `_prisma_migrations` table, so `prisma migrate status` agrees with what ran.
//
// Why not `prisma migrate deploy`: offline, the CLI runs Prisma's WASM schema engine, which keeps
// the process alive ~10 s after it finishes and costs a process spawn; startup and every test run
// pay for that. The files and the bookkeeping are the same.
//
// Safe upgrades: an applied migration is never run again, so a migration file edited after a
// database applied it would be skipped silently and the database would differ from the code.
// Before applying anything, every applied migration's stored checksum is compared with its file's:
// a difference refuses to migrate, with a message. The one exception is a migration listed in
// prisma/migrations/checksums.json under `repaired`: its earlier checksums are accepted because a
// later repair migration re-creates what the edits changed (and the stored checksum is brought up
// to date once the repair has run). The same file records every migration's checksum, so a test
// (test/unit/migrations.test.ts) fails when a committed migration is edited.
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { connectionFields } from "./url";

export const migrationsDir = path.join(process.cwd(), "prisma", "migrations");
export const checksumsFile = path.join(migrationsDir, "checksums.json");
/** Arbitrary, fixed: serialises concurrent migrators (several web and worker processes starting). */
const LOCK_ID = 72_707_369;

/** prisma/migrations/checksums.json. */
export interface ChecksumLock {
  /** Every committed migration's checksum. */
  checksums: Record<string, string>;
  /** Migrations edited after databases applied them, the checksums they had, and the migration that repairs them. */
  repaired: Record<string, { by: string; earlier: string[] }>;
}

/** The checksum Prisma records: SHA-256 of the file (line endings as LF, so a CRLF checkout agrees). */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}

/** The migrations in the repository, in order, with their SQL. */
export function migrationFiles(): { name: string; sql: string }[] {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ name, sql: readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8") }));
}

export function readChecksumLock(): ChecksumLock {
  return JSON.parse(readFileSync(checksumsFile, "utf8")) as ChecksumLock;
}

/** Thrown when applied migrations differ from their files: nothing was applied. */
export class MigrationChecksumError extends Error {
  override name = "MigrationChecksumError";
}

export async function migrate(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client(connectionFields(databaseUrl));
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [LOCK_ID]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const done = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Map(done.rows.map((r) => [r.migration_name, r.checksum]));
    const files = migrationFiles();
    const repaired = readChecksumLock().repaired;

    const changed: string[] = [];
    const restamp: { name: string; checksum: string; by: string }[] = [];
    for (const { name, sql } of files) {
      const stored = applied.get(name);
      const checksum = migrationChecksum(sql);
      if (stored === undefined || stored === checksum) continue;
      const repair = repaired[name];
      if (repair?.earlier.includes(stored)) restamp.push({ name, checksum, by: repair.by });
      else
        changed.push(
          `  ${name}: applied with checksum ${stored.slice(0, 12)}…, the file now has ${checksum.slice(0, 12)}…`,
        );
    }
    if (changed.length > 0) {
      throw new MigrationChecksumError(
        `refusing to migrate: ${changed.length === 1 ? "a migration was" : "migrations were"} changed after this database applied ${changed.length === 1 ? "it" : "them"}:\n${changed.join("\n")}\n` +
          "An applied migration never runs again, so the change would be skipped. Restore the file as it was " +
          "(git log -p prisma/migrations/<name>) and make the change in a new migration; see docs/operations.md (Upgrades).",
      );
    }

    const pending = files.filter(({ name }) => !applied.has(name));
    for (const { name, sql } of pending) {
      await client.query("BEGIN");
      try {
        await client.query(sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
           VALUES ($1, $2, now(), $3, 1)`,
          [randomUUID(), migrationChecksum(sql), name],
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${name} failed: ${(error as Error).message}`);
      }
    }
    // Edited migrations whose repair has now run record the file's checksum, as if applied as it is.
    for (const { name, checksum, by } of restamp) {
      if (!applied.has(by) && !pending.some((p) => p.name === by)) continue;
      await client.query(
        `UPDATE "_prisma_migrations" SET checksum = $2, logs = concat_ws(E'\\n', logs, $3::text) WHERE migration_name = $1`,
        [name, checksum, `checksum brought up to date: the edits are repaired by ${by}`],
      );
    }
    return pending.map((p) => p.name);
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [LOCK_ID]).catch(() => {});
    await client.end();
  }
}

/** Migrations in the repository that the database has not applied (empty when it is current). */
export async function pendingMigrations(client: Pick<pg.Client, "query">): Promise<string[]> {
  const done = await client
    .query<{ migration_name: string }>(
      `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    )
    .catch((error: { code?: string }) => {
      // A database never migrated has no table yet: everything is pending.
      if (error.code === "42P01") return { rows: [] as { migration_name: string }[] };
      throw error;
    });
  const applied = new Set(done.rows.map((r) => r.migration_name));
  return migrationFiles()
    .map((f) => f.name)
    .filter((name) => !applied.has(name));
}
