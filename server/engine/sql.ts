// The engine's core talks to PostgreSQL with plain SQL over node-postgres: its statements run on
// every task hop, where Prisma's per-query overhead (~1 ms) would be most of a hop. The engine acts
// for every workspace from one worker, so its connection is the owner's, which the row-level
// security policies do not apply to (they apply to the tenant role, server/tenancy/workspace-sql.ts):
// instead every statement names the workspace it acts in (from a WorkspaceScope or a job payload).
// Only server/engine/ may import this (biome.jsonc); everything else reaches raw SQL through
// workspaceSql(scope), or server/db/cross-tenant.ts for the platform's own paths.
import type pg from "pg";
import { pgPool } from "@/server/db/client";
import { poolSql, runTransaction, type Sql } from "@/server/db/sql";

export type { Sql };

/** Work to do once a transaction has committed, per transaction (see `afterCommit`). */
const commitHooks = new WeakMap<Sql, Array<() => void>>();

/**
 * Runs `hook` once the transaction `sql` belongs to has committed (not at all if it rolls back);
 * outside a transaction, right away. For what must see the commit: waking another workspace for a
 * slot this transaction freed, say.
 */
export function afterCommit(sql: Sql, hook: () => void): void {
  const hooks = commitHooks.get(sql);
  if (hooks) hooks.push(hook);
  else queueMicrotask(hook);
}

/**
 * Runs `fn` in a transaction on one pooled connection, again (up to 5 times) when PostgreSQL
 * aborts it as a deadlock victim: completions of a wide fan-in update the same counters. Then
 * what the successful try left for after the commit (`afterCommit`).
 */
export async function transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  let hooks: Array<() => void> = [];
  const result = await runTransaction(pgPool(), "BEGIN", (tx) => {
    hooks = [];
    commitHooks.set(tx, hooks);
    return fn(tx);
  });
  for (const hook of hooks) hook();
  return result;
}

/** A statement outside any transaction. */
export const sql: Sql = poolSql(pgPool);

// LISTEN on a channel from a connection of its own, for work that must start the moment another
// transaction commits. A lost connection is replaced after a pause; callers poll as well, so a
// notification missed meanwhile only delays the work.
/** Calls `onNotify` on each notification of `channel` until the returned stop is called. */
export function listen(
  channel: string,
  onNotify: (payload: string | undefined) => void,
): () => Promise<void> {
  let client: pg.PoolClient | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const handler = (message: pg.Notification) => {
    if (message.channel === channel) onNotify(message.payload);
  };
  const connect = async () => {
    if (stopped) return;
    try {
      const connection = await pgPool().connect();
      connection.on("notification", handler);
      connection.on("error", () => reconnect(connection));
      await connection.query(`LISTEN "${channel}"`);
      client = connection;
      if (stopped) await release();
    } catch {
      retry = setTimeout(connect, 1_000);
      retry.unref();
    }
  };
  const reconnect = (broken: pg.PoolClient) => {
    if (client !== broken) return;
    client = undefined;
    broken.release(true);
    retry = setTimeout(connect, 1_000);
    retry.unref();
  };
  const release = async () => {
    const connection = client;
    client = undefined;
    if (!connection) return;
    connection.off("notification", handler);
    await connection.query(`UNLISTEN "${channel}"`).catch(() => {});
    connection.release();
  };
  void connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await release();
  };
}
