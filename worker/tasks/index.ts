// The worker's handlers: one per job of the catalog (server/jobs/catalog.ts), which TypeScript
// holds to (a job without a handler does not compile), and the task list a worker process runs.
import type { TaskList } from "graphile-worker";
import { SHARED_POOL } from "@/server/engine/worker-pools";
import { type JobHandler, type JobName, jobTask, runTaskIdentifier } from "@/server/jobs/catalog";
import { alertHandlers, alertsCrontab } from "./alerts";
import { runCallbacks } from "./callbacks";
import { engineHandlers } from "./engine";
import { purgeExpired } from "./maintenance";
import { purgeRetention, retentionCrontab } from "./retention";
import { triggerCrontab, triggerHandlers } from "./triggers";

export const handlers: { [N in JobName]: JobHandler<N> } = {
  ...engineHandlers,
  "engine:run-callbacks": runCallbacks,
  ...triggerHandlers,
  "maintenance:purge-expired": purgeExpired,
  "retention:purge": purgeRetention,
  ...alertHandlers,
};

/**
 * The graphile-worker task list of a worker serving `workerPools`: the task instances of those
 * pools, and, on workers of the shared pool (`runsEverything`), every other job (schedules,
 * callbacks, housekeeping: work of every tenant, which a worker dedicated to one tenant must not
 * run).
 */
export function taskListFor(workerPools: readonly string[]): { taskList: TaskList; runsEverything: boolean } {
  const taskList: TaskList = {};
  for (const pool of workerPools) {
    taskList[runTaskIdentifier(pool)] = jobTask("engine:run-task", handlers["engine:run-task"]);
  }
  const runsEverything = workerPools.includes(SHARED_POOL);
  if (runsEverything) {
    for (const name of Object.keys(handlers) as JobName[]) {
      if (name !== "engine:run-task")
        taskList[name] = jobTask(name, handlers[name] as JobHandler<typeof name>);
    }
  }
  return { taskList, runsEverything };
}

/** Recurring jobs (graphile-worker crontab syntax), run by the shared pool's workers. */
export const crontab = [
  "0 * * * * maintenance:purge-expired",
  ...triggerCrontab,
  ...retentionCrontab,
  ...alertsCrontab,
].join("\n");
