// The job the engine adds when a run ends and other DAGs listen for its outcome (handled in
// worker/tasks/triggers.ts). Kept free of service imports so the engine can import it.

import { payloadSql } from "@/server/jobs/catalog";
import type { Sql } from "@/server/tenancy/workspace-sql";

const dagOutcomePayload = payloadSql("triggers:dag-outcome", {
  runId: "$1::text",
  workspaceId: "$2::text",
  state: "$3::text",
});

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
    `SELECT graphile_worker.add_job('triggers:dag-outcome', ${dagOutcomePayload}, max_attempts := 5)
     WHERE EXISTS (SELECT 1 FROM "DagTrigger" WHERE "workspaceId" = $4::uuid AND "upstreamDagId" = $5::uuid
                     AND enabled AND $3::text = ANY("on"))`,
    [run.id, run.workspaceId, state, run.workspaceId, run.dagId],
  );
}
