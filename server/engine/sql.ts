// The engine talks to PostgreSQL with plain SQL over node-postgres: its statements run on every
// task hop, where Prisma's per-query overhead (~1 ms) would be most of the hop. Every statement
// names the workspace it acts in (from a WorkspaceScope or a job payload), like the scoped client.
import type pg from "pg";
import { pgPool } from "@/server/db/client";

export type Sql = Pick<pg.PoolClient, "query">;

/** Deadlocks and serialization failures: the transaction can simply run again. */
const retryable = new Set(["40P01", "40001"]);

/**
 * Runs `fn` in a transaction on one pooled connection, again (up to 5 times) when PostgreSQL
 * aborts it as a deadlock victim: completions of a wide fan-in update the same counters.
 */
export async function transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pgPool().connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      const code = (error as { code?: string }).code;
      if (!code || !retryable.has(code)) throw error;
      if (attempt >= 5) {
        // PostgreSQL explains a deadlock (which statements waited on which) in `detail`.
        (error as Error).message +=
          ` (after ${attempt} tries): ${(error as { detail?: string }).detail ?? ""}`;
        throw error;
      }
    } finally {
      client.release();
    }
  }
}

/** A statement outside any transaction. */
export const sql: Sql = {
  query: ((...args: Parameters<pg.Pool["query"]>) => pgPool().query(...args)) as Sql["query"],
};
