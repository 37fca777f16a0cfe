// Backfills: one run for every logical date of a DAG's schedule in [from, to], created
// progressively by the `backfill:step` job so that a long range does not become thousands of
// queued runs at once. Each step tops the DAG up to twice its maxActiveRuns unfinished runs; the
// engine starts them as slots free (maxActiveRuns holds, the rest wait `queued`).
//
// Runs use the scheduler's run keys (`scheduled__<logical date>`), so a date that already has a
// run (scheduled, or from another backfill) is counted as `existing` and not run twice.
// Cancelling stops creation and cancels the backfill runs still queued; running ones finish.
// A suspended workspace's backfills pause (the step looks again later) and go on when resumed.
import { type DagDefinition, paramsValidator } from "@/server/dags/definition";
import { cancelRun } from "@/server/engine/operations";
import { AppError, notFound } from "@/server/errors";
import { enqueue } from "@/server/jobs/catalog";
import { keyset, type PageInput } from "@/server/pagination";
import { systemScope, type WorkspaceScope } from "@/server/tenancy/door";
import { type Sql, workspaceSql } from "@/server/tenancy/workspace-sql";
import { createTickRuns } from "./scheduler";
import {
  intervalsBetween,
  ScheduleError,
  scheduleDate,
  schedulePlan,
  unprocessableUnlessComputed,
} from "./timetable";

/** Most runs one backfill may create. */
export const MAX_BACKFILL_RUNS = 10_000;
/** Most runs created per step. */
const STEP_MAX = 100;
/** Wait before the next step while the DAG has no room. */
const STEP_DELAY_MS = 1_000;
/** Wait before looking again while the workspace is suspended. */
const SUSPENDED_DELAY_MS = 60_000;

const backfillJobKey = (id: string) => `backfill:${id}`;

export async function createBackfill(
  scope: WorkspaceScope,
  input: {
    dagId: string;
    /** Logical dates from and to (both included): a date (midnight in the schedule's zone) or a date-time. */
    from: string | Date;
    to: string | Date;
    params?: Record<string, unknown> | undefined;
    note?: string | undefined;
  },
) {
  const dag = await scope.db.dag.findFirst({
    where: { key: input.dagId },
    select: { id: true, key: true, archivedAt: true, currentVersionId: true },
  });
  if (!dag) throw notFound("DAG");
  if (dag.archivedAt)
    throw new AppError("CONFLICT", `DAG ${dag.key} is archived; unarchive it to backfill it`);
  const version = dag.currentVersionId
    ? await scope.db.dagVersion.findFirst({
        where: { id: dag.currentVersionId },
        select: { definition: true },
      })
    : null;
  if (!version) throw new AppError("CONFLICT", `DAG ${dag.key} has no version yet`);
  const definition = version.definition as unknown as DagDefinition;
  const plan = unprocessableUnlessComputed("dagId", () => schedulePlan(definition));
  if (!plan) {
    throw new AppError(
      "UNPROCESSABLE_CONTENT",
      `DAG ${dag.key} has no schedule, so no logical dates to backfill`,
      [{ path: "dagId", message: "has no schedule; trigger runs with a logical date instead" }],
    );
  }
  const asDate = (value: string | Date) =>
    value instanceof Date
      ? value
      : unprocessableUnlessComputed("from", () => scheduleDate(value, plan.timezone));
  const from = asDate(input.from);
  const to = asDate(input.to);
  if (from > to) {
    throw new AppError("UNPROCESSABLE_CONTENT", "The range is empty", [
      { path: "to", message: "must not be before from" },
    ]);
  }
  const parsed = paramsValidator(definition).safeParse(input.params ?? {});
  if (!parsed.success) {
    throw new AppError(
      "UNPROCESSABLE_CONTENT",
      "The params do not match the DAG's params schema",
      parsed.error.issues.map((issue) => ({
        path: ["params", ...issue.path].join("."),
        message: issue.message,
      })),
    );
  }
  const intervals = unprocessableUnlessComputed("dagId", () =>
    intervalsBetween(plan, from, to, MAX_BACKFILL_RUNS + 1),
  );
  if (intervals.length === 0) {
    throw new AppError("UNPROCESSABLE_CONTENT", "The schedule has no logical date in this range", [
      { path: "from", message: "no fire time of the schedule between from and to" },
    ]);
  }
  if (intervals.length > MAX_BACKFILL_RUNS) {
    throw new AppError("UNPROCESSABLE_CONTENT", `A backfill creates at most ${MAX_BACKFILL_RUNS} runs`, [
      { path: "to", message: `the range holds more than ${MAX_BACKFILL_RUNS} logical dates; split it` },
    ]);
  }
  // The row and its first step commit together: a backfill never exists without its job.
  const id = await workspaceSql(scope).transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO "Backfill" (id, "workspaceId", "dagId", "from", "to", total, cursor, params, note, "createdByLabel")
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [
        scope.workspace.id,
        dag.id,
        from,
        to,
        intervals.length,
        intervals[0]!.start,
        JSON.stringify(input.params ?? {}),
        input.note ?? "",
        scope.actor.label,
      ],
    );
    const created = rows[0]!.id;
    await enqueue(
      tx,
      "backfill:step",
      { workspaceId: scope.workspace.id, backfillId: created },
      { jobKey: backfillJobKey(created) },
    );
    return created;
  });
  await scope.audit("backfill.create", dag.key, {
    backfillId: id,
    from: from.toISOString(),
    to: to.toISOString(),
    total: intervals.length,
  });
  return getBackfill(scope, id);
}

