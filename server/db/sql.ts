// Plain SQL over node-postgres: the statement interface, prepared statements and the transaction
// runner shared by the three entry points that hold a connection. Nothing here picks a pool or a
// tenant; the entry points do:
//   - server/tenancy/workspace-sql.ts `workspaceSql(scope)`: statements inside one workspace, under
//     row-level security (every module outside the engine's core);
//   - server/engine/sql.ts: the engine's core (its statements name their workspace);
//   - server/db/cross-tenant.ts: the platform's own paths that act on every workspace.
// biome.jsonc says which modules may import which (lint/style/noRestrictedImports).
//
// Statements with parameters are prepared once per connection, named after their text: planning
// the engine's CTE statements afresh took more time than running them (a chain hop went from 4.7
// to 2.4 ms). graphile-worker prepares its own statements the same way. A prepared statement
// runs on a plan cached from the statistics of its first runs, and the counts of task instances
// per state swing by thousands within seconds: statements that find instances by id compare their
// state as text, so that no plan can pick them by state instead.
import { createHash } from "node:crypto";
import type pg from "pg";

export type Sql = Pick<pg.PoolClient, "query">;

/** Statement text → prepared statement name. Bounded: texts past the cap simply run unprepared. */
const names = new Map<string, string>();
const MAX_PREPARED = 500;

function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (!name && names.size < MAX_PREPARED) {
    name = `baton_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

/** `query(text, values)` as a named (prepared) statement; anything else passes through. */
export function preparing(target: Sql): Sql {
  const query = (...args: unknown[]) => {
    const [text, values] = args;
    if (typeof text === "string" && Array.isArray(values) && args.length === 2) {
      const name = statementName(text);
      if (name) return target.query({ name, text, values });
    }
    return (target.query as (...a: unknown[]) => unknown)(...args);
  };
  return { query: query as Sql["query"] };
}

/** Deadlocks and serialization failures: the transaction can simply run again. */
const retryable = new Set(["40P01", "40001"]);

/**
 * Runs `fn` in a transaction on one connection of `pool`, again (up to 5 times) when PostgreSQL
 * aborts it as a deadlock victim: completions of a wide fan-in update the same counters.
 * `begin` opens the transaction (a simple query: "BEGIN", or BEGIN with settings after it).
 */
export async function runTransaction<T>(
  pool: pg.Pool,
  begin: string,
  fn: (sql: Sql) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query(begin);
      const result = await fn(preparing(client));
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

/** Statements on `pool` outside any transaction, prepared. */
export function poolSql(pool: () => pg.Pool): Sql {
  return preparing({
    query: ((...args: Parameters<pg.Pool["query"]>) => pool().query(...args)) as Sql["query"],
  });
}
