// Upgrades against a real database: an applied migration whose file changed refuses to migrate;
// a database migrated with the first version of 20261122063000_engine_hot_path (edited four times
// after it was first applied) is brought to the final functions by its repair migration; and the
// private graphile-worker columns the engine's functions read exist in the pinned version.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MigrationChecksumError,
  migrate,
  migrationFiles,
  pendingMigrations,
  readChecksumLock,
} from "@/server/db/migrate";

const HOT_PATH = "20261122063000_engine_hot_path";
const url = process.env.DATABASE_URL!;
const client = new pg.Client({ connectionString: url });
beforeAll(() => client.connect());
afterAll(() => client.end());

const FUNCTIONS = ["baton_record_outcomes", "baton_claim", "baton_finish_attempts"];

/** The engine's functions and row type as the database holds them. */
async function engineFunctions(): Promise<string[]> {
  const { rows } = await client.query<{ def: string }>(
    `SELECT pg_get_functiondef(p.oid) AS def FROM pg_proc p WHERE p.proname = ANY($1) ORDER BY p.proname`,
    [FUNCTIONS],
  );
  const type = await client.query<{ attrs: string }>(
    `SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) AS attrs
     FROM pg_attribute WHERE attrelid = 'baton_outcome'::regclass AND attnum > 0`,
  );
  return [...rows.map((r) => r.def), `baton_outcome(${type.rows[0]?.attrs})`];
}

const stored = async (name: string) =>
  (
    await client.query<{ checksum: string }>(
      `SELECT checksum FROM "_prisma_migrations" WHERE migration_name = $1`,
      [name],
    )
  ).rows[0]?.checksum;

describe("migrate", () => {
  it("has nothing pending on a migrated database", async () => {
    expect(await pendingMigrations(client)).toEqual([]);
    expect(await migrate(url)).toEqual([]);
  });

  it("refuses, naming it, when an applied migration's file has changed since", async () => {
    const first = migrationFiles()[0]!.name;
    const original = await stored(first);
    await client.query(`UPDATE "_prisma_migrations" SET checksum = $2 WHERE migration_name = $1`, [
      first,
      "0".repeat(64),
    ]);
    try {
      const error = await migrate(url).catch((e: Error) => e);
      expect(error).toBeInstanceOf(MigrationChecksumError);
      expect((error as Error).message).toContain(`${first}: applied with checksum 000000000000…`);
      expect((error as Error).message).toMatch(/make the change in a new migration/);
      // As an operator sees it: the message, no stack trace, exit code 1.
      const cli = spawnSync("npx", ["tsx", "scripts/migrate.ts"], {
        env: { ...process.env, DATABASE_URL: url },
        encoding: "utf8",
      });
      expect(cli.stderr).toContain(
        `refusing to migrate: a migration was changed after this database applied it:\n  ${first}:`,
      );
      expect(cli.stderr).not.toMatch(/^\s+at /m);
      expect(cli.status).toBe(1);
    } finally {
      await client.query(`UPDATE "_prisma_migrations" SET checksum = $2 WHERE migration_name = $1`, [
        first,
        original,
      ]);
    }
  });

  it("repairs a database migrated with the first version of the engine's hot path", async () => {
    const { by, earlier } = readChecksumLock().repaired[HOT_PATH]!;
    // The functions as the repair defines them (later migrations may have replaced some since).
    await client.query(readFileSync(`prisma/migrations/${by}/migration.sql`, "utf8"));
    const final = await engineFunctions();
    // The database as it was after applying the first version: its functions and row type, its
    // checksum, and no repair yet.
    await client.query(
      `DROP FUNCTION baton_finish_attempts, baton_record_outcomes, baton_claim; DROP TYPE baton_outcome`,
    );
    await client.query(readFileSync("test/support/fixtures/engine-hot-path.first-version.sql", "utf8"));
    await client.query(`UPDATE "_prisma_migrations" SET checksum = $2 WHERE migration_name = $1`, [
      HOT_PATH,
      earlier[0],
    ]);
    await client.query(`DELETE FROM "_prisma_migrations" WHERE migration_name = $1`, [by]);
    expect(await engineFunctions()).not.toEqual(final);

    expect(await migrate(url)).toEqual([by]);
    expect(await engineFunctions()).toEqual(final);
    expect(await stored(HOT_PATH)).toBe(readChecksumLock().checksums[HOT_PATH]);
    expect(await migrate(url)).toEqual([]);
  });
});

describe("graphile-worker's private tables", () => {
  it("have the columns the engine's SQL functions read (baton_finish_attempts takes jobs itself)", async () => {
    const used = {
      _private_tasks: ["id", "identifier"],
      _private_jobs: ["id", "task_id", "payload", "is_available", "job_queue_id", "run_at", "priority"],
    };
    for (const [table, columns] of Object.entries(used)) {
      const { rows } = await client.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'graphile_worker' AND table_name = $1`,
        [table],
      );
      expect(rows.map((r) => r.column_name)).toEqual(expect.arrayContaining(columns));
    }
    // And the functions still reach them: an unknown column would fail here, not at the first task.
    const { rows } = await client.query(
      `SELECT * FROM baton_finish_attempts('{}'::uuid[], '{}'::uuid[], '{}'::int[], '{}'::"TaskState"[],
         '{}'::jsonb[], '{}'::text[], '{}'::jsonb[], '{}'::bool[], '{}'::uuid[], '{}'::text[], '{}'::text[],
         '{}'::int[], '{}'::text[])`,
    );
    expect(rows).toEqual([]);
  });
});
