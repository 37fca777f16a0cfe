// Reading SLA misses: the workspace's and a DAG's (newest deadline first), a run's, and which of a
// page of runs missed any (the runs grid). How late a miss is comes from its run or task instance
// as it is now: a run still running gets later by the minute; one that succeeded since has its
// final lateness.
import type { SlaKind } from "@/prisma/generated/enums";
import { notFound } from "@/server/errors";
import { keyset, type PageInput } from "@/server/pagination";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { metAt } from "./plan";

export interface SlaMissView {
  id: string;
  dagKey: string;
  runId: string;
  runLogicalDate: Date;
  /** The task whose SLA it is; null for the DAG's. */
  taskId: string | null;
  kind: SlaKind;
  deadline: Date;
  detectedAt: Date;
  /** When the run (task) succeeded, or started for start_within; null if it has not. */
  metAt: Date | null;
  /** Seconds past the deadline: until metAt, or until now while it has not. */
  lateSeconds: number;
  /** The run's or task's state now. */
  state: string;
}

const missSelect = {
  id: true,
  runId: true,
  taskId: true,
  kind: true,
  deadline: true,
  detectedAt: true,
  dag: { select: { key: true } },
  run: { select: { logicalDate: true, state: true, startedAt: true, endedAt: true } },
} as const;

type MissRow = {
  id: string;
  runId: string;
  taskId: string | null;
  kind: SlaKind;
  deadline: Date;
  detectedAt: Date;
  dag: { key: string };
  run: { logicalDate: Date; state: string; startedAt: Date | null; endedAt: Date | null };
};

/** The rows as views: task misses read their instance (one query for the page). */
async function present(scope: WorkspaceScope, rows: MissRow[]): Promise<SlaMissView[]> {
  const taskMisses = rows.filter((r) => r.taskId !== null);
  const instances =
    taskMisses.length > 0
      ? await scope.db.taskInstance.findMany({
          where: { mapIndex: -1, OR: taskMisses.map((r) => ({ runId: r.runId, taskId: r.taskId! })) },
          select: { runId: true, taskId: true, state: true, queuedAt: true, startedAt: true, endedAt: true },
        })
      : [];
  const instanceOf = new Map(instances.map((i) => [`${i.runId} ${i.taskId}`, i]));
  const now = Date.now();
  return rows.map((row) => {
    const task = row.taskId === null ? null : (instanceOf.get(`${row.runId} ${row.taskId}`) ?? null);
    const met = metAt(row.kind, row.taskId === null ? row.run : task);
    return {
      id: row.id,
      dagKey: row.dag.key,
      runId: row.runId,
      runLogicalDate: row.run.logicalDate,
      taskId: row.taskId,
      kind: row.kind,
      deadline: row.deadline,
      detectedAt: row.detectedAt,
      metAt: met,
      lateSeconds: Math.max(0, Math.round(((met?.getTime() ?? now) - row.deadline.getTime()) / 1000)),
      state: row.taskId === null ? row.run.state : (task?.state ?? "none"),
    };
  });
}

const missesOrder = keyset([
  ["deadline", "desc", "date"],
  ["id", "desc"],
]);

/** The workspace's misses, or one DAG's, newest deadline first. */
export async function listSlaMisses(
  scope: WorkspaceScope,
  input: PageInput & { dagKey?: string | undefined; runId?: string | undefined },
) {
  let dagId: string | undefined;
  if (input.dagKey) {
    const dag = await scope.db.dag.findFirst({ where: { key: input.dagKey }, select: { id: true } });
    if (!dag) throw notFound("DAG");
    dagId = dag.id;
  }
  if (input.runId && !(await scope.db.dagRun.count({ where: { id: input.runId } }))) throw notFound("Run");
  const page = await missesOrder.page(input, ({ where, ...query }) =>
    scope.db.slaMiss.findMany({
      ...query,
      where: { ...(dagId ? { dagId } : {}), ...(input.runId ? { runId: input.runId } : {}), ...where },
      select: missSelect,
    }),
  );
  return { items: await present(scope, page.items), nextCursor: page.nextCursor };
}
