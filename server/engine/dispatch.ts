// Fair multi-tenant admission. A ready task instance waits in `queued` until its workspace is
// under its concurrency quota (Workspace.maxConcurrentTasks; 0 while the workspace is suspended)
// and its pool has a free slot; then it becomes `scheduled` and gets a graphile-worker job.
// Admission happens at the end of the same transaction that frees a slot or makes a task ready,
// so there is no dispatcher loop to poll or to lose.
//
// Fairness: a job's graphile-worker priority is the number of slots its workspace held at
// admission, so every workspace's first job ranks with every other workspace's first job: workers
// serve workspaces round robin, and a workspace with a huge backlog holds at most its quota of
// jobs in the queue. Each admission costs O(1) queries whatever the number of workspaces.
//
// The slots a workspace holds are counted (its scheduled and running instances), not kept in a
// counter: a completion that only gives a slot back then writes nothing shared. Admitting locks
// the workspace's dispatch row FOR UPDATE and counts after the lock is granted; giving back slots
// while nothing is queued takes the row FOR SHARE (completions do not wait for one another) and
// looks again once it holds it, so an admission that ran meanwhile, counting this slot as still
// held, cannot leave queued work behind: either it waited for this commit and counted the slot
// free, or it committed first and this transaction sees what it left queued and admits it.
//
// Lock order: engine transactions lock the workspace's run gate (run-gate.ts) when they start
// runs, then task instances and runs, and the workspace's dispatch row last, here (then pool
// rows); it is held only for admission and the commit.
import { payloadSql, runTaskIdentifier } from "@/server/jobs/catalog";
import type { Sql } from "./sql";
import { SHARED_POOL } from "./worker-pools";

interface Candidate {
  id: string;
  runId: string;
  pool: string;
}

/** A task instance admitted for a calling worker slot to run itself (see `handOff`). */
export interface HandedOff {
  id: string;
  runId: string;
}

interface Admission {
  admitted: number;
  handedOff: HandedOff[];
}

const none: Admission = { admitted: 0, handedOff: [] };

const runTask = runTaskIdentifier(SHARED_POOL);

const queuedInWorkspace = `EXISTS (SELECT 1 FROM "TaskInstance" WHERE "workspaceId" = $1 AND state = 'queued')`;

/**
 * Gives back the slots of instances that stopped holding one (`released`: their pools; the caller
 * already moved the instances out of scheduled/running), then admits as many queued instances of
 * the workspace as its quota and pools allow.
 *
 * `queuedHere`: the caller's transaction queued instances itself, so admitting is due anyway.
 *
 * `handOff`: that many worker slots of the caller will each run one admitted instance themselves,
 * instead of leaving it to a graphile-worker pickup (a round trip through the job queue per hop).
 * The caller claims those instances in this same transaction (execute.ts), so they get no job: if
 * the worker dies after the commit, the reaper finds their attempts without heartbeats and
 * retries them, as it does for any attempt of a dead worker.
 */
export async function dispatch(
  sql: Sql,
  workspaceId: string,
  released: string[] = [],
  options: { handOff?: number; queuedHere?: boolean } = {},
): Promise<Admission> {
  if (released.length > 0 && !options.queuedHere) {
    // Only giving back: the row FOR SHARE, taken only when nothing is queued (else admit below).
    const { rows: shared } = await sql.query(
      `SELECT 1 FROM "WorkspaceDispatch" WHERE "workspaceId" = $1 AND NOT ${queuedInWorkspace} FOR SHARE`,
      [workspaceId],
    );
    if (shared.length > 0) {
      // Looked at again now that the lock is held (a new snapshot), with the pools given back.
      const { rows } = await sql.query<{ queued: boolean }>(
        `WITH pools AS (
           UPDATE "Pool" p SET admitted = GREATEST(p.admitted - x.n, 0)
           FROM (SELECT name, count(*)::int AS n FROM unnest($2::text[]) AS name GROUP BY name) x
           WHERE p."workspaceId" = $1 AND p.name = x.name RETURNING 1)
         SELECT ${queuedInWorkspace} AS queued, (SELECT count(*) FROM pools) AS pools`,
        [workspaceId, released],
      );
      if (!rows[0]?.queued) return none;
      // Rare: an admission committed queued work meanwhile. Admit it (a deadlock with another
      // completion doing the same makes the transaction run again).
      return admit(sql, workspaceId, [], options);
    }
  }
  return admit(sql, workspaceId, released, options);
}

