// The scheduler: finds DAGs whose next run is due and creates one run per due tick.
//
// Exactly one run per tick, with any number of schedulers (every worker runs `schedule:tick`):
//
//  1. claim — one transaction locks due Dag rows with `FOR NO KEY UPDATE SKIP LOCKED` (two
//     schedulers never work on the same DAG at once; the NO KEY strength still lets runs of the DAG
//     be inserted meanwhile, their foreign key only takes KEY SHARE), computes the due data intervals, advances
//     `nextRunAt` / `lastScheduledEnd`, and enqueues a `schedule:create-runs` job holding those
//     ticks, all in the same commit: a tick is either still due or durably handed over, never lost;
//  2. create — the job creates each tick's run with run key `scheduled__<ISO logical date>`,
//     unique per DAG (`@@unique([dagId, runKey])`), so a retried or duplicated job, a backfill of the
//     same dates, or a push that moved `nextRunAt` back never makes a second run of a tick.
//
// Runs are not created inside the claim transaction: each run is a transaction of its own (it
// takes the workspace's run-gate lock, engine/run-gate.ts), and a claim holding its DAGs' rows
// for all of that would stall the other schedulers.
//
// The claim reads across workspaces (it is the system's job, like the reaper); every row it
// writes and every run it creates names its own workspace. It skips suspended workspaces' DAGs
// without moving their cursor, so resuming one creates the ticks that came due meanwhile (all of
// them with catch-up, else the latest), each once by its run key.
//
// A DAG whose next fire time cannot be computed stops being claimed (nextRunAt null) and says so:
// Dag.scheduleError, audited and notified (schedule-error.ts), never only a log line.

import { crossTenantSql, crossTenantTransaction } from "@/server/db/cross-tenant";
import { triggerRun } from "@/server/engine/runs";
import { AppError } from "@/server/errors";
import { enqueue } from "@/server/jobs/catalog";
import { log } from "@/server/observability/logger";
import { metrics } from "@/server/observability/metrics";
import { WorkspaceSuspendedError } from "@/server/quotas/errors";
import { systemScope, type WorkspaceScope } from "@/server/tenancy/door";
import { workspaceSql } from "@/server/tenancy/workspace-sql";
import { announceScheduleError, scheduleErrorMessage } from "./schedule-error";
import { type DataInterval, dueIntervals, type ScheduleSpec, schedulePlan } from "./timetable";

/** DAGs claimed per transaction. */
const CLAIM_BATCH = 50;
/** Ticks of one DAG handed over per claim; a longer catch-up continues in the next claim. */
const MAX_TICKS_PER_CLAIM = 100;

/** The run key of a scheduled (or backfilled) logical date: one run per tick and DAG. */
export const scheduledRunKey = (logicalDate: Date) => `scheduled__${logicalDate.toISOString()}`;

export interface ClaimedTicks {
  workspaceId: string;
  /** The Dag row id. */
  dagId: string;
  dagKey: string;
  /** [logical date, interval end] as ISO strings. */
  ticks: Array<[string, string]>;
}

interface DueRow extends ScheduleSpec {
  id: string;
  workspaceId: string;
  key: string;
  nextRunAt: Date;
  scheduleError: string | null;
}

/**
 * Claims the ticks due at `now` of up to `limit` DAGs and enqueues their creation (see above).
 * Returns what it claimed, for tests and for callers that create the runs at once.
 */
