// `alerts:sweep` (every minute): the workspaces whose enabled rules watch something no event
// announces — tasks running longer than usual, webhook endpoints refusing deliveries — each get an
// `alerts:check` job (one pending per workspace, job key), which looks inside that workspace only.
// Crossing tenants is limited to this one statement (biome.jsonc allows this module the
// cross-tenant door).
import { crossTenantSql } from "@/server/db/cross-tenant";
import { payloadSql } from "@/server/jobs/catalog";

const checkPayload = payloadSql("alerts:check", { workspaceId: `w."workspaceId"::text` });

/** Queues the checks; answers how many workspaces have such rules. */
export async function sweepAlertRules(): Promise<number> {
  const { rows } = await crossTenantSql.query<{ count: number }>(
    `WITH w AS (SELECT DISTINCT "workspaceId" FROM "AlertRule"
                WHERE enabled AND kind IN ('task_long_running', 'webhook_refusing')),
          added AS (SELECT graphile_worker.add_jobs(ARRAY(
            SELECT ROW('alerts:check', ${checkPayload}, NULL, NULL, 1, 'alerts:check:' || w."workspaceId", NULL, NULL)::graphile_worker.job_spec
            FROM w)) WHERE EXISTS (SELECT 1 FROM w))
     SELECT (SELECT count(*) FROM w)::int AS count, (SELECT count(*) FROM added) AS added`,
  );
  return rows[0]?.count ?? 0;
}
