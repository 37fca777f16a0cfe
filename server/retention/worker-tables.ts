// Keeps graphile-worker's own tables lean. Completed jobs delete themselves; what piles up is
// permanently failed jobs (kept for inspection until deleted), job queues no job uses any more,
// and task identifiers of jobs long gone. graphile-worker's WorkerUtils.cleanup does each.
import { makeWorkerUtils } from "graphile-worker";
import { pgPool } from "@/server/db/client";

/**
 * `keepTaskIdentifiers`: the identifiers this installation's workers handle. Running workers cache
 * the ids of their task identifiers, so deleting one of those (even with no job at the moment)
 * would leave them blind to its next jobs until they restart.
 */
export async function cleanWorkerTables(keepTaskIdentifiers: readonly string[]): Promise<void> {
  const utils = await makeWorkerUtils({ pgPool: pgPool() });
  try {
    await utils.cleanup({
      tasks: ["DELETE_PERMAFAILED_JOBS", "GC_JOB_QUEUES", "GC_TASK_IDENTIFIERS"],
      taskIdentifiersToKeep: keepTaskIdentifiers,
    });
  } finally {
    await utils.release();
  }
}
