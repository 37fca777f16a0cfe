// Creating runs. A run pins the DAG's current version and its validated params, gets one task
// instance per task, and starts at once unless something holds it back (its DAG's maxActiveRuns,
// the workspace's maxConcurrentRuns or monthly quotas: advance.ts startQueuedRuns). A suspended
// workspace gets no new run at all, whatever its source.
import { randomBytes } from "node:crypto";
import { paramsValidator } from "@/server/dags/definition";
import { AppError, notFound } from "@/server/errors";
import { WorkspaceSuspendedError } from "@/server/quotas/errors";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { meter } from "@/server/usage/meter";
import { endRunIfDone, startQueuedRuns } from "./advance";
import { dispatch } from "./dispatch";
import { compiledVersion } from "./graph";
import { lockRunGate } from "./run-gate";
import { sql as pooled, transaction } from "./sql";

export interface TriggerRunInput {
  dagKey: string;
  params?: Record<string, unknown>;
  /** Defaults to now. */
  logicalDate?: Date;
  dataIntervalStart?: Date;
  dataIntervalEnd?: Date;
  note?: string;
  triggeredBy?: "manual" | "schedule" | "backfill" | "webhook" | "api" | "dag";
  /** Unique per DAG; scheduled runs pass one derived from the logical date so a tick runs once. */
  runKey?: string;
}

export async function triggerRun(scope: WorkspaceScope, input: TriggerRunInput) {
  const dag = await scope.db.dag.findUnique({
    where: { workspaceId_key: { workspaceId: scope.workspace.id, key: input.dagKey } },
    select: { id: true, key: true, currentVersionId: true, archivedAt: true },
  });
  if (!dag) throw notFound("DAG");
  if (dag.archivedAt) throw new AppError("CONFLICT", `DAG ${dag.key} is archived; unarchive it to run it`);
  if (!dag.currentVersionId) throw new AppError("CONFLICT", `DAG ${dag.key} has no version yet`);
  const versionId = dag.currentVersionId;

  // Compiled versions are cached; a miss is one read, no transaction needed.
  const compiled = await compiledVersion(pooled, versionId, scope.workspace.id);
  const parsed = paramsValidator(compiled.dag).safeParse(input.params ?? {});
  if (!parsed.success) {
    throw new AppError(
      "UNPROCESSABLE_CONTENT",
      "The run's params do not match the DAG's params schema",
      parsed.error.issues.map((issue) => ({
        path: ["params", ...issue.path].join("."),
        message: issue.message,
      })),
    );
  }
  const logicalDate = input.logicalDate ?? new Date();
  const triggeredBy = input.triggeredBy ?? "manual";
  const runKey =
    input.runKey ?? `${triggeredBy}__${logicalDate.toISOString()}__${randomBytes(3).toString("hex")}`;

  const runId = await transaction(async (sql) => {
    // The workspace's run-gate lock first (run-gate.ts): it serialises the workspace's run starts,
    // and it sees a suspension committed by now.
    const gate = await lockRunGate(sql, scope.workspace.id);
    if (!gate) throw notFound("Workspace");
    if (gate.suspended) throw new WorkspaceSuspendedError(gate.suspendedReason);
    const tasks = [...compiled.tasks.values()];
    const { rows } = await sql.query<{ id: string }>(
      `INSERT INTO "DagRun" (id, "workspaceId", "dagId", "dagVersionId", "runKey", state, "triggeredBy", "triggeredByLabel",
         note, params, "logicalDate", "dataIntervalStart", "dataIntervalEnd", "queuedAt")
       VALUES (gen_random_uuid(), $1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9, $10, $11, now())
       ON CONFLICT ("dagId", "runKey") DO NOTHING
       RETURNING id`,
      [
        scope.workspace.id,
        dag.id,
        versionId,
        runKey,
        triggeredBy,
        scope.actor.label,
        input.note ?? "",
        JSON.stringify(parsed.data),
        logicalDate,
        input.dataIntervalStart ?? null,
        input.dataIntervalEnd ?? null,
      ],
    );
    const run = rows[0];
    if (!run) return null;
    await sql.query(
      `INSERT INTO "TaskInstance" (id, "workspaceId", "runId", "taskId", "maxTries", priority, pool, "upstreamTotal")
       SELECT gen_random_uuid(), $1, $2, x.task_id, x.max_tries, x.priority, x.pool, x.upstream
       FROM unnest($3::text[], $4::int[], $5::float8[], $6::text[], $7::int[]) AS x(task_id, max_tries, priority, pool, upstream)`,
      [
        scope.workspace.id,
        run.id,
        tasks.map((t) => t.def.id),
        tasks.map((t) => t.settings.retries + 1),
        tasks.map((t) => t.priority),
        tasks.map((t) => t.settings.pool),
        tasks.map((t) => t.upstream.length),
      ],
    );
    const started = await startQueuedRuns(sql, scope.workspace.id, { gate, newRunId: run.id });
    await dispatch(sql, scope.workspace.id);
    return { id: run.id, started };
  });
  if (runId?.started.length) meter(scope.workspace.id, { runs: runId.started.length });
  for (const started of runId?.started ?? []) await endRunIfDone(started);
  if (!runId) {
    const existing = await scope.db.dagRun.findUnique({
      where: { dagId_runKey: { dagId: dag.id, runKey } },
      select: { id: true },
    });
    return { id: existing!.id, created: false };
  }
  await scope.audit("run.trigger", input.dagKey, { runId: runId.id, triggeredBy });
  return { id: runId.id, created: true };
}
