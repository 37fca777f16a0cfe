// What operators do to runs by hand: cancel, clear (re-run) tasks with or without their
// downstream, mark a task success or failed, retry the failed tasks. Each is one transaction on
// the run, so workers completing attempts concurrently see either the state before or after.
import { AppError, notFound } from "@/server/errors";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { meter } from "@/server/usage/meter";
import { advance, endRun, endRunIfDone, type Finished, type RunRow, startQueuedRuns } from "./advance";
import { dispatch } from "./dispatch";
import { type CompiledDag, compiledVersion } from "./graph";
import { type Sql, transaction } from "./sql";
import { isFailure, slotHoldingStates, type TaskState, terminalTaskStates } from "./states";
import { decide } from "./trigger-rules";

interface LockedRun extends RunRow {
  state: string;
}

async function lockRun(sql: Sql, workspaceId: string, runId: string): Promise<LockedRun> {
  const { rows } = await sql.query<LockedRun>(
    `SELECT id, "workspaceId", "dagId", "dagVersionId", params, state FROM "DagRun"
     WHERE id = $1 AND "workspaceId" = $2 FOR UPDATE`,
    [runId, workspaceId],
  );
  if (!rows[0]) throw notFound("Run");
  return rows[0];
}

/**
 * Ends every unfinished instance of the run, giving back the slots of those holding one. Locks
 * them in task id order, the order completions lock the downstream instances they count down
 * (advance.ts): in the table's order, a cancel of a wide run held some of those while waiting for
 * others, and deadlocked with them.
 */
async function stopInstances(sql: Sql, run: RunRow, state: "cancelled" | "failed", error: string) {
  const { rows } = await sql.query<{ id: string; state: TaskState; pool: string }>(
    `WITH old AS (
       SELECT id, state, pool FROM "TaskInstance"
       WHERE "runId" = $1 AND "workspaceId" = $4
         AND state NOT IN ('success', 'failed', 'skipped', 'upstream_failed', 'cancelled')
       ORDER BY "taskId", "mapIndex" FOR UPDATE),
     changed AS (
       UPDATE "TaskInstance" t SET state = $2::"TaskState", error = $3, "endedAt" = now() FROM old WHERE t.id = old.id)
     SELECT * FROM old`,
    [run.id, state, error, run.workspaceId],
  );
  await sql.query(
    `UPDATE "TaskAttempt" SET state = 'cancelled', "endedAt" = now(), error = $2
     WHERE "taskInstanceId" = ANY($1::uuid[]) AND "workspaceId" = $3 AND state IN ('running', 'deferred')`,
    [rows.map((r) => r.id), error, run.workspaceId],
  );
  return rows.filter((r) => slotHoldingStates.has(r.state)).map((r) => r.pool);
}

export async function cancelRun(scope: WorkspaceScope, runId: string) {
  await transaction(async (sql) => {
    const run = await lockRun(sql, scope.workspace.id, runId);
    if (run.state !== "running" && run.state !== "queued") {
      throw new AppError("CONFLICT", `The run already ended (${run.state})`);
    }
    const released = await stopInstances(sql, run, "cancelled", `Cancelled by ${scope.actor.label}`);
    await endRun(sql, run, await compiledVersion(sql, run.dagVersionId, run.workspaceId), "cancelled");
    await dispatch(sql, run.workspaceId, released);
  });
  await scope.audit("run.cancel", runId);
}

/** `engine:timeout-run`: the run exceeded its runTimeoutSeconds. */
export async function timeoutRun(runId: string, workspaceId: string) {
  await transaction(async (sql) => {
    const run = await lockRun(sql, workspaceId, runId).catch(() => null);
    if (run?.state !== "running") return;
    const released = await stopInstances(sql, run, "failed", "The run exceeded its runTimeoutSeconds");
    await endRun(sql, run, await compiledVersion(sql, run.dagVersionId, run.workspaceId), "failed");
    await dispatch(sql, run.workspaceId, released);
  });
}

/**
 * Starts the workspace's queued runs that may start now and admits its queued task instances.
 * The `engine:start-runs` job (after a run ends) and the reaper call it, and so does whatever may
 * have let waiting work through: a plan change or a raised quota, a resume after a suspension;
 * and a trigger whose run could not start in its own call (`newRunIds`: that run, told why it waits
 * if it cannot start).
 */
export async function kickWorkspace(workspaceId: string, newRunIds?: string[]): Promise<void> {
  const started = await transaction(async (sql) => {
    const runs = await startQueuedRuns(sql, workspaceId, { newRunIds });
    await dispatch(sql, workspaceId);
    return runs;
  });
  if (started.length > 0) meter(workspaceId, { runs: started.length });
  // A run whose tasks all settled at once (an empty map, say) ends here.
  for (const run of started) await endRunIfDone(run);
}

