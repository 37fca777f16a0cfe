// Raw SQL inside one workspace: the door for every module outside the engine's core that needs
// plain SQL (the delivery log, backfills, pools, usage…). Each statement or transaction runs as
// the tenant role `baton_tenant` with `app.workspace_id` set for that transaction only, so the
// row-level security policies on the tenant tables (migration 20261123120000_tenant_row_security)
// hide every other workspace's rows: a statement that forgets its `"workspaceId" = $1` still
// reads and writes nothing outside the workspace. Statements still name their workspace (the
// indexes lead with it); the policy is the net under them, not the filter.
//
// The scoped Prisma client (scoped-db.ts) enters the same way, so handlers' Prisma queries are
// under the same policies.
import { pgPool } from "@/server/db/client";
import { runTransaction, type Sql } from "@/server/db/sql";

export type { Sql };

/** The role the policies apply to (created by the migration; the connecting role may SET it). */
export const TENANT_ROLE = "baton_tenant";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The statement that enters a workspace inside a transaction: the tenant role and the workspace id,
 * both local to the transaction (they end with it, so a pooled connection never carries them on).
 */
export function enterWorkspace(workspaceId: string): string {
  // Interpolated so that it rides in one round trip with BEGIN; the id is checked to be a uuid.
  if (!UUID.test(workspaceId)) throw new Error(`not a workspace id: ${JSON.stringify(workspaceId)}`);
  return `SELECT set_config('role', '${TENANT_ROLE}', true), set_config('app.workspace_id', '${workspaceId}', true)`;
}

export interface WorkspaceSql extends Sql {
  readonly workspaceId: string;
  /** Runs `fn` in one transaction inside the workspace (retried on deadlock, like the engine's). */
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
}

/**
 * Raw SQL bound to a workspace: `of` is a scope (a request's or a job's) or, for code that has only
 * the id from a job payload or a looked-up row, the workspace id.
 */
export function workspaceSql(of: { workspace: { id: string } } | string): WorkspaceSql {
  const workspaceId = typeof of === "string" ? of : of.workspace.id;
  const begin = `BEGIN; ${enterWorkspace(workspaceId)}`;
  const transaction = <T>(fn: (sql: Sql) => Promise<T>) => runTransaction(pgPool(), begin, fn);
  // A single statement is a transaction of its own: the setting must not outlive it.
  const query = ((...args: unknown[]) =>
    transaction((sql) => (sql.query as (...a: unknown[]) => Promise<unknown>)(...args))) as Sql["query"];
  return { workspaceId, transaction, query };
}