const select = {
  id: true,
  dagId: true,
  from: true,
  to: true,
  state: true,
  total: true,
  created: true,
  existing: true,
  params: true,
  note: true,
  createdByLabel: true,
  error: true,
  createdAt: true,
  endedAt: true,
  dag: { select: { key: true } },
} as const;

/** A backfill with its progress: logical dates handled, and its runs by state. */
export async function getBackfill(scope: WorkspaceScope, backfillId: string) {
  const row = await scope.db.backfill.findFirst({ where: { id: backfillId }, select });
  if (!row) throw notFound("Backfill");
  const counts = await scope.db.dagRun.groupBy({
    by: ["state"],
    where: {
      dagId: row.dagId,
      triggeredBy: { in: ["schedule", "backfill"] },
      logicalDate: { gte: row.from, lte: row.to },
    },
    _count: { _all: true },
  });
  const runs = { queued: 0, running: 0, success: 0, failed: 0, cancelled: 0 };
  for (const c of counts) runs[c.state] = c._count._all;
  const { dag, dagId: _, ...rest } = row;
  return {
    ...rest,
    dagId: dag.key,
    runs,
    /** Runs of the range that have ended, out of `total`. */
    finished: runs.success + runs.failed + runs.cancelled,
  };
}

const backfillsOrder = keyset([
  ["createdAt", "desc", "date"],
  ["id", "desc"],
]);

/** Backfills, newest first. */
export async function listBackfills(
  scope: WorkspaceScope,
  input: PageInput & { dagId?: string | undefined },
) {
  if (input.dagId && !(await scope.db.dag.findFirst({ where: { key: input.dagId }, select: { id: true } }))) {
    throw notFound("DAG");
  }
  return backfillsOrder.page(
    input,
    ({ where, ...query }) =>
      scope.db.backfill.findMany({
        ...query,
        where: { ...(input.dagId ? { dag: { key: input.dagId } } : {}), ...where },
        select,
      }),
    ({ dag, dagId: _, ...row }) => ({ ...row, dagId: dag.key }),
  );
}

/** Stops creating runs and cancels the backfill runs still queued (running ones finish). */
export async function cancelBackfill(scope: WorkspaceScope, backfillId: string) {
  const row = await scope.db.backfill.findFirst({
    where: { id: backfillId },
    select: { id: true, state: true, dagId: true, from: true, to: true, dag: { select: { key: true } } },
  });
  if (!row) throw notFound("Backfill");
  const { count } = await scope.db.backfill.updateMany({
    where: { id: row.id, state: "running" },
    data: { state: "cancelled", endedAt: new Date() },
  });
  if (count === 0) throw new AppError("CONFLICT", `The backfill already ended (${row.state})`);
  const cancelled = await cancelQueuedRuns(scope, row);
  await scope.audit("backfill.cancel", row.dag.key, { backfillId: row.id, cancelledRuns: cancelled });
  return getBackfill(scope, row.id);
}

async function cancelQueuedRuns(
  scope: WorkspaceScope,
  backfill: { dagId: string; from: Date; to: Date },
): Promise<number> {
  const queued = await scope.db.dagRun.findMany({
    where: {
      dagId: backfill.dagId,
      triggeredBy: "backfill",
      state: "queued",
      logicalDate: { gte: backfill.from, lte: backfill.to },
    },
    select: { id: true },
  });
  let cancelled = 0;
  for (const run of queued) {
    try {
      await cancelRun(scope, run.id);
      cancelled++;
    } catch (error) {
      // Started or ended meanwhile: it finishes as it is.
      if (!(error instanceof AppError && error.code === "CONFLICT")) throw error;
    }
  }
  return cancelled;
}

/**
 * `backfill:step`: creates the next batch of runs and re-adds itself until the range is done.
 * Holds no lock while it creates runs (each run takes connections of its own); the counters move
 * with a compare-and-set on the cursor, and a cancel seen at that moment cancels the batch's
 * queued runs.
 */