async function admit(
  sql: Sql,
  workspaceId: string,
  released: string[],
  options: { handOff?: number },
): Promise<Admission> {
  const lock = () =>
    sql.query<{ cap: number; pools: boolean }>(
      // A suspended workspace admits nothing; what runs already finishes.
      `SELECT CASE WHEN w."suspendedAt" IS NULL THEN w."maxConcurrentTasks" ELSE 0 END AS cap,
              EXISTS (SELECT 1 FROM "Pool" p WHERE p."workspaceId" = $1) AS pools
       FROM "WorkspaceDispatch" d JOIN "Workspace" w ON w.id = d."workspaceId"
       WHERE d."workspaceId" = $1 FOR UPDATE OF d`,
      [workspaceId],
    );
  let { rows: locked } = await lock();
  if (locked.length === 0) {
    await sql.query(`INSERT INTO "WorkspaceDispatch" ("workspaceId") VALUES ($1) ON CONFLICT DO NOTHING`, [
      workspaceId,
    ]);
    ({ rows: locked } = await lock());
    if (locked.length === 0) return none; // the workspace is gone
  }
  const cap = locked[0]!.cap;
  const handOff = options.handOff ?? 0;
  if (!locked[0]!.pools) return admitWithoutPools(sql, workspaceId, cap, handOff);
  // A statement of its own, after the lock: its snapshot sees every slot given back before it.
  // The candidates come with a few extra, so that tasks waiting on a full pool do not block the
  // others, and with their pools' free slots. A mapped task's parent instance is `running` while
  // its children run but holds no slot.
  const { rows } = await sql.query<{
    held: number;
    id: string | null;
    runId: string | null;
    pool: string | null;
    poolFree: number | null;
  }>(
    `WITH held AS (
       SELECT count(*)::int AS n FROM "TaskInstance"
       WHERE "workspaceId" = $1 AND state IN ('scheduled', 'running') AND NOT ("mapIndex" = -1 AND "mapCount" IS NOT NULL))
     SELECT held.n AS held, c.id, c."runId", c.pool, p.slots - p.admitted AS "poolFree"
     FROM held
     LEFT JOIN LATERAL (
       SELECT id, "runId", pool FROM "TaskInstance"
       WHERE "workspaceId" = $1 AND state = 'queued'
       ORDER BY priority DESC, "queuedAt" ASC
       -- None when no slot is free.
       LIMIT CASE WHEN $2::int > held.n THEN $2::int - held.n + 32 ELSE 0 END
       FOR UPDATE SKIP LOCKED) c ON true
     LEFT JOIN "Pool" p ON p."workspaceId" = $1 AND p.name = c.pool`,
    [workspaceId, cap],
  );
  const held = rows[0]?.held ?? 0;
  const free = cap - held;
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
  const handedOff = chosen.slice(0, handOff).map(({ id, runId }) => ({ id, runId }));
  const pools = [...poolDelta].filter(([, delta]) => delta !== 0);
  if (ids.length === 0 && pools.length === 0) return none;
  // One statement: admit, move pool slots, note the slots held (for operators to read; admission
  // counts them), and add the jobs of the instances not handed off, with priority = the slots the
  // workspace held at admission (round robin across workspaces).
  await sql.query(
    `WITH admitted AS (UPDATE "TaskInstance" SET state = 'scheduled' WHERE id = ANY($2::uuid[]) RETURNING 1),
          counter AS (UPDATE "WorkspaceDispatch" SET admitted = $3 WHERE "workspaceId" = $1 RETURNING 1),
          pools AS (UPDATE "Pool" p SET admitted = GREATEST(p.admitted + x.delta, 0)
                    FROM unnest($4::text[], $5::int[]) AS x(name, delta)
                    WHERE p."workspaceId" = $1 AND p.name = x.name RETURNING 1),
          jobs AS (SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
                     SELECT ROW('${runTask}', ${payloadSql("engine:run-task", { taskInstanceId: "x.id", workspaceId: "$1::text" })}, NULL, NULL, 10,
                                NULL, LEAST($6 + x.n - 1, 32767), NULL)::graphile_worker.job_spec
                     FROM unnest($2::uuid[]) WITH ORDINALITY AS x(id, n) WHERE x.n > $7))
                   -- add_jobs wakes every idle worker even for no jobs: not called then.
                   WHERE cardinality($2::uuid[]) > $7)
     SELECT (SELECT count(*) FROM admitted), (SELECT count(*) FROM counter), (SELECT count(*) FROM pools),
            (SELECT count(*) FROM jobs)`,
    [
      workspaceId,
      ids,
      held + ids.length,
      pools.map(([n]) => n),
      pools.map(([, d]) => d),
      held,
      handedOff.length,
    ],
  );
  return { admitted: ids.length, handedOff };
}

