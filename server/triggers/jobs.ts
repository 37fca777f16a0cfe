// The graphile-worker jobs of the triggers (handlers in worker/tasks/triggers.ts), and the hook
// the engine calls when a run ends. Kept free of service imports so the engine can import it.
import type { Sql } from "@/server/engine/sql";

export const triggerJobNames = {
  /** Claims due schedule ticks; re-adds itself every few seconds (job key), crontab as fallback. */
  tick: "schedule:tick",
  /** Creates the runs of claimed ticks (or of a backfill batch); idempotent by run key. */
  createRuns: "schedule:create-runs",
  /** Creates a backfill's next batch of runs. */
  backfillStep: "backfill:step",
  /** Starts the DAGs triggered by a run's outcome. */
  dagOutcome: "triggers:dag-outcome",
  /** Frees expired webhook idempotency keys (old deliveries go with retention: retention:purge). */
  purgeWebhooks: "webhooks:purge",
} as const;

/**
 * Adds a job; with `jobKey`, a pending job of that key is replaced instead (one pending job per
 * key, whoever adds it).
 */
export async function addTriggerJob(
  sql: Sql,
  name: string,
  payload: object,
  options: { runAt?: Date; jobKey?: string } = {},
): Promise<void> {
  await sql.query(
    `SELECT graphile_worker.add_job($1, $2::json, run_at := $3, job_key := $4, max_attempts := 10)`,
    [name, JSON.stringify(payload), options.runAt ?? null, options.jobKey ?? null],
  );
}

/**
 * Called by the engine (endRun) in the transaction that ends a run: enqueues
 * `triggers:dag-outcome` when some enabled trigger listens for this DAG and outcome, so runs of
 * DAGs nobody listens to cost one indexed EXISTS and nothing more.
 */
export async function enqueueDagOutcome(
  sql: Sql,
  run: { id: string; workspaceId: string; dagId: string },
  state: string,
): Promise<void> {
  if (state !== "success" && state !== "failed") return;
  await sql.query(
    `SELECT graphile_worker.add_job($1, json_build_object('run', $2::text, 'w', $3::text, 'state', $4::text),
              max_attempts := 5)
     WHERE EXISTS (SELECT 1 FROM "DagTrigger" WHERE "workspaceId" = $5::uuid AND "upstreamDagId" = $6::uuid
                     AND enabled AND $7::text = ANY("on"))`,
    [triggerJobNames.dagOutcome, run.id, run.workspaceId, state, run.workspaceId, run.dagId, state],
  );
}
