// Reading runs, task instances, attempts and logs: through the workspace scope, like any read
// (what ready tasks wait for comes from capacity.ts, for this workspace only).
import { maxTasks } from "@/server/dags/definition";
import { notFound } from "@/server/errors";
import { keyset, type PageInput } from "@/server/pagination";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { waitingReasons } from "./capacity";
import type { RunTrigger } from "./run-triggers";
import type { RunState, TaskState } from "./states";

/** What every read of task instances selects (the run page, its drawer, the CLI). */
const instanceSelect = {
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
} as const;

type InstanceRow = {
  taskId: string;
  mapIndex: number;
  mapCount: number | null;
  state: string;
  pool: string;
};

/**
 * Adds what a task instance's row does not hold: what a ready one waits for (a slot, a worker of
 * its pool…) and, for a mapped task's parent, how many of its elements are in each state.
 */
async function described<T extends InstanceRow>(scope: WorkspaceScope, runId: string, rows: T[]) {
  const queuedPools = [...new Set(rows.filter((t) => t.state === "queued").map((t) => t.pool))];
  const parents = rows.filter((t) => t.mapIndex === -1 && t.mapCount !== null).map((t) => t.taskId);
  const [reasons, counts] = await Promise.all([
    queuedPools.length > 0
      ? waitingReasons(scope.workspace.id, queuedPools)
      : new Map<string, string | null>(),
    parents.length > 0
      ? scope.db.taskInstance.groupBy({
          by: ["taskId", "state"],
          where: { runId, taskId: { in: parents }, mapIndex: { gte: 0 } },
          _count: { _all: true },
        })
      : [],
  ]);
  const mapStates = new Map<string, Record<string, number>>();
  for (const row of counts) {
    const states = mapStates.get(row.taskId) ?? {};
    states[row.state] = row._count._all;
    mapStates.set(row.taskId, states);
  }
  return rows.map((t) => ({
    ...t,
    waitingFor: t.state === "queued" ? ((reasons.get(t.pool) as string | null | undefined) ?? null) : null,
    mapStates: t.mapIndex === -1 && t.mapCount !== null ? (mapStates.get(t.taskId) ?? {}) : null,
  }));
}

/**
 * A run with one instance per task of its DAG: a mapped task appears once, as its parent with
 * its elements counted by state, so the answer stays small however long a mapped list is (the
 * elements themselves are read a page at a time with listTaskInstances).
 */
/**
 * A run with its tasks (mapped tasks once, as their parent), `taskLimit` of them at a time in task
 * id order from `taskCursor`: a 20,000-task run is megabytes of JSON, so the API answers it in
 * pages (`tasksNextCursor`, null on the last); by default, and on the run page, every task at once.
 */
export async function getRun(
  scope: WorkspaceScope,
  runId: string,
  tasksPage: { taskLimit?: number | undefined; taskCursor?: string | undefined } = {},
) {
  const run = await scope.db.dagRun.findUnique({
    where: { id: runId },
    include: {
      dag: { select: { key: true } },
      dagVersion: { select: { number: true } },
      _count: { select: { slaMisses: true, taskInstances: { where: { mapIndex: -1 } } } },
    },
  });
  if (!run) throw notFound("Run");
  const page = await instancesOrder.page(
    { cursor: tasksPage.taskCursor, limit: tasksPage.taskLimit ?? maxTasks },
    ({ where, ...query }) =>
      scope.db.taskInstance.findMany({
        ...query,
        where: { runId: run.id, mapIndex: -1, ...where },
        select: instanceSelect,
      }),
  );
  const { dag, dagVersion, _count, ...rest } = run;
  return {
    ...rest,
    dagKey: dag.key,
    versionNumber: dagVersion.number,
    slaMisses: _count.slaMisses,
    taskCount: _count.taskInstances,
    tasks: await described(scope, run.id, page.items),
    tasksNextCursor: page.nextCursor,
  };
}

const instancesOrder = keyset([
  ["taskId", "asc"],
  ["mapIndex", "asc", "int"],
]);

/**
 * A run's task instances, mapped elements included, in task then element order: a page at a time
 * (filter by taskId, state; `mapped` keeps only the elements of mapped tasks).
 */
export async function listTaskInstances(
  scope: WorkspaceScope,
  input: PageInput & {
    runId: string;
    taskId?: string | undefined;
    state?: TaskState | undefined;
    mapped?: boolean | undefined;
  },
) {
  const run = await scope.db.dagRun.findUnique({ where: { id: input.runId }, select: { id: true } });
  if (!run) throw notFound("Run");
  const page = await instancesOrder.page(input, ({ where, ...query }) =>
    scope.db.taskInstance.findMany({
      ...query,
      where: {
        runId: run.id,
        ...(input.taskId ? { taskId: input.taskId } : {}),
        ...(input.state ? { state: input.state } : {}),
        ...(input.mapped ? { mapIndex: { gte: 0 } } : {}),
        ...where,
      },
      select: instanceSelect,
    }),
  );
  return { ...page, items: await described(scope, run.id, page.items) };
}

const runsOrder = keyset([
  ["queuedAt", "desc", "date"],
  ["id", "desc"],
]);

/** Runs, newest first, filtered by DAG, state, trigger and logical date. */
export async function listRuns(
  scope: WorkspaceScope,
  input: PageInput & {
    dagKey?: string | undefined;
    state?: RunState | undefined;
    triggeredBy?: RunTrigger | undefined;
    /** Runs whose logical date is at or after this… */
    logicalDateFrom?: Date | undefined;
    /** …and before this. */
    logicalDateBefore?: Date | undefined;
  },
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
          ...(input.triggeredBy ? { triggeredBy: input.triggeredBy } : {}),
          ...(input.logicalDateFrom || input.logicalDateBefore
            ? { logicalDate: { gte: input.logicalDateFrom, lt: input.logicalDateBefore } }
            : {}),
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
          stateReason: true,
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