/**
 * Admission in a workspace without pools (the usual case): only the quota limits it, so one
 * statement (after the lock, for its snapshot) counts, chooses, admits and adds the jobs, as
 * `admit` does.
 */
async function admitWithoutPools(
  sql: Sql,
  workspaceId: string,
  cap: number,
  handOff: number,
): Promise<Admission> {
  const { rows } = await sql.query<HandedOff & { n: number }>(
    `WITH held AS MATERIALIZED (
       SELECT count(*)::int AS n FROM "TaskInstance"
       WHERE "workspaceId" = $1 AND state IN ('scheduled', 'running') AND NOT ("mapIndex" = -1 AND "mapCount" IS NOT NULL)),
     chosen AS MATERIALIZED (
       SELECT id, "runId", row_number() OVER (ORDER BY priority DESC, "queuedAt" ASC)::int AS n FROM (
         SELECT id, "runId", priority, "queuedAt" FROM "TaskInstance"
         WHERE "workspaceId" = $1 AND state = 'queued'
         ORDER BY priority DESC, "queuedAt" ASC
         LIMIT GREATEST($2::int - (SELECT n FROM held), 0)
         FOR UPDATE SKIP LOCKED) c),
     admitted AS (UPDATE "TaskInstance" t SET state = 'scheduled' FROM chosen WHERE t.id = chosen.id RETURNING 1),
     counter AS (UPDATE "WorkspaceDispatch" SET admitted = (SELECT n FROM held) + (SELECT count(*) FROM chosen)
                 WHERE "workspaceId" = $1 AND EXISTS (SELECT 1 FROM chosen) RETURNING 1),
     jobs AS (SELECT 1 FROM graphile_worker.add_jobs(ARRAY(
                SELECT ROW('${runTask}', ${payloadSql("engine:run-task", { taskInstanceId: "c.id", workspaceId: "$1::text" })}, NULL, NULL, 10,
                           NULL, LEAST((SELECT n FROM held) + c.n - 1, 32767), NULL)::graphile_worker.job_spec
                FROM chosen c WHERE c.n > $3 ORDER BY c.n))
              -- add_jobs wakes every idle worker even for no jobs: not called then.
              WHERE (SELECT count(*) FROM chosen) > $3)
     SELECT c.id, c."runId", c.n, (SELECT count(*) FROM admitted) AS admitted, (SELECT count(*) FROM counter) AS counter,
            (SELECT count(*) FROM jobs) AS jobs
     FROM chosen c ORDER BY c.n`,
    [workspaceId, cap, handOff],
  );
  return {
    admitted: rows.length,
    handedOff: rows.slice(0, handOff).map(({ id, runId }) => ({ id, runId })),
  };
}
