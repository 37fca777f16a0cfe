// Raw SQL across every workspace, for the platform's own paths: the scheduler claiming due DAGs,
// retention, usage metering and quota alerts, webhook housekeeping and the endpoint lookup that
// precedes any workspace, the platform console's suspensions. These run as the owner role, which
// the row-level security policies do not apply to, so each statement must say which workspaces
// it acts on. Importing this module is a decision made in biome.jsonc (its list of the modules
// allowed to cross tenants); anything acting inside one workspace uses workspaceSql(scope).
import { pgPool } from "@/server/db/client";
import { poolSql, runTransaction, type Sql } from "@/server/db/sql";

export type { Sql };

/** A statement over every workspace, outside any transaction. */
export const crossTenantSql: Sql = poolSql(pgPool);

/** A transaction over every workspace (retried on deadlock). */
export function crossTenantTransaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  return runTransaction(pgPool(), "BEGIN", fn);
}
