// Creating runs. A run pins the DAG's current version and its validated params, gets one task
// instance per task, and starts at once unless something holds it back (its DAG's maxActiveRuns,
// the workspace's maxConcurrentRuns or monthly quotas: advance.ts startQueuedRuns). A suspended
// workspace gets no new run at all, whatever its source.
//
// triggerRun creates one run in one database call (baton_trigger_run): the run, its instances and
// its audit event, and its start with its first tasks admitted when nothing but the counts decides
// it; two round trips in all with the DAG's lookup, where a transaction of statements cost about
// twenty. Runs whose creation arms deadlines (SLAs) or records a trace span take a transaction.
// insertRuns creates many in the caller's transaction (webhook deliveries,
// server/engine/webhook-runs.ts), under one hold of the run gate: a burst of runs pays for the
// gate, the admission and the commit once, not once per run.
import { randomBytes, randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { paramsValidator } from "@/server/dags/definition";
import { AppError, notFound } from "@/server/errors";
import { tracingEnabled } from "@/server/observability/tracing";
import { WorkspaceSuspendedError } from "@/server/quotas/errors";
import { type DataInterval, manualDataInterval } from "@/server/schedules/timetable";
import {
  armSlaChecks,
  checksAtCreation,
  checksAtRunStart,
  checksWhenReady,
  type SlaCheck,
} from "@/server/slas/arm";
import { actorId, type WorkspaceScope } from "@/server/tenancy/door";
import { meter } from "@/server/usage/meter";
import { endRunIfDone, type RunRow, rootsOf, startQueuedRuns } from "./advance";
import { admissionSettings, dispatch } from "./dispatch";
import { wakeWaiting } from "./fair-share";
import { type CompiledDag, compiledVersion } from "./graph";
import { kickWorkspace } from "./operations";
import { lockRunGate, monthStart, type RunGate } from "./run-gate";
import type { RunTrigger } from "./run-triggers";
import { sql as pooled, type Sql, transaction } from "./sql";
import { traceNewRuns } from "./traces";

export interface TriggerRunInput {
  dagKey: string;
  params?: Record<string, unknown>;
  /** Defaults to now. */
  logicalDate?: Date;
  dataIntervalStart?: Date;
  dataIntervalEnd?: Date;
  note?: string;
  triggeredBy?: RunTrigger;
  /** Unique per DAG; scheduled runs pass one derived from the logical date so a tick runs once. */
  runKey?: string;
  /**
   * A client's key for this trigger (the REST API's Idempotency-Key): a repeat answers the run the
   * first one made, for as long as that run is kept; a repeat with other params is a conflict.
   */
  idempotencyKey?: string;
}

export async function triggerRun(scope: WorkspaceScope, input: TriggerRunInput) {
  // Plain statements on the engine's connections, not the scoped Prisma client: a trigger is on the
  // hot path of bursts from thousands of workspaces, where each scoped query costs a transaction
  // of its own (four round trips) and Prisma's overhead. Each names the workspace.
  const { rows: dags } = await pooled.query<{
    id: string;
    key: string;
    currentVersionId: string | null;
    archivedAt: Date | null;
  }>(`SELECT id, key, "currentVersionId", "archivedAt" FROM "Dag" WHERE "workspaceId" = $1 AND key = $2`, [
    scope.workspace.id,
    input.dagKey,
  ]);
  const dag = dags[0];
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
    input.runKey ??
    (input.idempotencyKey !== undefined
      ? `idempotency__${input.idempotencyKey}`
      : `${triggeredBy}__${logicalDate.toISOString()}__${randomBytes(3).toString("hex")}`);
  const id = randomUUID();
  const run: NewRun = {
    id,
    dagId: dag.id,
    versionId,
    runKey,
    triggeredBy,
    label: scope.actor.label,
    note: input.note ?? "",
    params: parsed.data,
    logicalDate,
    dataIntervalStart: input.dataIntervalStart ?? null,
    dataIntervalEnd: input.dataIntervalEnd ?? null,
  };
  const created = inOneCall(compiled, run)
    ? await createInOneCall(scope, compiled, { ...run, id }, input.dagKey)
    : await createInTransaction(scope, run, input.dagKey);
  if (created) return { id, created: true };

  const existing = await scope.db.dagRun.findUnique({
    where: { dagId_runKey: { dagId: dag.id, runKey } },
    select: { id: true, params: true },
  });
  // Params as stored (JSON, keys in any order) against this request's.
  const sameParams = isDeepStrictEqual(existing!.params, JSON.parse(JSON.stringify(parsed.data)));
  if (input.idempotencyKey !== undefined && !sameParams) {
    throw new AppError("CONFLICT", "This Idempotency-Key was used for a run with other params", [
      {
        path: "idempotencyKey",
        message: `already used by run ${existing!.id}; use a new key for new params`,
      },
    ]);
  }
  return { id: existing!.id, created: false };
}

/**
 * Whether the run can be created by the one call (baton_trigger_run): everything it needs at
 * creation is rows. Deadlines armed at creation (SLA jobs) and a trace span take the transaction.
 */
function inOneCall(compiled: CompiledDag, run: NewRun): boolean {
  return !tracingEnabled() && checksAtCreation(compiled.dag, { ...run, id: run.id ?? "" }).length === 0;
}

/**
 * The roots the run queues if it starts within the one call, or null when its start needs more
 * (a run timeout's job, deadlines armed at the start, mapped roots to expand): startQueuedRuns.
 */
function rootsToQueue(compiled: CompiledDag, runId: string): string[] | null {
  const roots = rootsOf(compiled);
  const plain =
    !compiled.dag.runTimeoutSeconds &&
    checksAtRunStart(compiled.dag, runId).length === 0 &&
    checksWhenReady(compiled.dag, runId, roots).length === 0 &&
    roots.every((id) => !compiled.tasks.get(id)?.def.map);
  return plain ? roots : null;
}

/**
 * One round trip (migration 20261207203000_trigger_run_function): the run, its instances and its
 * audit event in one statement's transaction, and its start with its roots admitted when nothing
 * else decides it; otherwise the run waits queued and kickWorkspace starts it the general way.
 * Answers whether it created the run (false: its run key was used already).
 */
async function createInOneCall(
  scope: WorkspaceScope,
  compiled: CompiledDag,
  run: NewRun & { id: string },
  dagKey: string,
): Promise<boolean> {
  const workspaceId = scope.workspace.id;
  const interval = await dataIntervalOf(pooled, workspaceId, run);
  const tasks = [...compiled.tasks.values()];
  const { rows } = await pooled.query<{
    outcome: string;
    suspendedReason: string | null;
    wake: string | null;
  }>(
    `SELECT * FROM baton_trigger_run($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14, $15, $16, $17,
       $18, $19, $20::date, $21, $22, $23, $24, $25, $26, $27)`,
    [
      workspaceId,
      run.id,
      run.dagId,
      run.versionId,
      run.runKey,
      run.triggeredBy,
      run.label,
      run.note,
      JSON.stringify(run.params),
      run.logicalDate,
      interval.start,
      interval.end,
      tasks.map((t) => t.def.id),
      tasks.map((t) => t.settings.retries + 1),
      tasks.map((t) => t.priority),
      tasks.map((t) => t.settings.pool),
      tasks.map((t) => t.upstream.length),
      rootsToQueue(compiled, run.id),
      compiled.dag.maxActiveRuns ?? null,
      monthStart(new Date()),
      actorId(scope.actor),
      dagKey,
      scope.ip ?? null,
      ...admissionSettings([]),
    ],
  );
  const outcome = rows[0]?.outcome;
  if (outcome === "missing") throw notFound("Workspace");
  if (outcome === "suspended") throw new WorkspaceSuspendedError(rows[0]!.suspendedReason);
  if (outcome === "exists") return false;
  if (outcome === "started") {
    meter(workspaceId, { runs: 1 });
    const wake = rows.flatMap((r) => (r.wake ? [r.wake] : []));
    if (wake.length > 0) wakeWaiting(wake);
  } else {
    await kickWorkspace(workspaceId, [run.id]);
  }
  return true;
}

/** The general way: insertRuns in a transaction, with the audit event. */
async function createInTransaction(scope: WorkspaceScope, run: NewRun, dagKey: string): Promise<boolean> {
  const result = await transaction(async (sql) => {
    // The workspace's run-gate lock first (run-gate.ts): it serialises the workspace's run starts,
    // and it sees a suspension committed by now.
    const gate = await lockRunGate(sql, scope.workspace.id);
    if (!gate) throw notFound("Workspace");
    if (gate.suspended) throw new WorkspaceSuspendedError(gate.suspendedReason);
    const { created, started } = await insertRuns(sql, scope.workspace.id, gate, [run]);
    if (created.size === 0) return null;
    // The audit event commits with the run it records.
    await sql.query(
      `INSERT INTO "AuditEvent" ("workspaceId", actor, "actorLabel", action, target, metadata, ip)
       VALUES ($1, $2, $3, 'run.trigger', $4, $5::jsonb, $6)`,
      [
        scope.workspace.id,
        actorId(scope.actor),
        scope.actor.label,
        dagKey,
        JSON.stringify({ runId: run.id, triggeredBy: run.triggeredBy }),
        scope.ip ?? null,
      ],
    );
    return { started };
  });
  if (!result) return false;
  if (result.started.length) meter(scope.workspace.id, { runs: result.started.length });
  for (const started of result.started) await endRunIfDone(started);
  return true;
}

/** A run's data interval: the one given (scheduled runs, backfills), else inferred from its logical date. */
async function dataIntervalOf(sql: Sql, workspaceId: string, run: NewRun): Promise<DataInterval> {
  if (run.dataIntervalStart && run.dataIntervalEnd)
    return { start: run.dataIntervalStart, end: run.dataIntervalEnd };
  const { dag } = await compiledVersion(sql, run.versionId, workspaceId);
  return manualDataInterval(dag, run.logicalDate);
}

/** A run to create, its params already validated against its version. */
export interface NewRun {
  /** The run's id when the caller chose it (a webhook delivery names its run in its answer). */
  id?: string;
  /** The Dag row's id. */
  dagId: string;
  versionId: string;
  /** Unique per DAG: a key already used creates nothing. */
  runKey: string;
  triggeredBy: NonNullable<TriggerRunInput["triggeredBy"]>;
  label: string;
  note: string;
  params: Record<string, unknown>;
  logicalDate: Date;
  /** Null: inferred from the logical date and the schedule (manualDataInterval). */
  dataIntervalStart: Date | null;
  dataIntervalEnd: Date | null;
}

/**
 * Inserts runs and their task instances in the caller's transaction, which holds the workspace's
 * run gate (`gate`, from lockRunGate: the lock order of run starts), then starts those that may
 * start and admits their first tasks. Two statements for all the runs, whatever their number.
 * Answers the runs created (run key → id; a key already used is left out) and the runs started.
 */
export async function insertRuns(
  sql: Sql,
  workspaceId: string,
  gate: RunGate,
  runs: NewRun[],
): Promise<{ created: Map<string, string>; started: RunRow[] }> {
  const created = new Map<string, string>();
  if (runs.length === 0) return { created, started: [] };
  const intervals = await Promise.all(runs.map((run) => dataIntervalOf(sql, workspaceId, run)));
  const { rows } = await sql.query<{ id: string; runKey: string; dagVersionId: string }>(
    `INSERT INTO "DagRun" (id, "workspaceId", "dagId", "dagVersionId", "runKey", state, "triggeredBy", "triggeredByLabel",
       note, params, "logicalDate", "dataIntervalStart", "dataIntervalEnd", "queuedAt")
     SELECT coalesce(x.id, gen_random_uuid()), $1, x.dag_id, x.version_id, x.run_key, 'queued', x.triggered_by, x.label,
            x.note, x.params::jsonb, x.logical_date, x.interval_start, x.interval_end, now()
     FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                 $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
       AS x(id, dag_id, version_id, run_key, triggered_by, label, note, params, logical_date, interval_start, interval_end)
     ON CONFLICT ("dagId", "runKey") DO NOTHING
     RETURNING id, "runKey", "dagVersionId"`,
    [
      workspaceId,
      runs.map((r) => r.id ?? null),
      runs.map((r) => r.dagId),
      runs.map((r) => r.versionId),
      runs.map((r) => r.runKey),
      runs.map((r) => r.triggeredBy),
      runs.map((r) => r.label),
      runs.map((r) => r.note),
      runs.map((r) => JSON.stringify(r.params)),
      runs.map((r) => r.logicalDate),
      intervals.map((i) => i.start),
      intervals.map((i) => i.end),
    ],
  );
  if (rows.length === 0) return { created, started: [] };
  const byKey = new Map(runs.map((r) => [r.runKey, r]));
  await traceNewRuns(
    sql,
    workspaceId,
    rows.map((row) => ({
      id: row.id,
      dagId: byKey.get(row.runKey)!.dagId,
      triggeredBy: byKey.get(row.runKey)!.triggeredBy,
    })),
  );
  const instances: {
    runId: string[];
    taskId: string[];
    maxTries: number[];
    priority: number[];
    pool: string[];
    upstream: number[];
  } = { runId: [], taskId: [], maxTries: [], priority: [], pool: [], upstream: [] };
  const slaChecks: SlaCheck[] = [];
  for (const row of rows) {
    created.set(row.runKey, row.id);
    const compiled = await compiledVersion(sql, row.dagVersionId, workspaceId);
    const run = byKey.get(row.runKey)!;
    slaChecks.push(...checksAtCreation(compiled.dag, { ...run, id: row.id }));
    for (const task of compiled.tasks.values()) {
      instances.runId.push(row.id);
      instances.taskId.push(task.def.id);
      instances.maxTries.push(task.settings.retries + 1);
      instances.priority.push(task.priority);
      instances.pool.push(task.settings.pool);
      instances.upstream.push(task.upstream.length);
    }
  }
  await sql.query(
    `INSERT INTO "TaskInstance" (id, "workspaceId", "runId", "taskId", "maxTries", priority, pool, "upstreamTotal")
     SELECT gen_random_uuid(), $1, x.run_id, x.task_id, x.max_tries, x.priority, x.pool, x.upstream
     FROM unnest($2::uuid[], $3::text[], $4::int[], $5::float8[], $6::text[], $7::int[])
       AS x(run_id, task_id, max_tries, priority, pool, upstream)`,
    [
      workspaceId,
      instances.runId,
      instances.taskId,
      instances.maxTries,
      instances.priority,
      instances.pool,
      instances.upstream,
    ],
  );
  // Deadlines known from the start (finishBy, the run's startWithin): checked by jobs at those times.
  await armSlaChecks(sql, workspaceId, slaChecks);
  const started = await startQueuedRuns(sql, workspaceId, { gate, newRunIds: [...created.values()] });
  await dispatch(sql, workspaceId);
  return { created, started };
}
