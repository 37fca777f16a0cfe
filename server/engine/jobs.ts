// The engine's graphile-worker jobs, added inside the engine's own transactions so a job exists
// exactly when the state that calls for it was committed.
import type { Sql } from "./sql";

export const jobNames = {
  runTask: "engine:run-task",
  requeueTask: "engine:requeue-task",
  timeoutRun: "engine:timeout-run",
  reap: "engine:reap",
} as const;

/** graphile-worker stores priority as smallint; lower runs first. */
const clampPriority = (n: number) => Math.max(-32768, Math.min(32767, Math.round(n)));

/** One `engine:run-task` job per admitted task instance, in one statement. */
export async function addRunTaskJobs(
  sql: Sql,
  workspaceId: string,
  taskInstanceIds: string[],
  priorities: number[],
) {
  if (taskInstanceIds.length === 0) return;
  await sql.query(
    `SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
       SELECT ROW($1::text, json_build_object('ti', x.id, 'w', $2::text), NULL, NULL, 10, NULL, x.prio, NULL)::graphile_worker.job_spec
       FROM unnest($3::uuid[], $4::int[]) AS x(id, prio)))`,
    [jobNames.runTask, workspaceId, taskInstanceIds, priorities.map(clampPriority)],
  );
}

export async function addJob(sql: Sql, name: string, payload: object, runAt?: Date) {
  await sql.query(`SELECT graphile_worker.add_job($1, $2::json, run_at := $3, max_attempts := 10)`, [
    name,
    JSON.stringify(payload),
    runAt ?? null,
  ]);
}
