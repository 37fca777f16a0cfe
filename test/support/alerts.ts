// SLA and alert test helpers: the jobs the engine queued for them, made due at once (a deadline
// that has come), and waiting until none of them is left to run.
import { sql } from "@/server/engine/sql";
import { until } from "./until";

export interface QueuedJob {
  identifier: string;
  key: string | null;
  runAt: Date;
  payload: Record<string, unknown>;
}

/** Jobs of these identifiers still in the queue (locked or not). */
export async function queuedJobs(identifiers: string[]): Promise<QueuedJob[]> {
  const { rows } = await sql.query<QueuedJob>(
    `SELECT t.identifier, j.key, j.run_at AS "runAt", j.payload
     FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
     WHERE t.identifier = ANY($1::text[]) ORDER BY j.run_at, j.id`,
    [identifiers],
  );
  return rows;
}

/** The SLA checks pending for a run. */
export async function slaChecksOf(runId: string): Promise<QueuedJob[]> {
  return (await queuedJobs(["sla:check"])).filter((job) => job.key?.startsWith(`sla:${runId}:`));
}

/**
 * A deadline that has come: the run (or task) started `minutes` ago as far as its SLAs go, and
 * the check of `sla` is due now. Everything else is the product's own path.
 */
export async function passDeadline(
  runId: string,
  sla: string,
  rewind: { runStartedMinutesAgo?: number; taskStartedMinutesAgo?: { taskId: string; minutes: number } } = {},
): Promise<void> {
  if (rewind.runStartedMinutesAgo !== undefined) {
    await sql.query(`UPDATE "DagRun" SET "startedAt" = now() - make_interval(mins => $2) WHERE id = $1`, [
      runId,
      rewind.runStartedMinutesAgo,
    ]);
  }
  if (rewind.taskStartedMinutesAgo) {
    await sql.query(
      `UPDATE "TaskInstance" SET "startedAt" = now() - make_interval(mins => $3)
       WHERE "runId" = $1 AND "taskId" = $2 AND "mapIndex" = -1`,
      [runId, rewind.taskStartedMinutesAgo.taskId, rewind.taskStartedMinutesAgo.minutes],
    );
  }
  const { rowCount } = await sql.query(
    `UPDATE graphile_worker._private_jobs SET run_at = now() WHERE key = $1 AND locked_at IS NULL`,
    [`sla:${runId}:${sla}`],
  );
  if (!rowCount) throw new Error(`no pending check sla:${runId}:${sla}`);
  await sql.query(`SELECT pg_notify('jobs:insert', '{"count":1}')`);
}

/** Waits until no SLA or alert job is due or running (later checks may stay scheduled). */
export async function alertJobsDone(timeoutMs = 30_000): Promise<void> {
  await until(
    "SLA and alert jobs to finish",
    async () => {
      const jobs = await queuedJobs(["sla:check", "alerts:run-ended", "alerts:deliver", "alerts:check"]);
      return jobs.every((job) => job.runAt.getTime() > Date.now() + 1000);
    },
    timeoutMs,
  );
}
