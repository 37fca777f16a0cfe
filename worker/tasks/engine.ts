// Handlers of the engine's jobs (the task instances' own, `engine:run-task@<pool>`, among them).
import { requeue } from "@/server/engine/complete";
import { runTask } from "@/server/engine/execute";
import { kickWorkspace, timeoutRun } from "@/server/engine/operations";
import type { JobHandler } from "@/server/jobs/catalog";

export const engineHandlers: {
  "engine:run-task": JobHandler<"engine:run-task">;
  "engine:requeue-task": JobHandler<"engine:requeue-task">;
  "engine:start-runs": JobHandler<"engine:start-runs">;
  "engine:timeout-run": JobHandler<"engine:timeout-run">;
} = {
  "engine:run-task": async ({ taskInstanceId, workspaceId }, helpers) => {
    await runTask(taskInstanceId, workspaceId, helpers.job.locked_by ?? "unknown", {
      availableAt: helpers.job.run_at,
      createdAt: helpers.job.created_at,
    });
  },
  "engine:requeue-task": async ({ taskInstanceId, workspaceId, tryNumber }) => {
    await requeue(taskInstanceId, workspaceId, tryNumber);
  },
  "engine:start-runs": async ({ workspaceId }) => {
    await kickWorkspace(workspaceId);
  },
  "engine:timeout-run": async ({ runId, workspaceId }) => {
    await timeoutRun(runId, workspaceId);
  },
};
