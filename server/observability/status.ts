// The installation at a glance, for its operator (`baton status`): the live workers (their worker
// pools, slots and running attempts), each worker pool's capacity and queue, and the task that has
// waited longest. Read across every workspace, as the operator sees the installation; nothing here
// is shown to a tenant.
//
// A task waits in two places: `queued` (ready, not admitted yet: its workspace's quota, its named
// pool or its worker pool's room hold it back) and `scheduled` (admitted: a job waits for a worker
// slot of its pool). A queued task has no worker pool yet; it counts in the one admission will send
// it to: its named pool's, else its workspace's, else `shared`.
import { env } from "@/server/config";
import { crossTenantSql as sql } from "@/server/db/cross-tenant";
import { SHARED_POOL } from "@/server/engine/worker-pools";

export interface StatusWorker {
  id: string;
  /** host:pid */
  name: string;
  pools: string[];
  /** Its slots (0 while it stops), and the attempts it runs now. */
  slots: number;
  running: number;
  startedAt: Date;
  heartbeatAt: Date;
}

export interface StatusPool {
  name: string;
  /** Live workers serving the pool, and their slots. */
  workers: number;
  slots: number;
  /** Task instances running on its workers now. */
  running: number;
  /** The queue: ready tasks not admitted yet, and admitted ones waiting for a worker slot. */
  queued: number;
  scheduled: number;
  /** Workspaces held back for this pool's room or their fair share. */
  waitingWorkspaces: number;
  /** Since when its longest-waiting task waits (null: none waits). */
  oldestWaitingSince: Date | null;
}

export interface WaitingTask {
  workspace: string;
  dag: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  state: "queued" | "scheduled";
  pool: string;
  since: Date;
  waitingSeconds: number;
}

export interface InstallationStatus {
  workers: StatusWorker[];
  /** Registered workers whose heartbeat stopped (their attempts are retried by the reaper). */
  goneWorkers: number;
  pools: StatusPool[];
  oldestWaitingTask: WaitingTask | null;
}

/** The worker pool each waiting task instance is in, or will be admitted to. */
const WAITING = `
  SELECT t.*, CASE WHEN t.state = 'scheduled' THEN t."workerPool"
                   ELSE coalesce(p."workerPool", w."workerPool", $1) END AS "inPool"
  FROM "TaskInstance" t JOIN "Workspace" w ON w.id = t."workspaceId"
  LEFT JOIN "Pool" p ON p."workspaceId" = t."workspaceId" AND p.name = t.pool
  WHERE t.state IN ('queued', 'scheduled') AND (t.state = 'queued' OR t."workerPool" IS NOT NULL)`;

export async function installationStatus(): Promise<InstallationStatus> {
  const liveSeconds = env.BATON_LOST_ATTEMPT_SECONDS;
  const [workers, queues, running, oldest] = await Promise.all([
    sql.query<StatusWorker & { live: boolean }>(
      `SELECT k.id, k.name, k.pools, k.slots, k."startedAt", k."heartbeatAt",
              baton_worker_live(k."heartbeatAt", k."lagMs", $1::int) AS live,
              (SELECT count(*)::int FROM "TaskAttempt" a
               WHERE a.state = 'running' AND a."workerId" = ANY(k."lockIds")) AS running
       FROM "Worker" k ORDER BY k.name`,
      [liveSeconds],
    ),
    sql.query<{ pool: string; queued: number; scheduled: number; since: Date }>(
      `SELECT "inPool" AS pool, count(*) FILTER (WHERE state = 'queued')::int AS queued,
              count(*) FILTER (WHERE state = 'scheduled')::int AS scheduled, min("queuedAt") AS since
       FROM (${WAITING}) x GROUP BY 1`,
      [SHARED_POOL],
    ),
    sql.query<{ pool: string; running: number }>(
      `SELECT "workerPool" AS pool, count(*)::int AS running FROM "TaskInstance"
       WHERE state = 'running' AND "workerPool" IS NOT NULL GROUP BY 1`,
    ),
    sql.query<WaitingTask>(
      `SELECT s.slug AS workspace, d.key AS dag, x."runId", x."taskId", x."mapIndex", x.state::text AS state,
              x."inPool" AS pool, x."queuedAt" AS since,
              round(extract(epoch FROM now() - x."queuedAt"))::int AS "waitingSeconds"
       FROM (${WAITING}) x JOIN "Workspace" s ON s.id = x."workspaceId"
       JOIN "DagRun" r ON r.id = x."runId" JOIN "Dag" d ON d.id = r."dagId"
       WHERE x."queuedAt" IS NOT NULL ORDER BY x."queuedAt" LIMIT 1`,
      [SHARED_POOL],
    ),
  ]);
  const live = workers.rows.filter((w) => w.live).map(({ live: _, ...worker }) => worker);
  const names = new Set<string>([SHARED_POOL]);
  for (const worker of live) for (const pool of worker.pools) names.add(pool);
  for (const row of [...queues.rows, ...running.rows]) names.add(row.pool);
  const { rows: waiting } = await sql.query<{ pool: string; workspaces: number }>(
    `SELECT "workerPool" AS pool, count(*)::int AS workspaces FROM "PoolWait" GROUP BY 1`,
  );
  for (const row of waiting) names.add(row.pool);
  const pools = [...names].sort().map((name): StatusPool => {
    const serving = live.filter((w) => w.pools.includes(name));
    const queue = queues.rows.find((q) => q.pool === name);
    return {
      name,
      workers: serving.length,
      slots: serving.reduce((sum, w) => sum + w.slots, 0),
      running: running.rows.find((r) => r.pool === name)?.running ?? 0,
      queued: queue?.queued ?? 0,
      scheduled: queue?.scheduled ?? 0,
      waitingWorkspaces: waiting.find((w) => w.pool === name)?.workspaces ?? 0,
      oldestWaitingSince: queue?.since ?? null,
    };
  });
  return {
    workers: live,
    goneWorkers: workers.rows.length - live.length,
    pools,
    oldestWaitingTask: oldest.rows[0] ?? null,
  };
}
