// `retention:purge` (hourly): every workspace's run, log and webhook-delivery retention, its
// storage measured into today's usage, and graphile-worker's own tables kept lean
// (server/retention).
import type { Task } from "graphile-worker";
import { applyRetention } from "@/server/retention/purge";
import { cleanWorkerTables } from "@/server/retention/worker-tables";

export const retentionJobName = "retention:purge";

/** `taskIdentifiers`: every task this worker handles (kept by the graphile-worker cleanup). */
export function retentionTasks(taskIdentifiers: () => string[]): Record<string, Task> {
  return {
    [retentionJobName]: async (_payload, helpers) => {
      const report = await applyRetention({ log: (line) => helpers.logger.info(line) });
      await cleanWorkerTables(taskIdentifiers());
      const total = (key: "runs" | "logRuns" | "deliveries") =>
        report.workspaces.reduce((sum, w) => sum + w[key], 0);
      helpers.logger.info(
        `retention: deleted ${total("runs")} run(s), the logs of ${total("logRuns")} run(s) and ` +
          `${total("deliveries")} webhook deliveries in ${report.statements} statement(s); ` +
          `measured the storage of ${report.measured} workspace(s)`,
      );
    },
  };
}

/** Once an hour, away from the other hourly jobs' minutes. */
export const retentionCrontab = [`41 * * * * ${retentionJobName}`];
