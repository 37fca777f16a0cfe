// The engine's graphile-worker jobs, added inside the engine's own transactions so a job exists
// exactly when the state that calls for it was committed.
import type { Sql } from "./sql";

export const jobNames = {
  runTask: "engine:run-task",
  requeueTask: "engine:requeue-task",
  timeoutRun: "engine:timeout-run",
  /** Starts a workspace's queued runs (after one of its runs ended); one pending per workspace. */
  startRuns: "engine:start-runs",
  /** A run ended: send its DAG's onSuccess or onFailure notifications (worker/tasks/callbacks.ts). */
  runCallbacks: "engine:run-callbacks",
} as const;

/** Adds a job; with `jobKey`, one pending job of that key at a time (a new add replaces it). */
export async function addJob(sql: Sql, name: string, payload: object, runAt?: Date, jobKey?: string) {
  await sql.query(
    `SELECT graphile_worker.add_job($1, $2::json, run_at := $3, max_attempts := 10, job_key := $4)`,
    [name, JSON.stringify(payload), runAt ?? null, jobKey ?? null],
  );
}
