// Finding attempts whose worker died: a running attempt without a heartbeat for
// LOST_AFTER_SECONDS is failed as lost (and retried if it has tries left), and the graphile-worker
// jobs its worker had locked are unlocked so they run elsewhere.
import { complete } from "./complete";
import { sql } from "./sql";
import { LOST_AFTER_SECONDS } from "./worker-registry";

export async function reapLostAttempts(): Promise<number> {
  const { rows } = await sql.query<{
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
  }>(
    `SELECT a.id AS "attemptId", t.id, t."taskId", a.number AS "tryNumber", t."maxTries", a."workerId",
            r.id AS "runId", r."workspaceId", r."dagId", r."dagVersionId", r.params
     FROM "TaskAttempt" a
     JOIN "TaskInstance" t ON t.id = a."taskInstanceId" AND t."tryNumber" = a.number AND t.state = 'running'
     JOIN "DagRun" r ON r.id = t."runId"
     WHERE a.state = 'running' AND a."heartbeatAt" < now() - make_interval(secs => $1)
     LIMIT 500`,
    [LOST_AFTER_SECONDS],
  );
  for (const lost of rows) {
    const run = {
      id: lost.runId,
      workspaceId: lost.workspaceId,
      dagId: lost.dagId,
      dagVersionId: lost.dagVersionId,
      params: lost.params,
    };
    await complete(run, lost, {
      state: "failed",
      retryable: true,
      error: `Lost: the worker running this attempt stopped sending heartbeats for ${LOST_AFTER_SECONDS} s`,
    });
  }
  // Jobs locked by workers that no longer heartbeat any attempt: free them for live workers.
  await sql.query(
    `SELECT graphile_worker.force_unlock_workers(ARRAY(
       SELECT DISTINCT j.locked_by FROM graphile_worker.jobs j
       WHERE j.locked_at < now() - make_interval(secs => $1) AND j.locked_by IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM "TaskAttempt" a WHERE a."workerId" = j.locked_by
                         AND a."heartbeatAt" > now() - make_interval(secs => $1))))`,
    [LOST_AFTER_SECONDS],
  );
  return rows.length;
}
