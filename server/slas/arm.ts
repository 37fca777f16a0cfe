// Scheduling SLA checks: the engine calls these where a deadline becomes known (a run is created,
// a run starts, a task becomes ready, a task starts) and where a run ends, in its own transaction.
// Each SLA of each run gets one `sla:check` job at its deadline (job key `sla:<run>:<sla key>`);
// nothing polls. A run that ends successfully (or is cancelled) removes its pending checks; a run
// that fails keeps them, since a failed run has not succeeded by its deadline (unless it is
// cleared and succeeds in time).
//
// DAGs without SLAs cost a WeakMap lookup here (slaPlan is cached per version).
import type { DagDefinition } from "@/server/dags/definition";
import { dagTimeZone } from "@/server/dags/definition";
import { payloadSql } from "@/server/jobs/catalog";
import type { Sql } from "@/server/tenancy/workspace-sql";
import { dueAt, nextTimeOfDay, type SlaSpec, slaApplies, slaPlan } from "./plan";

export interface SlaCheck {
  runId: string;
  sla: string;
  at: Date;
}

/** The key of a run's check of one SLA: one pending job per run and SLA. */
export const slaJobKey = (runId: string, sla: string) => `sla:${runId}:${sla}`;

const checkPayload = payloadSql("sla:check", { runId: "x.run_id", workspaceId: "$1::text", sla: "x.sla" });

/**
 * Adds the checks, one statement for any number. `keepEarlier`: a check already pending for the
 * same SLA keeps its time (a task's retry starts it again, but its deadline runs from the first start).
 */
export async function armSlaChecks(
  sql: Sql,
  workspaceId: string,
  checks: SlaCheck[],
  { keepEarlier = false } = {},
): Promise<void> {
  if (checks.length === 0) return;
  await sql.query(
    `SELECT graphile_worker.add_jobs(ARRAY(
       SELECT ROW('sla:check', ${checkPayload}, NULL, x.at, 5, 'sla:' || x.run_id || ':' || x.sla, NULL, NULL)::graphile_worker.job_spec
       FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS x(run_id, sla, at)), $5::boolean)`,
    [workspaceId, checks.map((c) => c.runId), checks.map((c) => c.sla), checks.map((c) => c.at), keepEarlier],
  );
}

const checksOf = (runId: string, specs: SlaSpec[], at: (spec: SlaSpec) => Date) =>
  specs.map((spec) => ({ runId, sla: spec.key, at: at(spec) }));

/** Checks whose deadline is known when a run is created (its queuedAt is about `now`). */
export function checksAtCreation(
  dag: DagDefinition,
  run: { id: string; triggeredBy: string; dataIntervalEnd: Date | null },
  now: Date = new Date(),
): SlaCheck[] {
  const plan = slaPlan(dag);
  if (plan.atCreation.length === 0 || !slaApplies(run.triggeredBy)) return [];
  const due = dueAt({ ...run, queuedAt: now });
  const zone = dagTimeZone(dag);
  return checksOf(run.id, plan.atCreation, (spec) =>
    spec.kind === "finish_by"
      ? nextTimeOfDay(due, spec.time!, zone)
      : new Date(due.getTime() + spec.minutes! * 60_000),
  );
}

/** The DAG's max_duration check, when the run starts now. */
export function checksAtRunStart(dag: DagDefinition, runId: string, now: Date = new Date()): SlaCheck[] {
  return checksOf(runId, slaPlan(dag).atRunStart, (spec) => new Date(now.getTime() + spec.minutes! * 60_000));
}

/** Tasks' start_within checks, when they became ready now. */
export function checksWhenReady(
  dag: DagDefinition,
  runId: string,
  taskIds: readonly string[],
  now: Date = new Date(),
): SlaCheck[] {
  const { whenReady } = slaPlan(dag);
  if (whenReady.size === 0) return [];
  const specs = taskIds.flatMap((id) => whenReady.get(id) ?? []);
  return checksOf(runId, specs, (spec) => new Date(now.getTime() + spec.minutes! * 60_000));
}

/** A task's max_duration check, when it started now. */
export function checksWhenStarted(
  dag: DagDefinition,
  runId: string,
  taskId: string,
  now: Date = new Date(),
): SlaCheck[] {
  const spec = slaPlan(dag).whenStarted.get(taskId);
  return spec ? checksOf(runId, [spec], () => new Date(now.getTime() + spec.minutes! * 60_000)) : [];
}

/**
 * At a run's end, in the transaction that ends it: a run that succeeded met whatever SLA it had not
 * missed yet, and a cancelled one is nobody's deadline any more, so their pending checks go. A
 * failed run keeps them: at each deadline its check records the miss, unless the run was cleared
 * and succeeded by then.
 */
export async function settleSlaChecks(
  sql: Sql,
  run: { id: string },
  dag: DagDefinition,
  state: "success" | "failed" | "cancelled",
): Promise<void> {
  const { all } = slaPlan(dag);
  if (all.length === 0 || state === "failed") return;
  await sql.query(`SELECT graphile_worker.remove_job(k) FROM unnest($1::text[]) AS k`, [
    all.map((spec) => slaJobKey(run.id, spec.key)),
  ]);
}
