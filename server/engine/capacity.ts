// What the worker pools hold and what a workspace's ready tasks wait for: the read side of
// admission (dispatch.ts), for the platform console (every pool, its workers, who waits) and for a
// workspace's own pages (the pools its tasks run in, what it holds there, why its tasks wait).
// A workspace sees its own figures and each pool's size, never another tenant's.
import { env } from "@/server/config";
import { sql } from "./sql";
import { SHARED_POOL } from "./worker-pools";

export interface WorkerPoolLoad {
  name: string;
  /** Live workers serving the pool, and their slots (its capacity). */
  workers: number;
  slots: number;
  /** Task instances holding one of its slots now. */
  busy: number;
  /** Workspaces waiting for its slots. */
  waiting: number;
}

/** The load of each of the named worker pools. */
export async function workerPoolLoads(names: string[]): Promise<WorkerPoolLoad[]> {
  const { rows } = await sql.query<WorkerPoolLoad>(
    `SELECT n.name,
            (SELECT count(*)::int FROM "Worker" k
             WHERE n.name = ANY(k.pools) AND baton_worker_live(k."heartbeatAt", k."lagMs", $2::int)) AS workers,
            l.capacity AS slots, l.busy,
            (SELECT count(*)::int FROM "PoolWait" w WHERE w."workerPool" = n.name) AS waiting
     FROM unnest($1::text[]) AS n(name) CROSS JOIN LATERAL baton_pool_load(n.name, $2::int) l
     ORDER BY n.name`,
    [names, env.BATON_LOST_ATTEMPT_SECONDS],
  );
  return rows;
}

/** Every worker pool the installation knows: served by a registered worker, assigned, or waited for. */
export async function knownWorkerPools(): Promise<string[]> {
  const { rows } = await sql.query<{ name: string }>(
    `SELECT $1::text AS name
     UNION SELECT unnest(pools) FROM "Worker"
     UNION SELECT "workerPool" FROM "Workspace" WHERE "workerPool" IS NOT NULL
     UNION SELECT "workerPool" FROM "Pool" WHERE "workerPool" IS NOT NULL
     UNION SELECT "workerPool" FROM "PoolWait"`,
    [SHARED_POOL],
  );
  return rows.map((r) => r.name).sort();
}

/** The registered workers (live ones, and those gone within the hour), for the console. */
export async function registeredWorkers() {
  const { rows } = await sql.query<{
    id: string;
    name: string;
    pools: string[];
    slots: number;
    startedAt: Date;
    heartbeatAt: Date;
    lagMs: number;
    live: boolean;
  }>(
    `SELECT id, name, pools, slots, "startedAt", "heartbeatAt", "lagMs",
            baton_worker_live("heartbeatAt", "lagMs", $1::int) AS live
     FROM "Worker" ORDER BY live DESC, name`,
    [env.BATON_LOST_ATTEMPT_SECONDS],
  );
  return rows;
}

/** A worker pool as one workspace sees it. */
export interface WorkspaceWorkerPool {
  name: string;
  /** Live workers serving it, and their slots. */
  workers: number;
  slots: number;
  /** This workspace's tasks holding one of its slots. */
  running: number;
  /** This workspace has ready tasks held back for it (the pool is full, or it holds its fair share). */
  waiting: boolean;
}

/**
 * The worker pools a workspace's tasks run in (its own, and those its named pools are assigned
 * to), with the named pools that go to each.
 */