export async function claimDueTicks(options: { now?: Date; limit?: number } = {}): Promise<ClaimedTicks[]> {
  const now = options.now ?? new Date();
  // Across workspaces: the claim is the platform's own path (see the module comment).
  const stopped: Array<{ workspaceId: string; dagKey: string; message: string }> = [];
  const handedOver = await crossTenantTransaction(async (tx) => {
    stopped.length = 0; // a retried transaction starts over
    const { rows } = await tx.query<DueRow>(
      `SELECT d.id, d."workspaceId", d.key, d."nextRunAt", d."scheduleError",
              v.definition->'schedule' AS schedule, v.definition->>'startDate' AS "startDate",
              v.definition->>'endDate' AS "endDate", coalesce((v.definition->>'catchup')::boolean, false) AS catchup
       FROM "Dag" d JOIN "DagVersion" v ON v.id = d."currentVersionId"
       WHERE d."nextRunAt" <= $1 AND NOT d.paused AND d."archivedAt" IS NULL
         -- A suspended workspace's DAGs keep their cursor: resuming catches up from there.
         AND NOT EXISTS (SELECT 1 FROM "Workspace" w WHERE w.id = d."workspaceId" AND w."suspendedAt" IS NOT NULL)
       ORDER BY d."nextRunAt"
       LIMIT $2
       FOR NO KEY UPDATE OF d SKIP LOCKED`,
      [now, options.limit ?? CLAIM_BATCH],
    );
    const claimed: ClaimedTicks[] = [];
    for (const row of rows) {
      let intervals: DataInterval[] = [];
      let next: Date | null = null;
      let scheduleError: string | null = null;
      try {
        const plan = schedulePlan(row);
        if (plan)
          ({ intervals, nextRunAt: next } = dueIntervals(plan, row.nextRunAt, now, MAX_TICKS_PER_CLAIM));
      } catch (error) {
        // It stops being claimed (it would fail again), and says so rather than block the queue.
        scheduleError = scheduleErrorMessage((error as Error).message);
        if (scheduleError !== row.scheduleError) {
          stopped.push({ workspaceId: row.workspaceId, dagKey: row.key, message: scheduleError });
        }
      }
      const ticks = intervals.map((i): [string, string] => [i.start.toISOString(), i.end.toISOString()]);
      if (ticks.length > 0) {
        const claim = { workspaceId: row.workspaceId, dagId: row.id, dagKey: row.key, ticks };
        await enqueue(tx, "schedule:create-runs", { workspaceId: row.workspaceId, dagId: row.id, ticks });
        claimed.push(claim);
      }
      await tx.query(
        `UPDATE "Dag" SET "nextRunAt" = $3, "lastScheduledEnd" = coalesce($4, "lastScheduledEnd"), "scheduleError" = $5
         WHERE id = $1 AND "workspaceId" = $2`,
        [row.id, row.workspaceId, next, intervals.at(-1)?.end ?? null, scheduleError],
      );
    }
    return claimed;
  });
  for (const { workspaceId, dagKey, message } of stopped) {
    await announceScheduleError(workspaceId, dagKey, message).catch((error: Error) =>
      log.warn({ err: error, dagKey }, "scheduler: could not announce a schedule error"),
    );
  }
  return handedOver;
}

/** Claims until nothing is due (bounded), as one `schedule:tick` does. Returns the ticks claimed. */
export async function runScheduler(options: { now?: Date } = {}): Promise<number> {
  let ticks = 0;
  for (let round = 0; round < 20; round++) {
    const claimed = await claimDueTicks({ now: options.now });
    ticks += claimed.reduce((n, c) => n + c.ticks.length, 0);
    // A full batch, or a catch-up cut short, may leave more due.
    if (claimed.length < CLAIM_BATCH && claimed.every((c) => c.ticks.length < MAX_TICKS_PER_CLAIM)) break;
  }
  return ticks;
}

/** When the next tick should look again: the earliest nextRunAt, but within `maxWaitMs`. */
export async function nextTickAt(maxWaitMs: number, now = new Date()): Promise<Date> {
  const { rows } = await crossTenantSql.query<{ earliest: Date | null }>(
    `SELECT min("nextRunAt") AS earliest FROM "Dag" d WHERE NOT paused AND "archivedAt" IS NULL
       AND NOT EXISTS (SELECT 1 FROM "Workspace" w WHERE w.id = d."workspaceId" AND w."suspendedAt" IS NOT NULL)`,
  );
  const latest = now.getTime() + maxWaitMs;
  const earliest = rows[0]?.earliest?.getTime() ?? latest;
  return new Date(Math.max(now.getTime() + 250, Math.min(latest, earliest)));
}