export async function backfillStep(backfillId: string, workspaceId: string): Promise<void> {
  const sql = workspaceSql(workspaceId);
  const { rows } = await sql.query<{
    state: string;
    cursor: Date | null;
    to: Date;
    params: Record<string, unknown>;
    note: string;
    dagId: string;
    key: string;
    definition: DagDefinition;
    active: number;
    suspended: boolean;
  }>(
    `SELECT b.state, b.cursor, b."to", b.params, b.note, b."dagId", d.key, v.definition,
            (SELECT count(*)::int FROM "DagRun" r
              WHERE r."workspaceId" = b."workspaceId" AND r."dagId" = b."dagId" AND r.state IN ('queued', 'running')) AS active,
            w."suspendedAt" IS NOT NULL AS suspended
     FROM "Backfill" b JOIN "Dag" d ON d.id = b."dagId" JOIN "DagVersion" v ON v.id = d."currentVersionId"
       JOIN "Workspace" w ON w.id = b."workspaceId"
     WHERE b.id = $1 AND b."workspaceId" = $2`,
    [backfillId, workspaceId],
  );
  const backfill = rows[0];
  if (backfill?.state !== "running" || !backfill.cursor) return;
  const finish = (error: string | null) =>
    sql.query(
      `UPDATE "Backfill" SET state = 'done', "endedAt" = now(), error = $3
       WHERE id = $1 AND "workspaceId" = $2 AND state = 'running'`,
      [backfillId, workspaceId, error],
    );
  let plan: ReturnType<typeof schedulePlan>;
  let batch: ReturnType<typeof intervalsBetween> = [];
  try {
    plan = schedulePlan(backfill.definition);
  } catch (error) {
    // Retrying cannot help: the backfill ends, saying why.
    if (!(error instanceof ScheduleError)) throw error;
    return void (await finish(`the schedule's run times cannot be computed: ${error.message}`));
  }
  if (!plan) return void (await finish("the DAG no longer has a schedule"));

  const room = Math.min(
    STEP_MAX,
    Math.max(0, 2 * (backfill.definition.maxActiveRuns ?? 16) - backfill.active),
  );
  const again = (delayMs: number) =>
    enqueue(
      sql,
      "backfill:step",
      { workspaceId, backfillId },
      { jobKey: backfillJobKey(backfillId), runAt: new Date(Date.now() + delayMs) },
    );
  if (room === 0) return again(STEP_DELAY_MS);
  // Paused while the workspace is suspended; resuming it runs this step again at once.
  if (backfill.suspended) return again(SUSPENDED_DELAY_MS);

  try {
    batch = intervalsBetween(plan, backfill.cursor, backfill.to, room);
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    return void (await finish(`the schedule's run times cannot be computed: ${error.message}`));
  }
  if (batch.length === 0) return void (await finish(null));
  const scope = await systemScope(workspaceId);
  const result = await createTickRuns(
    { ...scope, actor: { kind: "system", label: "backfill" } },
    {
      dagKey: backfill.key,
      ticks: batch.map((i): [string, string] => [i.start.toISOString(), i.end.toISOString()]),
      triggeredBy: "backfill",
      params: backfill.params,
      note: backfill.note,
    },
  );
  // Ticks refused because the workspace was suspended meanwhile wait for the next step.
  const handled = batch.length - result.suspended.length;
  if (handled === 0) return again(SUSPENDED_DELAY_MS);
  const cursor = batch[handled - 1]!.end;
  const done = result.suspended.length === 0 && cursor > backfill.to;
  const error = result.skipped[0]
    ? `${result.skipped.length} date(s) skipped: ${result.skipped[0].reason}`
    : null;
  const counted = [
    backfillId,
    workspaceId,
    backfill.cursor,
    result.created + result.existing + result.skipped.length,
    result.existing,
    cursor,
  ];
  const { rowCount } = await sql.query(
    `UPDATE "Backfill" SET created = created + $4, existing = existing + $5, cursor = $6,
       state = CASE WHEN $7::boolean THEN 'done'::"BackfillState" ELSE state END,
       "endedAt" = CASE WHEN $7::boolean THEN now() ELSE NULL END,
       error = coalesce($8, error)
     WHERE id = $1 AND "workspaceId" = $2 AND state = 'running' AND cursor = $3`,
    [...counted, done, error],
  );
  if (!rowCount) {
    // Cancelled while this batch was being created: the batch's runs still count as created (the
    // progress stays true), and its queued runs go too.
    await sql.query(
      `UPDATE "Backfill" SET created = created + $4, existing = existing + $5, cursor = $6
       WHERE id = $1 AND "workspaceId" = $2 AND state = 'cancelled' AND cursor = $3`,
      counted,
    );
    const row = await scope.db.backfill.findFirst({
      where: { id: backfillId },
      select: { from: true, to: true },
    });
    if (row) await cancelQueuedRuns(scope, { dagId: backfill.dagId, ...row });
    return;
  }
  if (!done) await again(result.suspended.length > 0 ? SUSPENDED_DELAY_MS : 0);
}

/** Runs the next step of the workspace's running backfills now (after a resume). */
export async function resumeBackfills(sql: Sql, workspaceId: string): Promise<void> {
  const { rows } = await sql.query<{ id: string }>(
    `SELECT id FROM "Backfill" WHERE "workspaceId" = $1 AND state = 'running'`,
    [workspaceId],
  );
  for (const { id } of rows) {
    await enqueue(sql, "backfill:step", { workspaceId, backfillId: id }, { jobKey: backfillJobKey(id) });
  }
}
