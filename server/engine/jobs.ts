// The engine's graphile-worker jobs, added inside the engine's own transactions so a job exists
// exactly when the state that calls for it was committed.
import type { Sql } from "./sql";

export const jobNames = {
  runTask: "engine:run-task",
  requeueTask: "engine:requeue-task",
  timeoutRun: "engine:timeout-run",
  reap: "engine:reap",
} as const;

export async function addJob(sql: Sql, name: string, payload: object, runAt?: Date) {
  await sql.query(`SELECT graphile_worker.add_job($1, $2::json, run_at := $3, max_attempts := 10)`, [
    name,
    JSON.stringify(payload),
    runAt ?? null,
  ]);
}