export interface CreateRunsResult {
  created: number;
  existing: number;
  /** Ticks that could not get a run (DAG archived or gone, params the DAG requires). */
  skipped: Array<{ logicalDate: string; reason: string }>;
  /** Ticks left for later because the workspace is suspended (from the first one refused). */
  suspended: Array<[string, string]>;
}

/**
 * Creates the runs of ticks (idempotent: an existing run key answers the existing run). Used by
 * `schedule:create-runs` and by backfills.
 */
export async function createTickRuns(
  scope: WorkspaceScope,
  input: {
    dagKey: string;
    ticks: Array<[string, string]>;
    triggeredBy: "schedule" | "backfill";
    params?: Record<string, unknown>;
    note?: string;
  },
): Promise<CreateRunsResult> {
  const result: CreateRunsResult = { created: 0, existing: 0, skipped: [], suspended: [] };
  for (const [index, [start, end]] of input.ticks.entries()) {
    const logicalDate = new Date(start);
    try {
      const run = await triggerRun(scope, {
        dagKey: input.dagKey,
        logicalDate,
        dataIntervalStart: logicalDate,
        dataIntervalEnd: new Date(end),
        triggeredBy: input.triggeredBy,
        runKey: scheduledRunKey(logicalDate),
        ...(input.params ? { params: input.params } : {}),
        ...(input.note ? { note: input.note } : {}),
      });
      if (run.created) result.created++;
      else result.existing++;
      // A scheduled run is due when its data interval ends.
      if (run.created && input.triggeredBy === "schedule")
        metrics.schedulerLag.observe(Math.max(0, Date.now() - new Date(end).getTime()) / 1000);
    } catch (error) {
      // Suspended meanwhile: this tick and the next wait for the workspace to be resumed.
      if (error instanceof WorkspaceSuspendedError) {
        result.suspended = input.ticks.slice(index);
        break;
      }
      // Retrying cannot fix these; the others (database errors) fail the job, which retries.
      if (
        !(error instanceof AppError) ||
        !["CONFLICT", "NOT_FOUND", "UNPROCESSABLE_CONTENT"].includes(error.code)
      )
        throw error;
      const detail = error.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
      result.skipped.push({
        logicalDate: start,
        reason: detail ? `${error.message}: ${detail}` : error.message,
      });
    }
  }
  return result;
}

/** `schedule:create-runs`: the runs of claimed ticks, as the scheduler. */
export async function createScheduledRuns(input: {
  workspaceId: string;
  dagId: string;
  ticks: Array<[string, string]>;
}): Promise<CreateRunsResult> {
  const system = await systemScope(input.workspaceId).catch(() => null);
  const dag = await system?.db.dag.findFirst({ where: { id: input.dagId }, select: { key: true } });
  if (!system || !dag) {
    return {
      created: 0,
      existing: 0,
      skipped: input.ticks.map(([s]) => ({ logicalDate: s, reason: "gone" })),
      suspended: [],
    };
  }
  const scope: WorkspaceScope = { ...system, actor: { kind: "system", label: "scheduler" } };
  const result = await createTickRuns(scope, {
    dagKey: dag.key,
    ticks: input.ticks,
    triggeredBy: "schedule",
  });
  const [first] = result.suspended;
  if (first) {
    // Claimed before the suspension and refused after it: move the DAG's cursor back to the first
    // such tick, so that resuming creates it (or, without catch-up, the latest) like any missed one.
    await workspaceSql(system).query(
      `UPDATE "Dag" SET "nextRunAt" = LEAST("nextRunAt", $3), "lastScheduledEnd" = LEAST("lastScheduledEnd", $4)
       WHERE id = $1 AND "workspaceId" = $2 AND "nextRunAt" IS NOT NULL`,
      [input.dagId, input.workspaceId, new Date(first[1]), new Date(first[0])],
    );
  }
  if (result.skipped.length > 0) {
    await system.audit("schedule.skip", dag.key, {
      ticks: result.skipped.length,
      first: result.skipped[0],
    });
  }
  return result;
}
