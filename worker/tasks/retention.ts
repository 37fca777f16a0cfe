// `retention:purge` (hourly): every workspace's run, log and webhook-delivery retention, its
// storage measured into today's usage, graphile-worker's own tables kept lean (server/retention),
// and workspaces deleted longer ago than their grace period purged (server/workspaces).
import { crossTenantSql } from "@/server/db/cross-tenant";
import { type JobHandler, jobNames } from "@/server/jobs/catalog";
import { applyRetention } from "@/server/retention/purge";
import { cleanWorkerTables } from "@/server/retention/worker-tables";
import { purgeDeletedWorkspaces } from "@/server/workspaces/service";

export const purgeRetention: JobHandler<"retention:purge"> = async (_payload, helpers) => {
  const report = await applyRetention({ log: (line) => helpers.logger.info(line) });
  await cleanWorkerTables(await handledIdentifiers());
  // Workspaces deleted longer ago than the grace period go, with everything in them.
  const purged = await purgeDeletedWorkspaces();
  if (purged.length > 0) helpers.logger.info(`retention: purged deleted workspace(s) ${purged.join(", ")}`);
  const total = (key: "runs" | "logRuns" | "deliveries") =>
    report.workspaces.reduce((sum, w) => sum + w[key], 0);
  helpers.logger.info(
    `retention: deleted ${total("runs")} run(s), the logs of ${total("logRuns")} run(s) and ` +
      `${total("deliveries")} webhook deliveries in ${report.statements} statement(s); ` +
      `measured the storage of ${report.measured} workspace(s)`,
  );
};

/**
 * Every task identifier some worker of the installation handles: the catalog's, and the task
 * instances' of every worker pool (`engine:run-task@<pool>`, whichever workers serve it; one row
 * per pool ever served, so a worker of another pool is never left with a deleted identifier).
 */
async function handledIdentifiers(): Promise<string[]> {
  const { rows } = await crossTenantSql.query<{ identifier: string }>(
    `SELECT identifier FROM graphile_worker._private_tasks WHERE identifier LIKE 'engine:run-task@%'`,
  );
  return [...jobNames, ...rows.map((r) => r.identifier)];
}

/** Once an hour, away from the other hourly jobs' minutes. */
export const retentionCrontab = ["41 * * * * retention:purge"];
