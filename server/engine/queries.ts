// Reading runs, task instances, attempts and logs: through the workspace scope, like any read
// (what ready tasks wait for comes from capacity.ts, for this workspace only).
import { notFound } from "@/server/errors";
import { keyset, type PageInput } from "@/server/pagination";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { waitingReasons } from "./capacity";
import type { RunState } from "./states";

export async function getRun(scope: WorkspaceScope, runId: string) {
  const run = await scope.db.dagRun.findUnique({
    where: { id: runId },
    include: {
      dag: { select: { key: true } },
      dagVersion: { select: { number: true } },
      _count: { select: { slaMisses: true } },
      taskInstances: {
        orderBy: [{ taskId: "asc" }, { mapIndex: "asc" }],
        select: {
          id: true,
          taskId: true,
          mapIndex: true,
          mapCount: true,
          state: true,
          pool: true,
          workerPool: true,
          tryNumber: true,
          maxTries: true,
          output: true,
          error: true,
          queuedAt: true,
          startedAt: true,
          endedAt: true,
          attempts: {
            orderBy: { number: "asc" },
            select: {
              id: true,
              number: true,
              state: true,
              error: true,
              startedAt: true,
              endedAt: true,
              workerId: true,
            },
          },
        },
      },
    },
  });
  if (!run) throw notFound("Run");
  const { dag, dagVersion, taskInstances, _count, ...rest } = run;
  // Ready tasks say what they wait for (a slot, a worker of their pool…).
  const queuedPools = [...new Set(taskInstances.filter((t) => t.state === "queued").map((t) => t.pool))];
  const reasons = queuedPools.length > 0 ? await waitingReasons(scope.workspace.id, queuedPools) : new Map();
  return {
    ...rest,
    dagKey: dag.key,
    versionNumber: dagVersion.number,
    slaMisses: _count.slaMisses,
    tasks: taskInstances.map((t) => ({
      ...t,
      waitingFor: t.state === "queued" ? ((reasons.get(t.pool) as string | null | undefined) ?? null) : null,
    })),
  };
}

const runsOrder = keyset([
  ["queuedAt", "desc", "date"],
  ["id", "desc"],
]);

/** Runs, newest first. */
export async function listRuns(
  scope: WorkspaceScope,
  input: PageInput & { dagKey?: string | undefined; state?: RunState | undefined },
) {
  if (input.dagKey) {
    const dag = await scope.db.dag.findFirst({ where: { key: input.dagKey }, select: { id: true } });
    if (!dag) throw notFound("DAG");
  }
  return runsOrder.page(
    input,
    ({ where, ...query }) =>
      scope.db.dagRun.findMany({
        ...query,
        where: {
          ...(input.dagKey ? { dag: { key: input.dagKey } } : {}),
          ...(input.state ? { state: input.state } : {}),
          ...where,
        },
        select: {
          id: true,
          state: true,
          triggeredBy: true,
          triggeredByLabel: true,
          note: true,
          logicalDate: true,
          queuedAt: true,
          startedAt: true,
          endedAt: true,
          dag: { select: { key: true } },
          _count: { select: { slaMisses: true } },
        },
      }),
    ({ dag, _count, ...run }) => ({ ...run, dagKey: dag.key, slaMisses: _count.slaMisses }),
  );
}

/** An attempt's log after `afterId` (for following a running attempt), oldest first. */
export async function readLogs(
  scope: WorkspaceScope,
  input: { runId: string; taskId: string; mapIndex: number; attempt?: number; afterId?: string },
) {
  const instance = await scope.db.taskInstance.findUnique({
    where: { runId_taskId_mapIndex: { runId: input.runId, taskId: input.taskId, mapIndex: input.mapIndex } },
    select: { id: true, tryNumber: true, state: true },
  });
  if (!instance) throw notFound("Task instance");
  const number = input.attempt ?? instance.tryNumber;
  const attempt = await scope.db.taskAttempt.findUnique({
    where: { taskInstanceId_number: { taskInstanceId: instance.id, number } },
    select: { id: true, number: true, state: true },
  });
  if (!attempt)
    return {
      attempt: number,
      state: instance.state,
      running: false,
      chunks: [] as { id: string; text: string }[],
    };
  const chunks = await scope.db.taskLog.findMany({
    where: { attemptId: attempt.id, ...(input.afterId ? { id: { gt: BigInt(input.afterId) } } : {}) },
    orderBy: { id: "asc" },
    take: 500,
    select: { id: true, text: true },
  });
  return {
    attempt: attempt.number,
    state: instance.state,
    running: attempt.state === "running" || attempt.state === "deferred",
    chunks: chunks.map((c) => ({ id: c.id.toString(), text: c.text })),
  };
}