/** The tasks reached from `taskIds` (themselves included) following `direction` edges. */
function reach(compiled: CompiledDag, taskIds: string[], direction: "upstream" | "downstream"): Set<string> {
  const result = new Set<string>();
  const stack = [...taskIds];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (result.has(id)) continue;
    result.add(id);
    stack.push(...(compiled.tasks.get(id)?.[direction] ?? []));
  }
  return result;
}

const withDownstream = (compiled: CompiledDag, taskIds: string[]) => reach(compiled, taskIds, "downstream");

export interface ClearOptions {
  taskIds: string[];
  /** With every task downstream of them. */
  downstream: boolean;
  /** With every task upstream of them. */
  upstream?: boolean;
  /** Of those, only the tasks that failed (or whose upstream failed). */
  onlyFailed?: boolean;
}

/** The tasks a clear resets, in the DAG's order; refuses task ids the run's version does not have. */
async function tasksToClear(sql: Sql, run: RunRow, compiled: CompiledDag, options: ClearOptions) {
  const unknown = options.taskIds.filter((id) => !compiled.tasks.has(id));
  if (unknown.length > 0) throw notFound(`Task ${unknown.join(", ")}`);
  const ids = new Set(options.taskIds);
  if (options.downstream) for (const id of reach(compiled, options.taskIds, "downstream")) ids.add(id);
  if (options.upstream) for (const id of reach(compiled, options.taskIds, "upstream")) ids.add(id);
  const { rows } = await sql.query<{ taskId: string; state: TaskState }>(
    `SELECT "taskId", state FROM "TaskInstance" WHERE "runId" = $1 AND "workspaceId" = $2 AND "mapIndex" = -1`,
    [run.id, run.workspaceId],
  );
  const stateOf = new Map(rows.map((row) => [row.taskId, row.state]));
  const chosen = [...compiled.tasks.keys()]
    .filter((id) => ids.has(id))
    .filter((id) => !options.onlyFailed || isFailure(stateOf.get(id) ?? "none"))
    .map((taskId) => ({ taskId, state: stateOf.get(taskId) ?? ("none" as TaskState) }));
  if (chosen.length === 0) {
    throw new AppError("CONFLICT", "None of these tasks failed: there is nothing to clear");
  }
  return chosen;
}

/** What a clear would reset, changing nothing: the dry run the clear dialog shows. */
export async function previewClear(scope: WorkspaceScope, input: ClearOptions & { runId: string }) {
  return transaction(async (sql) => {
    const { rows } = await sql.query<RunRow>(
      `SELECT id, "workspaceId", "dagId", "dagVersionId", params FROM "DagRun" WHERE id = $1 AND "workspaceId" = $2`,
      [input.runId, scope.workspace.id],
    );
    if (!rows[0]) throw notFound("Run");
    return {
      tasks: await tasksToClear(
        sql,
        rows[0],
        await compiledVersion(sql, rows[0].dagVersionId, rows[0].workspaceId),
        input,
      ),
    };
  });
}

/**
 * Puts the given tasks back to `none` (keeping everything else, outputs included), recomputes
 * their upstream counters from the run as it is, reopens the run, and returns the instances
 * that can be decided right away.
 */
