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
 * The month's use of the monthly quotas as admission sees it: what the meter flushed (UsageDay),
 * and the task runs reserved by the workspace's running runs (each reserves one per task of its
 * DAG version when it starts, and holds it until that task finishes). Reserving at the start is
 * what keeps concurrent starts from overshooting: the usage of a run that just started is counted
 * before the next start looks. Counts a process has not flushed yet (a second or so, after a task
 * finished) are the only ones not seen.
 */
export interface MonthlyUse {
  taskRuns: number;
  taskSeconds: number;
  /** Task runs reserved by running runs and not yet done. */
  reservedTaskRuns: number;
}

/**
 * Reads the month's use (the database function baton_monthly_use, which the trigger's own start
 * shares). Call it under the run-gate lock (lockRunGate), so no start races it.
 */
export async function monthlyUse(sql: Sql, workspaceId: string, now = new Date()): Promise<MonthlyUse> {
  const { rows } = await sql.query<MonthlyUse>("SELECT * FROM baton_monthly_use($1, $2::date)", [
    workspaceId,
    monthStart(now),
  ]);
  return rows[0] ?? { taskRuns: 0, taskSeconds: 0, reservedTaskRuns: 0 };
}

const raise = "a platform administrator can raise the quota or move the workspace to a larger plan";

/**
 * Whether the workspace used up a monthly quota (task runs used or reserved, task-seconds used),
 * with the reasons a refused or queued run shows.
 */
export function monthlyQuotaBlock(gate: RunGate, use: MonthlyUse, now = new Date()): QuotaBlock | null {
  const month = monthName(now);
  const taskRuns = use.taskRuns + use.reservedTaskRuns;
  let what: string | null = null;
  if (taskRuns >= gate.maxTaskRunsPerMonth) {
    const reserved =
      use.reservedTaskRuns > 0
        ? ` (${count(use.reservedTaskRuns)} of them reserved by runs in progress)`
        : "";
    what = `${count(taskRuns)} of its ${count(gate.maxTaskRunsPerMonth)} task runs for ${month}${reserved} (plan quota maxTaskRunsPerMonth)`;
  } else if (use.taskSeconds >= gate.maxTaskSecondsPerMonth) {
    what = `${count(use.taskSeconds)} of its ${count(gate.maxTaskSecondsPerMonth)} task-seconds for ${month} (plan quota maxTaskSecondsPerMonth)`;
  }
  if (!what) return null;
  return {
    refused: `Refused: this workspace used ${what}; ${raise}`,
    queued: `Queued: this workspace used ${what}; the run starts when the month turns or the quota is raised (${raise})`,
  };
}

export const waitingReasons = {
  suspended: (gate: RunGate) => suspendedWaitingReason(gate.suspendedReason),
  workspaceFull: (gate: RunGate) =>
    `Queued: this workspace already has ${runs(gate.maxConcurrentRuns)} running (plan quota maxConcurrentRuns)`,
  dagFull: (dagKey: string, maxActiveRuns: number) =>
    `Queued: DAG ${dagKey} already has ${runs(maxActiveRuns)} running (its maxActiveRuns)`,
};
