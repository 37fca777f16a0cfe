// Fair multi-tenant admission. A ready task instance waits in `queued` until its workspace is
// under its concurrency quota (Workspace.maxConcurrentTasks) and its pool has a free slot; then it
// becomes `scheduled` and gets a graphile-worker job. Admission happens at the end of the same
// transaction that frees a slot or makes a task ready, so there is no dispatcher loop to poll or
// to lose.
//
// Fairness: a job's graphile-worker priority is the number of jobs its workspace already had
// admitted, so every workspace's first job ranks with every other workspace's first job: workers
// serve workspaces round robin, and a workspace with a huge backlog holds at most its quota of
// jobs in the queue. Each admission costs O(1) queries whatever the number of workspaces.
//
// Lock order: engine transactions lock task instances, then runs, then DAGs, and the workspace's
// dispatch row last, here; it is held only for admission and the commit.
import { addRunTaskJobs } from "./jobs";
import type { Sql } from "./sql";

interface Candidate {
  id: string;
  pool: string;
}

/**
 * Gives back the slots of instances that stopped holding one (`released`: their pools), then
 * admits as many queued instances of the workspace as its quota and pools allow.
 */
export async function dispatch(sql: Sql, workspaceId: string, released: string[] = []): Promise<number> {
  let lock = await lockDispatch(sql, workspaceId);
  if (!lock) {
    await sql.query(`INSERT INTO "WorkspaceDispatch" ("workspaceId") VALUES ($1) ON CONFLICT DO NOTHING`, [
      workspaceId,
    ]);
    lock = await lockDispatch(sql, workspaceId);
    if (!lock) return 0; // the workspace is gone
  }
  const admittedBefore = Math.max(0, lock.admitted - released.length);
  const free = lock.cap - admittedBefore;

  // A few extra candidates, so that tasks waiting on a full pool do not block the others.
  const { rows: candidates } =
    free > 0
      ? await sql.query<Candidate>(
          `SELECT id, pool FROM "TaskInstance"
           WHERE "workspaceId" = $1 AND state = 'queued'
           ORDER BY priority DESC, "queuedAt" ASC
           LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [workspaceId, free + 32],
        )
      : { rows: [] as Candidate[] };

  const poolNames = [...new Set([...candidates.map((c) => c.pool), ...released])];
  const { rows: pools } =
    poolNames.length > 0
      ? await sql.query<{ name: string; free: number }>(
          `SELECT name, slots - admitted AS free FROM "Pool" WHERE "workspaceId" = $1 AND name = ANY($2) FOR UPDATE`,
          [workspaceId, poolNames],
        )
      : { rows: [] as { name: string; free: number }[] };
  // A pool without a row has no limit of its own.
  const poolDelta = new Map<string, number>(pools.map((p) => [p.name, 0]));
  for (const pool of released) if (poolDelta.has(pool)) poolDelta.set(pool, poolDelta.get(pool)! - 1);
  const poolFree = new Map(pools.map((p) => [p.name, p.free]));

  const chosen: Candidate[] = [];
  for (const candidate of candidates) {
    if (chosen.length >= free) break;
    const delta = poolDelta.get(candidate.pool);
    if (delta !== undefined) {
      if (poolFree.get(candidate.pool)! - delta <= 0) continue;
      poolDelta.set(candidate.pool, delta + 1);
    }
    chosen.push(candidate);
  }

  const ids = chosen.map((c) => c.id);
  const changedPools = [...poolDelta].filter(([, delta]) => delta !== 0);
  await sql.query(
    `WITH admitted AS (UPDATE "TaskInstance" SET state = 'scheduled' WHERE id = ANY($2::uuid[]) RETURNING 1),
          counter AS (UPDATE "WorkspaceDispatch" SET admitted = $3 WHERE "workspaceId" = $1 RETURNING 1),
          pools AS (UPDATE "Pool" p SET admitted = GREATEST(p.admitted + x.delta, 0)
                    FROM unnest($4::text[], $5::int[]) AS x(name, delta)
                    WHERE p."workspaceId" = $1 AND p.name = x.name RETURNING 1)
     SELECT (SELECT count(*) FROM admitted), (SELECT count(*) FROM counter), (SELECT count(*) FROM pools)`,
    [
      workspaceId,
      ids,
      admittedBefore + ids.length,
      changedPools.map(([n]) => n),
      changedPools.map(([, d]) => d),
    ],
  );
  await addRunTaskJobs(
    sql,
    workspaceId,
    ids,
    ids.map((_, i) => admittedBefore + i),
  );
  return ids.length;
}

async function lockDispatch(sql: Sql, workspaceId: string) {
  const { rows } = await sql.query<{ admitted: number; cap: number }>(
    `SELECT d.admitted, w."maxConcurrentTasks" AS cap
     FROM "WorkspaceDispatch" d JOIN "Workspace" w ON w.id = d."workspaceId"
     WHERE d."workspaceId" = $1 FOR UPDATE OF d`,
    [workspaceId],
  );
  return rows[0];
}
