// What decides whether a workspace's queued runs may start: its status (suspended), its concurrent
// runs (Workspace.maxConcurrentRuns, besides each DAG's maxActiveRuns) and its monthly quotas
// (maxTaskRunsPerMonth, maxTaskSecondsPerMonth, per calendar month in UTC, from UsageDay). The
// reasons written here are what DagRun.stateReason shows.
import { suspendedWaitingReason } from "@/server/quotas/errors";
import type { Sql } from "./sql";

export interface RunGate {
  suspended: boolean;
  suspendedReason: string | null;
  maxConcurrentRuns: number;
  maxTaskRunsPerMonth: number;
  maxTaskSecondsPerMonth: number;
  overQuotaPolicy: "refuse" | "queue";
  /** Runs of the workspace running now. */
  running: number;
}

/**
 * Locks the workspace's row for run starts and reads its gate. Every run start of the workspace
 * takes this lock, so their counts never race. FOR NO KEY UPDATE: it does not conflict with the
 * KEY SHARE locks that inserting any row referencing the workspace takes.
 *
 * Lock order: this row first (triggerRun, kickWorkspace), then run and task rows, then the
 * workspace's dispatch row (dispatch.ts). No DAG row is locked for a run start, and nothing that
 * holds run, task or dispatch rows waits for this one, so run starts never deadlock with
 * completions or cancels.
 */
export async function lockRunGate(sql: Sql, workspaceId: string): Promise<RunGate | null> {
  const { rows } = await sql.query<RunGate>(
    `SELECT w."suspendedAt" IS NOT NULL AS suspended, w."suspendedReason", w."maxConcurrentRuns",
            w."maxTaskRunsPerMonth", w."maxTaskSecondsPerMonth", w."overQuotaPolicy",
            -- Through the DAGs: the (dagId, state) index answers each.
            (SELECT count(*)::int FROM "Dag" d JOIN "DagRun" r ON r."dagId" = d.id AND r.state = 'running'
             WHERE d."workspaceId" = w.id) AS running
     FROM "Workspace" w WHERE w.id = $1 FOR NO KEY UPDATE OF w`,
    [workspaceId],
  );
  return rows[0] ?? null;
}

/** First day (UTC) of the month `at` falls in, as YYYY-MM-DD. */
export const monthStart = (at: Date) => `${at.toISOString().slice(0, 7)}-01`;

const monthName = (at: Date) =>
  new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" }).format(at);
const count = (n: number) => Math.floor(n).toLocaleString("en-US");
const runs = (n: number) => `${count(n)} ${n === 1 ? "run" : "runs"}`;

export interface QuotaBlock {
  /** The run's stateReason when the policy refuses it (it ends failed). */
  refused: string;
  /** Its stateReason when the policy queues it. */
  queued: string;
}

/**
 * Whether the workspace used up a monthly quota, from its flushed usage (UsageDay). Counts a
 * process has not flushed yet (a second or so) are not seen; the next run start sees them.
 */
export async function monthlyQuotaBlock(
  sql: Sql,
  workspaceId: string,
  gate: RunGate,
  now = new Date(),
): Promise<QuotaBlock | null> {
  const { rows } = await sql.query<{ taskRuns: number; taskSeconds: number }>(
    `SELECT coalesce(sum("taskRuns"), 0)::int AS "taskRuns", coalesce(sum("taskSeconds"), 0)::float8 AS "taskSeconds"
     FROM "UsageDay" WHERE "workspaceId" = $1 AND day >= $2::date`,
    [workspaceId, monthStart(now)],
  );
  const used = rows[0] ?? { taskRuns: 0, taskSeconds: 0 };
  const month = monthName(now);
  let what: string | null = null;
  if (used.taskRuns >= gate.maxTaskRunsPerMonth) {
    what = `${count(used.taskRuns)} of its ${count(gate.maxTaskRunsPerMonth)} task runs for ${month} (plan quota maxTaskRunsPerMonth)`;
  } else if (used.taskSeconds >= gate.maxTaskSecondsPerMonth) {
    what = `${count(used.taskSeconds)} of its ${count(gate.maxTaskSecondsPerMonth)} task-seconds for ${month} (plan quota maxTaskSecondsPerMonth)`;
  }
  if (!what) return null;
  return {
    refused: `Refused: this workspace used ${what}`,
    queued: `Queued: this workspace used ${what}; the run starts when the month turns or the quota is raised`,
  };
}

export const waitingReasons = {
  suspended: (gate: RunGate) => suspendedWaitingReason(gate.suspendedReason),
  workspaceFull: (gate: RunGate) =>
    `Queued: this workspace already has ${runs(gate.maxConcurrentRuns)} running (plan quota maxConcurrentRuns)`,
  dagFull: (dagKey: string, maxActiveRuns: number) =>
    `Queued: DAG ${dagKey} already has ${runs(maxActiveRuns)} running (its maxActiveRuns)`,
};
