// A summary of each workspace's activity for the platform console's list: this month's metered
// task runs and task-seconds, and the runs running now. One grouped query each for any number of
// workspaces. (The usage page's full report, with history, is server/usage/report.ts.)
import { db } from "@/server/db/client";

export interface Activity {
  taskRuns: number;
  taskSeconds: number;
  runningRuns: number;
}

/** Midnight UTC on the first of `now`'s month: where monthly quotas start counting. */
export function startOfMonthUtc(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

export async function activityOf(workspaceIds: string[], now = new Date()): Promise<Map<string, Activity>> {
  const [usage, running] = await Promise.all([
    db.usageDay.groupBy({
      by: ["workspaceId"],
      where: { workspaceId: { in: workspaceIds }, day: { gte: startOfMonthUtc(now) } },
      _sum: { taskRuns: true, taskSeconds: true },
    }),
    db.dagRun.groupBy({
      by: ["workspaceId"],
      where: { workspaceId: { in: workspaceIds }, state: "running" },
      _count: { _all: true },
    }),
  ]);
  const activity = new Map<string, Activity>(
    workspaceIds.map((id) => [id, { taskRuns: 0, taskSeconds: 0, runningRuns: 0 }]),
  );
  for (const row of usage) {
    const entry = activity.get(row.workspaceId)!;
    entry.taskRuns = row._sum.taskRuns ?? 0;
    entry.taskSeconds = Math.round(row._sum.taskSeconds ?? 0);
  }
  for (const row of running) activity.get(row.workspaceId)!.runningRuns = row._count._all;
  return activity;
}