async function reset(sql: Sql, run: LockedRun, compiled: CompiledDag, taskIds: Set<string>) {
  const { rows: all } = await sql.query<{ id: string; taskId: string; state: TaskState; pool: string }>(
    `SELECT id, "taskId", state, pool FROM "TaskInstance"
     WHERE "runId" = $1 AND "workspaceId" = $2 AND "mapIndex" = -1 ORDER BY "taskId" FOR UPDATE`,
    [run.id, run.workspaceId],
  );
  const stateOf = new Map(all.map((t) => [t.taskId, t.state]));
  const targets = all.filter((t) => taskIds.has(t.taskId));
  // Mapped children hold slots of their own.
  const { rows: children } = await sql.query<{ id: string; state: TaskState; pool: string }>(
    `DELETE FROM "TaskInstance"
     WHERE "runId" = $1 AND "workspaceId" = $3 AND "taskId" = ANY($2::text[]) AND "mapIndex" >= 0
     RETURNING id, state, pool`,
    [run.id, [...taskIds], run.workspaceId],
  );
  const released = [...targets, ...children].filter((t) => slotHoldingStates.has(t.state)).map((t) => t.pool);
  await sql.query(
    `UPDATE "TaskAttempt" SET state = 'cancelled', "endedAt" = now(), error = 'Cleared'
     WHERE "taskInstanceId" = ANY($1::uuid[]) AND "workspaceId" = $2 AND state IN ('running', 'deferred')`,
    [targets.map((t) => t.id), run.workspaceId],
  );
  for (const id of taskIds) stateOf.set(id, "none");
  const counters = targets.map((t) => {
    const c = { total: 0, done: 0, success: 0, failed: 0, skipped: 0 };
    for (const up of compiled.tasks.get(t.taskId)?.upstream ?? []) {
      const s = stateOf.get(up) ?? "none";
      c.total++;
      if (terminalTaskStates.has(s)) c.done++;
      if (s === "success") c.success++;
      else if (isFailure(s)) c.failed++;
      else if (s === "skipped") c.skipped++;
    }
    return c;
  });
  await sql.query(
    `UPDATE "TaskInstance" t SET state = 'none', output = NULL, error = NULL, "deferState" = NULL, "mapCount" = NULL,
       "childrenDone" = 0, "childrenFailed" = 0, "startedAt" = NULL, "endedAt" = NULL, "queuedAt" = NULL,
       "maxTries" = t."tryNumber" + x.retries + 1,
       "upstreamTotal" = x.total, "upstreamDone" = x.done, "upstreamSuccess" = x.success,
       "upstreamFailed" = x.failed, "upstreamSkipped" = x.skipped,
       -- from the version the run now follows (clearing may have moved it to the latest)
       priority = x.priority, pool = x.pool
     FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::float8[], $9::text[])
       AS x(id, retries, total, done, success, failed, skipped, priority, pool)
     WHERE t.id = x.id AND t."workspaceId" = $10`,
    [
      targets.map((t) => t.id),
      targets.map((t) => compiled.tasks.get(t.taskId)?.settings.retries ?? 0),
      counters.map((c) => c.total),
      counters.map((c) => c.done),
      counters.map((c) => c.success),
      counters.map((c) => c.failed),
      counters.map((c) => c.skipped),
      targets.map((t) => compiled.tasks.get(t.taskId)?.priority ?? 0),
      targets.map((t) => compiled.tasks.get(t.taskId)?.settings.pool ?? t.pool),
      run.workspaceId,
    ],
  );
  await sql.query(
    `UPDATE "DagRun" SET state = 'running', "endedAt" = NULL, "startedAt" = coalesce("startedAt", now()), "stateReason" = NULL
     WHERE id = $1 AND "workspaceId" = $2`,
    [run.id, run.workspaceId],
  );
  const ready: string[] = [];
  const settled: Finished[] = [];
  targets.forEach((t, i) => {
    const task = compiled.tasks.get(t.taskId);
    if (!task) return;
    const decision = decide(task.def.triggerRule, counters[i]!);
    if (decision === "run") ready.push(t.taskId);
    else if (decision === "skip" || decision === "upstream_failed") {
      settled.push({
        id: t.id,
        taskId: t.taskId,
        mapIndex: -1,
        state: decision === "skip" ? "skipped" : "upstream_failed",
      });
    }
  });
  await sql.query(
    `UPDATE "TaskInstance" SET state = x.state::"TaskState", "endedAt" = now() FROM unnest($1::uuid[], $2::text[]) AS x(id, state)
     WHERE "TaskInstance".id = x.id AND "TaskInstance"."workspaceId" = $3`,
    [settled.map((f) => f.id), settled.map((f) => f.state), run.workspaceId],
  );
  return { targets, ready, settled, released };
}

export async function clearTasks(
  scope: WorkspaceScope,
  input: ClearOptions & { runId: string; latestVersion?: boolean },
) {
  const cleared = await transaction(async (sql) => {
    const run = await lockRun(sql, scope.workspace.id, input.runId);
    const compiled = input.latestVersion
      ? await repinToLatestVersion(sql, run)
      : await compiledVersion(sql, run.dagVersionId, run.workspaceId);
    const ids = new Set((await tasksToClear(sql, run, compiled, input)).map((task) => task.taskId));
    const { ready, settled, released } = await reset(sql, run, compiled, ids);
    await advance(sql, run, compiled, settled, ready);
    await dispatch(sql, run.workspaceId, released);
    return { ids: [...ids], run };
  });
  await endRunIfDone(cleared.run);
  await scope.audit("run.clear", input.runId, {
    tasks: cleared.ids,
    downstream: input.downstream,
    ...(input.upstream ? { upstream: true } : {}),
    ...(input.onlyFailed ? { onlyFailed: true } : {}),
    ...(input.latestVersion ? { version: cleared.run.dagVersionId } : {}),
  });
  return { cleared: cleared.ids, dagVersionId: cleared.run.dagVersionId };
}

