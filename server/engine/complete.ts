// Recording an attempt's outcome, guarded by the attempt number: the update only applies while
// the instance is still `running` with that try, so a late or duplicated completion (a worker
// that was given up for lost, a cancelled task finishing anyway) changes nothing.
import { retryDelaySeconds } from "@/server/dags/definition";
import { meter } from "@/server/usage/meter";
import { advance, endRunIfDone, type Finished, type RunRow } from "./advance";
import { dispatch } from "./dispatch";
import { compiledVersion } from "./graph";
import { addJob, jobNames } from "./jobs";
import { sql as pooled, transaction } from "./sql";

export type Outcome =
  | { state: "success"; output: unknown; follow?: string[] }
  | { state: "failed"; error: string; retryable: boolean }
  | { state: "skipped"; error: string }
  | { state: "deferred"; until: Date; deferState: unknown };

export interface AttemptRef {
  id: string;
  attemptId: string;
  taskId: string;
  tryNumber: number;
  maxTries: number;
}

/**
 * Records the outcome. `executedSince` (ms): when this worker resumed a deferred attempt, for the
 * usage meter; without it the attempt's recorded duration (startedAt to endedAt) counts.
 * `handOff`: the calling worker slot runs an instance this completion admits itself (dispatch.ts);
 * returns that instance's id, which the caller must then claim.
 */
export async function complete(
  run: RunRow,
  attempt: AttemptRef,
  outcome: Outcome,
  executedSince?: number,
  options: { handOff?: boolean } = {},
): Promise<string | null> {
  const executedSeconds = executedSince === undefined ? undefined : (Date.now() - executedSince) / 1000;
  const compiled = await compiledVersion(pooled, run.dagVersionId);
  const settings = compiled.tasks.get(attempt.taskId)?.settings;
  const retry =
    outcome.state === "failed" &&
    outcome.retryable &&
    attempt.tryNumber < attempt.maxTries &&
    settings !== undefined;
  const state = retry ? "up_for_retry" : outcome.state;
  const terminal = state === "success" || state === "failed" || state === "skipped";
  const jitter = 0.9 + Math.random() * 0.2; // spreads retries of many failing tasks apart
  const requeueAt =
    outcome.state === "deferred"
      ? outcome.until
      : retry && settings
        ? new Date(Date.now() + retryDelaySeconds(settings, attempt.tryNumber) * 1000 * jitter)
        : null;

  const changed = await transaction(async (sql) => {
    // One statement: the guarded state change and the attempt's record.
    const { rows } = await sql.query<{ mapIndex: number; pool: string; seconds: number | null }>(
      `WITH ti AS (
         UPDATE "TaskInstance" SET state = $3::"TaskState", output = $4::jsonb, error = $5, "deferState" = $6::jsonb,
           "endedAt" = CASE WHEN $7 THEN now() ELSE NULL END
         WHERE id = $1 AND "tryNumber" = $2 AND state = 'running'
         RETURNING "mapIndex", pool),
       attempt AS (
         UPDATE "TaskAttempt" SET state = $9, "endedAt" = now(), error = $5
         WHERE id = $8 AND EXISTS (SELECT 1 FROM ti) RETURNING extract(epoch FROM now() - "startedAt")::float8 AS seconds)
       SELECT ti.*, (SELECT seconds FROM attempt) AS seconds FROM ti`,
      [
        attempt.id,
        attempt.tryNumber,
        state,
        outcome.state === "success" ? JSON.stringify(outcome.output) : null,
        "error" in outcome ? outcome.error : null,
        outcome.state === "deferred" ? JSON.stringify(outcome.deferState) : null,
        terminal,
        attempt.attemptId,
        outcome.state === "deferred" ? "deferred" : outcome.state === "skipped" ? "success" : outcome.state,
      ],
    );
    const instance = rows[0];
    if (!instance) return null; // stale: the instance moved on without this attempt
    let queued = 0;
    if (requeueAt) {
      await addJob(
        sql,
        jobNames.requeueTask,
        { ti: attempt.id, w: run.workspaceId, n: attempt.tryNumber },
        requeueAt,
      );
    }
    if (terminal) {
      const finished: Finished = {
        id: attempt.id,
        taskId: attempt.taskId,
        mapIndex: instance.mapIndex,
        state,
        follow: outcome.state === "success" ? outcome.follow : undefined,
      };
      queued = await advance(sql, run, compiled, [finished]);
    }
    const { handedOff } = await dispatch(sql, run.workspaceId, [instance.pool], {
      ...options,
      queuedHere: queued > 0,
    });
    return { seconds: executedSeconds ?? instance.seconds ?? 0, handedOff };
  });
  if (!changed) return null;
  // Usage, counted in memory once the outcome is committed (the meter writes in batches): an
  // attempt that ended success or failed is a task run; its execution time counts either way (a
  // deferred attempt's waits do not: it held no worker).
  const ended = outcome.state !== "deferred";
  meter(run.workspaceId, { taskRuns: ended ? 1 : 0, taskSeconds: changed.seconds });
  // A run with an instance just admitted is not done: no need to look.
  if (terminal && changed.handedOff?.runId !== run.id) await endRunIfDone(run);
  return changed.handedOff?.id ?? null;
}

/** `engine:requeue-task`: a retry's delay or a deferral is over; queue the instance again. */
export async function requeue(taskInstanceId: string, workspaceId: string, tryNumber: number): Promise<void> {
  await transaction(async (sql) => {
    const { rowCount } = await sql.query(
      `UPDATE "TaskInstance" SET state = 'queued', "queuedAt" = now()
       WHERE id = $1 AND "workspaceId" = $2 AND "tryNumber" = $3 AND state IN ('up_for_retry', 'deferred')`,
      [taskInstanceId, workspaceId, tryNumber],
    );
    if (rowCount) await dispatch(sql, workspaceId);
  });
}
