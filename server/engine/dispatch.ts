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
import { jobNames } from "./jobs";
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
  // One statement locks the workspace's dispatch row and reads the candidates (a few extra, so
  // that tasks waiting on a full pool do not block the others) with their pools' free slots.
  const read = () =>
    sql.query<{
      admitted: number;
      cap: number;
      id: string | null;
      pool: string | null;
      poolFree: number | null;
    }>(
      `WITH lock AS (
         SELECT d.admitted, w."maxConcurrentTasks" AS cap
         FROM "WorkspaceDispatch" d JOIN "Workspace" w ON w.id = d."workspaceId"
         WHERE d."workspaceId" = $1 FOR UPDATE OF d)
       SELECT lock.admitted, lock.cap, c.id, c.pool, p.slots - p.admitted AS "poolFree"
       FROM lock
       LEFT JOIN LATERAL (
         SELECT id, pool FROM "TaskInstance"
         WHERE "workspaceId" = $1 AND state = 'queued'
         ORDER BY priority DESC, "queuedAt" ASC
         LIMIT GREATEST(lock.cap - GREATEST(lock.admitted - $2, 0), 0) + 32
         FOR UPDATE SKIP LOCKED) c ON true
       LEFT JOIN "Pool" p ON p."workspaceId" = $1 AND p.name = c.pool`,
      [workspaceId, released.length],
    );
  let { rows } = await read();
  if (rows.length === 0) {
    await sql.query(`INSERT INTO "WorkspaceDispatch" ("workspaceId") VALUES ($1) ON CONFLICT DO NOTHING`, [
      workspaceId,
    ]);
    ({ rows } = await read());
    if (rows.length === 0) return 0; // the workspace is gone
  }
  const admittedBefore = Math.max(0, rows[0]!.admitted - released.length);
  const free = rows[0]!.cap - admittedBefore;
  const candidates = rows.filter((r): r is typeof r & Candidate => r.id !== null);

  // Pools with a row have limits; released slots free room in them first.
  const poolRoom = new Map<string, number>();
  for (const c of candidates) if (c.poolFree !== null) poolRoom.set(c.pool, c.poolFree);
  const poolDelta = new Map<string, number>();
  for (const pool of released) poolDelta.set(pool, (poolDelta.get(pool) ?? 0) - 1);
  const chosen: Candidate[] = [];
  for (const candidate of candidates) {
    if (chosen.length >= free) break;
    const room = poolRoom.get(candidate.pool);
    const delta = poolDelta.get(candidate.pool) ?? 0;
    if (room !== undefined && room - delta <= 0) continue;
    poolDelta.set(candidate.pool, delta + 1);
    chosen.push(candidate);
  }

  const ids = chosen.map((c) => c.id);
  const pools = [...poolDelta].filter(([, delta]) => delta !== 0);
  // One statement: admit, count, move pool slots, and add the jobs, with priority = the
  // workspace's admitted count at admission (round robin across workspaces).
  await sql.query(
    `WITH admitted AS (UPDATE "TaskInstance" SET state = 'scheduled' WHERE id = ANY($2::uuid[]) RETURNING 1),
          counter AS (UPDATE "WorkspaceDispatch" SET admitted = $3 WHERE "workspaceId" = $1 RETURNING 1),
          pools AS (UPDATE "Pool" p SET admitted = GREATEST(p.admitted + x.delta, 0)
                    FROM unnest($4::text[], $5::int[]) AS x(name, delta)
                    WHERE p."workspaceId" = $1 AND p.name = x.name RETURNING 1),
          jobs AS (SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
                     SELECT ROW('${jobNames.runTask}', json_build_object('ti', x.id, 'w', $1::text), NULL, NULL, 10, NULL,
                                LEAST($6 + x.n - 1, 32767), NULL)::graphile_worker.job_spec
                     FROM unnest($2::uuid[]) WITH ORDINALITY AS x(id, n))) WHERE cardinality($2::uuid[]) > 0)
     SELECT (SELECT count(*) FROM admitted), (SELECT count(*) FROM counter), (SELECT count(*) FROM pools),
            (SELECT count(*) FROM jobs)`,
    [
      workspaceId,
      ids,
      admittedBefore + ids.length,
      pools.map(([n]) => n),
      pools.map(([, d]) => d),
      admittedBefore,
    ],
  );
  return ids.length;
}
