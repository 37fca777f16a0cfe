// The engine's core talks to PostgreSQL with plain SQL over node-postgres: its statements run on
// every task hop, where Prisma's per-query overhead (~1 ms) would be most of a hop. The engine acts
// for every workspace from one worker, so its connection is the owner's, which the row-level
// security policies do not apply to (they apply to the tenant role, server/tenancy/workspace-sql.ts):
// instead every statement names the workspace it acts in (from a WorkspaceScope or a job payload).
// Only server/engine/ may import this (biome.jsonc); everything else reaches raw SQL through
// workspaceSql(scope), or server/db/cross-tenant.ts for the platform's own paths.
import { pgPool } from "@/server/db/client";
import { poolSql, runTransaction, type Sql } from "@/server/db/sql";

export type { Sql };

/**
 * Runs `fn` in a transaction on one pooled connection, again (up to 5 times) when PostgreSQL
 * aborts it as a deadlock victim: completions of a wide fan-in update the same counters.
 */
export function transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  return runTransaction(pgPool(), "BEGIN", fn);
}

/** A statement outside any transaction. */
export const sql: Sql = poolSql(pgPool);