/**
 * Moves a run to its DAG's current version, so that clearing a task after fixing the DAG runs the
 * fix. Only a version with the same graph (the same tasks, each with the same upstream tasks) can
 * take over a run: task states and trigger-rule counters stay meaningful; configs, operators and
 * settings may differ. Otherwise the caller is told to start a new run.
 */
async function repinToLatestVersion(sql: Sql, run: LockedRun): Promise<CompiledDag> {
  const pinned = await compiledVersion(sql, run.dagVersionId, run.workspaceId);
  const { rows } = await sql.query<{ versionId: string; number: number }>(
    `SELECT v.id AS "versionId", v.number FROM "Dag" d JOIN "DagVersion" v ON v.id = d."currentVersionId"
     WHERE d.id = $1 AND d."workspaceId" = $2`,
    [run.dagId, run.workspaceId],
  );
  const latest = rows[0];
  if (!latest || latest.versionId === run.dagVersionId) return pinned;
  const compiled = await compiledVersion(sql, latest.versionId, run.workspaceId);
  const difference = graphDifference(pinned, compiled);
  if (difference) {
    throw new AppError(
      "CONFLICT",
      `Version ${latest.number} changes this run's graph (${difference}), so it cannot take over the run; trigger a new run instead`,
    );
  }
  await sql.query(`UPDATE "DagRun" SET "dagVersionId" = $2 WHERE id = $1 AND "workspaceId" = $3`, [
    run.id,
    latest.versionId,
    run.workspaceId,
  ]);
  run.dagVersionId = latest.versionId;
  return compiled;
}

/** How two versions' graphs differ, in words, or undefined when they are the same graph. */
function graphDifference(a: CompiledDag, b: CompiledDag): string | undefined {
  const added = [...b.tasks.keys()].filter((id) => !a.tasks.has(id));
  const removed = [...a.tasks.keys()].filter((id) => !b.tasks.has(id));
  const rewired = [...a.tasks].filter(([id, task]) => {
    const other = b.tasks.get(id);
    if (!other) return false;
    const before = new Set(task.upstream);
    return other.upstream.length !== before.size || other.upstream.some((up) => !before.has(up));
  });
  const parts = [
    added.length > 0 && `adds ${added.join(", ")}`,
    removed.length > 0 && `removes ${removed.join(", ")}`,
    rewired.length > 0 && `changes the dependencies of ${rewired.map(([id]) => id).join(", ")}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join("; ") : undefined;
}

/** Sets a task's state by hand; its downstream tasks are cleared so they follow the new state. */
export async function markTask(
  scope: WorkspaceScope,
  input: { runId: string; taskId: string; state: "success" | "failed" },
) {
  await transaction(async (sql) => {
    const run = await lockRun(sql, scope.workspace.id, input.runId);
    const compiled = await compiledVersion(sql, run.dagVersionId, run.workspaceId);
    if (!compiled.tasks.has(input.taskId)) throw notFound(`Task ${input.taskId}`);
    const ids = withDownstream(compiled, [input.taskId]);
    const { targets, released } = await reset(sql, run, compiled, ids);
    const target = targets.find((t) => t.taskId === input.taskId)!;
    await sql.query(
      `UPDATE "TaskInstance" SET state = $2::"TaskState", "endedAt" = now(), error = $3
       WHERE id = $1 AND "workspaceId" = $4`,
      [
        target.id,
        input.state,
        input.state === "failed" ? `Marked failed by ${scope.actor.label}` : null,
        run.workspaceId,
      ],
    );
    await advance(sql, run, compiled, [
      { id: target.id, taskId: input.taskId, mapIndex: -1, state: input.state },
    ]);
    await dispatch(sql, run.workspaceId, released);
  });
  await scope.audit("run.mark", input.runId, { task: input.taskId, state: input.state });
}

/** Clears every failed (or upstream-failed) task of the run, keeping what succeeded. */
export async function retryFailed(scope: WorkspaceScope, runId: string) {
  const run = await scope.db.dagRun.findUnique({ where: { id: runId }, select: { id: true } });
  if (!run) throw notFound("Run");
  const failed = await scope.db.taskInstance.findMany({
    where: { runId, mapIndex: -1, state: { in: ["failed", "upstream_failed"] } },
    select: { taskId: true },
  });
  if (failed.length === 0) throw new AppError("CONFLICT", "The run has no failed tasks to retry");
  return clearTasks(scope, { runId, taskIds: failed.map((t) => t.taskId), downstream: false });
}
