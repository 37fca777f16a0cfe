// The job the engine adds when a run ends and some alert rule may care (handled by
// server/alerts/evaluate.ts onRunEnded). Kept free of service imports so the engine can import it.
import { payloadSql } from "@/server/jobs/catalog";
import type { Sql } from "@/server/tenancy/workspace-sql";

const runEndedPayload = payloadSql("alerts:run-ended", {
  runId: "$1::text",
  workspaceId: "$2::text",
  state: "$3::text",
});

/**
 * Called by the engine (endRun) in the transaction that ends a run: enqueues `alerts:run-ended`
 * when an enabled rule watches run outcomes of this DAG (or of every DAG), so the runs of a
 * workspace without such rules cost one indexed EXISTS and nothing more.
 */
export async function enqueueRunAlerts(
  sql: Sql,
  run: { id: string; workspaceId: string; dagId: string },
  state: string,
): Promise<void> {
  if (state !== "success" && state !== "failed") return;
  await sql.query(
    `SELECT graphile_worker.add_job('alerts:run-ended', ${runEndedPayload}, max_attempts := 5)
     WHERE EXISTS (SELECT 1 FROM "AlertRule" WHERE "workspaceId" = $4::uuid AND enabled
                     AND kind IN ('run_failed', 'consecutive_failures', 'sla_miss')
                     AND ("dagId" IS NULL OR "dagId" = $5::uuid))`,
    [run.id, run.workspaceId, state, run.workspaceId, run.dagId],
  );
}
