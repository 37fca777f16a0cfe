// Finding attempts whose worker died: a running attempt whose worker (worker-registry.ts) has sent
// no heartbeat for BATON_LOST_ATTEMPT_SECONDS (longer for a worker whose heartbeats came late) is
// failed as lost (and retried if it has tries left), and the graphile-worker jobs its worker had
// locked are unlocked so they run elsewhere. Workers gone for an hour leave the registry.
import { endRunIfDone, type RunRow, unfinished } from "./advance";
import { complete } from "./complete";
import { kickWorkspace } from "./operations";
import { monthStart } from "./run-gate";
import { sql, transaction } from "./sql";
import { lostAfterSeconds } from "./worker-registry";

/**
 * An attempt's worker counts as alive: a registered worker holding its slot is live, or (a worker
 * of the version before the registry) the attempt's own heartbeat is recent.
 */
const attemptAlive = (attempt: string) => `(${attempt}."heartbeatAt" >= now() - make_interval(secs => $1)
  OR EXISTS (SELECT 1 FROM "Worker" k WHERE ${attempt}."workerId" = ANY(k."lockIds")
             AND baton_worker_live(k."heartbeatAt", k."lagMs", $1::int)))`;

/** Running attempts whose worker is gone, with what completing them needs (the running-attempts index). */
export const lostAttempts = `SELECT a.id AS "attemptId", t.id, t."taskId", a.number AS "tryNumber", t."maxTries", a."workerId",
            r.id AS "runId", r."workspaceId", r."dagId", r."dagVersionId", r.params
     FROM "TaskAttempt" a
     JOIN "TaskInstance" t ON t.id = a."taskInstanceId" AND t."tryNumber" = a.number AND t.state = 'running'
     JOIN "DagRun" r ON r.id = t."runId"
     WHERE a.state = 'running' AND NOT ${attemptAlive("a")}
     LIMIT 500`;

export async function reapLostAttempts(): Promise<number> {
  const rows = await maintenanceQuery<{
    attemptId: string;
    id: string;
    taskId: string;
    tryNumber: number;
    maxTries: number;
    workerId: string;
    runId: string;
    workspaceId: string;
    dagId: string;
    dagVersionId: string;
    params: Record<string, unknown>;
  }>(lostAttempts, [lostAfterSeconds()]);
  for (const lost of rows) {
    const run = {
      id: lost.runId,
      workspaceId: lost.workspaceId,
      dagId: lost.dagId,
      dagVersionId: lost.dagVersionId,
      params: lost.params,
    };
    await complete({
      run,
      attempt: lost,
      outcome: {
        state: "failed",
        retryable: true,
        error: `Lost: the worker running this attempt stopped sending heartbeats for ${lostAfterSeconds()} s`,
      },
    });
  }
  // Jobs locked by workers that are gone: free them for live workers.
  await sql.query(
    `SELECT graphile_worker.force_unlock_workers(ARRAY(
       SELECT DISTINCT j.locked_by FROM graphile_worker.jobs j
       WHERE j.locked_at < now() - make_interval(secs => $1) AND j.locked_by IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM "Worker" k WHERE j.locked_by = ANY(k."lockIds")
                         AND baton_worker_live(k."heartbeatAt", k."lagMs", $1::int))
         AND NOT EXISTS (SELECT 1 FROM "TaskAttempt" a WHERE a."workerId" = j.locked_by
                         AND a."heartbeatAt" > now() - make_interval(secs => $1))))`,
    [lostAfterSeconds()],
  );
  await sql.query(`DELETE FROM "Worker" WHERE "heartbeatAt" < now() - interval '1 hour'`);
  return rows.length;
}

/**
 * Runs left running although every top-level task instance has finished (a worker died between
 * its completion's commit and the end check). The unfinished-instances check is a correlated
 * subquery with LIMIT 1, not NOT EXISTS: it cannot become a join, so whatever the statistics say
 * it stays one probe of the partial unfinished index per running run (as an anti join planned on
 * stale statistics it once walked 19.9 million finished instances).
 */
export const runsLeftRunning = `SELECT r.id, r."workspaceId", r."dagId", r."dagVersionId", r.params FROM "DagRun" r
     WHERE r.state = 'running' AND r."startedAt" < now() - make_interval(secs => $1)
       AND (SELECT 1 FROM "TaskInstance" t WHERE t."runId" = r.id AND t."mapIndex" = -1
            AND t.state IN ${unfinished} LIMIT 1) IS NULL
     LIMIT 100`;

/**
 * Workspaces where a run queued a while ago could start now: not suspended, its DAG and the
 * workspace below their concurrent runs, and (under the queue policy) the month's quotas not used
 * up. The same conditions as startQueuedRuns, so a workspace rightly waiting is left alone.
 */
export const workspacesWithStartableRuns = `SELECT DISTINCT q."workspaceId" FROM "DagRun" q
     JOIN "DagVersion" v ON v.id = q."dagVersionId" JOIN "Workspace" w ON w.id = q."workspaceId"
     WHERE q.state = 'queued' AND q."queuedAt" < now() - make_interval(secs => $1)
       AND w."suspendedAt" IS NULL
       AND (SELECT count(*) FROM "DagRun" a WHERE a."dagId" = q."dagId" AND a.state = 'running')
           < (v.definition->>'maxActiveRuns')::int
       AND (SELECT count(*) FROM "Dag" d JOIN "DagRun" a ON a."dagId" = d.id AND a.state = 'running'
            WHERE d."workspaceId" = w.id) < w."maxConcurrentRuns"
       AND (w."overQuotaPolicy" = 'refuse' OR NOT EXISTS (
             SELECT 1 FROM "UsageDay" u WHERE u."workspaceId" = w.id AND u.day >= $2::date
             HAVING sum(u."taskRuns") >= w."maxTaskRunsPerMonth" OR sum(u."taskSeconds") >= w."maxTaskSecondsPerMonth"))
     LIMIT 100`;

/**
 * How the maintenance statements are planned: never by sequential scan. They run every ~10 s in
 * every worker over tables that grow with history, where a plan chosen on stale statistics (a
 * server with lazy autovacuum) would read every finished run; the partial indexes of live runs
 * and instances answer them whatever the history (the hot-path functions are planned the same way).
 */
export const maintenancePlanning = "SET LOCAL enable_seqscan = off";

/**
 * Finishes what a worker that died right after a commit left undone: runs whose task instances
 * have all finished but which were never ended (the end check runs after the commit), and
 * workspaces with queued runs that could start but whose start-runs job was lost. The latter also
 * resumes runs queued over a monthly quota (the `queue` policy) once the month has turned.
 */
export async function repairRuns(): Promise<number> {
  const finished = await maintenanceQuery<RunRow>(runsLeftRunning, [lostAfterSeconds()]);
  for (const run of finished) await endRunIfDone(run);
  const waiting = await maintenanceQuery<{ workspaceId: string }>(workspacesWithStartableRuns, [
    lostAfterSeconds(),
    monthStart(new Date()),
  ]);
  for (const { workspaceId } of waiting) await kickWorkspace(workspaceId);
  return finished.length + waiting.length;
}

/** A maintenance statement's rows, planned as maintenancePlanning says. */
async function maintenanceQuery<Row extends object>(statement: string, params: unknown[]): Promise<Row[]> {
  return transaction(async (tx) => {
    await tx.query(maintenancePlanning);
    return (await tx.query<Row>(statement, params)).rows;
  });
}