export async function workspaceWorkerPools(workspaceId: string): Promise<{
  home: string;
  byNamedPool: Map<string, string>;
  pools: WorkspaceWorkerPool[];
}> {
  const { rows: assigned } = await sql.query<{
    home: string | null;
    named: string | null;
    pool: string | null;
  }>(
    `SELECT w."workerPool" AS home, p.name AS named, p."workerPool" AS pool
     FROM "Workspace" w LEFT JOIN "Pool" p ON p."workspaceId" = w.id AND p."workerPool" IS NOT NULL
     WHERE w.id = $1`,
    [workspaceId],
  );
  const home = assigned[0]?.home ?? SHARED_POOL;
  const byNamedPool = new Map(
    assigned.flatMap((r) => (r.named && r.pool ? [[r.named, r.pool] as const] : [])),
  );
  const names = [...new Set([home, ...byNamedPool.values()])].sort();
  const loads = await workerPoolLoads(names);
  const { rows: mine } = await sql.query<{ pool: string; running: number; waiting: boolean }>(
    `SELECT n.pool,
            (SELECT count(*)::int FROM "TaskInstance" t WHERE t."workerPool" = n.pool AND t."workspaceId" = $2
               AND t.state IN ('scheduled', 'running')) AS running,
            EXISTS (SELECT 1 FROM "PoolWait" w WHERE w."workerPool" = n.pool AND w."workspaceId" = $2) AS waiting
     FROM unnest($1::text[]) AS n(pool)`,
    [names, workspaceId],
  );
  return {
    home,
    byNamedPool,
    pools: loads.map((load) => {
      const own = mine.find((m) => m.pool === load.name);
      return {
        name: load.name,
        workers: load.workers,
        slots: load.slots,
        running: own?.running ?? 0,
        waiting: own?.waiting ?? false,
      };
    }),
  };
}

/**
 * Why a workspace's ready (queued) tasks of each named pool wait, in words, or null for those
 * about to be admitted. What admission checks, in its order: suspension, the workspace's quota of
 * concurrent tasks, the named pool's slots, then the worker pool (no live worker, no room, or the
 * workspace at its fair share while others wait).
 */
export async function waitingReasons(
  workspaceId: string,
  namedPools: string[],
): Promise<Map<string, string | null>> {
  const [{ rows }, workerPools] = await Promise.all([
    sql.query<{
      suspended: boolean;
      cap: number;
      held: number;
      named: string;
      slots: number | null;
      admitted: number | null;
    }>(
      `SELECT w."suspendedAt" IS NOT NULL AS suspended, w."maxConcurrentTasks" AS cap,
              (SELECT count(*)::int FROM "TaskInstance" t WHERE t."workspaceId" = w.id
                 AND t.state IN ('scheduled', 'running') AND t."workerPool" IS NOT NULL) AS held,
              n.named, p.slots, p.admitted
       FROM "Workspace" w CROSS JOIN unnest($2::text[]) AS n(named)
       LEFT JOIN "Pool" p ON p."workspaceId" = w.id AND p.name = n.named
       WHERE w.id = $1`,
      [workspaceId, namedPools],
    ),
    workspaceWorkerPools(workspaceId),
  ]);
  const reasons = new Map<string, string | null>();
  for (const row of rows) {
    const poolName = workerPools.byNamedPool.get(row.named) ?? workerPools.home;
    const pool = workerPools.pools.find((p) => p.name === poolName);
    reasons.set(
      row.named,
      row.suspended
        ? "the workspace is suspended"
        : row.held >= row.cap
          ? `the workspace runs its limit of ${row.cap} tasks at once (maxConcurrentTasks)`
          : row.slots !== null && (row.admitted ?? 0) >= row.slots
            ? `pool ${row.named} has all its ${row.slots} slots in use`
            : !pool || pool.workers === 0
              ? poolName.startsWith("agent:")
                ? `no agent online in pool '${row.named}'`
                : `no live worker serves worker pool ${poolName}`
              : pool.waiting && poolName.startsWith("agent:")
                ? `every agent online in pool '${row.named}' is busy (${pool.slots} slots)`
                : pool.waiting
                  ? `worker pool ${poolName} has no slot free for this workspace (${pool.slots} slots, ${pool.running} running its tasks); it gets the next its fair share allows`
                  : null,
    );
  }
  return reasons;
}
