// Usage for the platform console: one tenant's daily history (the figures its own usage page
// charts, plus storage over time) with live figures (work queued and running now), and every
// tenant's metered use of one month as a file for billing.
import { stringify } from "csv-stringify/sync";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { systemScope } from "@/server/tenancy/door";
import { usageHistory, usageSummary } from "@/server/usage/report";

async function workspaceIdOf(slug: string) {
  const workspace = await db.workspace.findUnique({ where: { slug }, select: { id: true } });
  if (!workspace) throw new AppError("NOT_FOUND", `Workspace "${slug}" not found`);
  return workspace.id;
}

/** One tenant's use: every quota now, 30 days of history with storage, and what waits or runs now. */
export async function workspaceUsage(input: { workspace: string }, now = new Date()) {
  // The console acts across tenants, but reads each through the same scoped accessor jobs use.
  const scope = await systemScope(await workspaceIdOf(input.workspace));
  const [summary, history, storage, queuedTasks, runningTasks, queuedRuns, runningRuns] = await Promise.all([
    usageSummary(scope),
    usageHistory(scope, now),
    scope.db.usageDay.findMany({
      where: { day: { gte: new Date(now.getTime() - 31 * 86_400_000) }, storageBytes: { gt: 0 } },
      select: { day: true, storageBytes: true },
    }),
    scope.db.taskInstance.count({ where: { state: "queued" } }),
    scope.db.taskInstance.count({ where: { state: { in: ["scheduled", "running"] } } }),
    scope.db.dagRun.count({ where: { state: "queued" } }),
    scope.db.dagRun.count({ where: { state: "running" } }),
  ]);
  const storageOn = new Map(storage.map((s) => [s.day.toISOString().slice(0, 10), Number(s.storageBytes)]));
  // A day the retention job did not measure carries the last measurement forward.
  let last = 0;
  const days = history.map((d) => {
    last = storageOn.get(d.day) ?? last;
    return { ...d, storageBytes: last };
  });
  return { summary, days, live: { queuedTasks, runningTasks, queuedRuns, runningRuns } };
}

/** `YYYY-MM` as the first instant of that UTC month and of the next. */
function monthRange(month: string) {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  const [year, index] = match ? [Number(match[1]), Number(match[2]) - 1] : [Number.NaN, Number.NaN];
  if (!match || index < 0 || index > 11) {
    throw new AppError("BAD_REQUEST", `month must be a month as YYYY-MM, e.g. 2026-12, not "${month}"`, [
      { path: "month", message: "A month as YYYY-MM, e.g. 2026-12" },
    ]);
  }
  return { from: new Date(Date.UTC(year, index, 1)), to: new Date(Date.UTC(year, index + 1, 1)) };
}

/**
 * Every workspace's metered use in one UTC month, for billing: task runs, task-seconds, runs and
 * webhook deliveries summed over its days, and the most storage measured on any of them. Each
 * workspace that exists is listed (zeros when it used nothing), with its plan, by slug.
 */
export async function monthlyUsage(month: string) {
  const { from, to } = monthRange(month);
  const [workspaces, sums] = await Promise.all([
    db.workspace.findMany({
      select: { id: true, slug: true, name: true, planKey: true, deletedAt: true },
      orderBy: { slug: "asc" },
    }),
    db.usageDay.groupBy({
      by: ["workspaceId"],
      where: { day: { gte: from, lt: to } },
      _sum: { taskRuns: true, taskSeconds: true, runs: true, webhookDeliveries: true },
      _max: { storageBytes: true },
    }),
  ]);
  const sumOf = new Map(sums.map((s) => [s.workspaceId, s]));
  return workspaces.map((w) => {
    const s = sumOf.get(w.id);
    return {
      month,
      workspaceId: w.id,
      slug: w.slug,
      name: w.name,
      plan: w.planKey,
      deleted: w.deletedAt !== null,
      taskRuns: s?._sum.taskRuns ?? 0,
      taskSeconds: Math.round((s?._sum.taskSeconds ?? 0) * 1000) / 1000,
      runs: s?._sum.runs ?? 0,
      webhookDeliveries: s?._sum.webhookDeliveries ?? 0,
      peakStorageBytes: Number(s?._max.storageBytes ?? 0),
    };
  });
}

export async function exportMonthlyUsage(month: string, format: "csv" | "json") {
  const rows = await monthlyUsage(month);
  const filename = `baton-usage-${month}.${format}`;
  if (format === "json")
    return { filename, contentType: "application/json", body: `${JSON.stringify(rows, null, 2)}\n` };
  const columns = [
    "month",
    "workspaceId",
    "slug",
    "name",
    "plan",
    "deleted",
    "taskRuns",
    "taskSeconds",
    "runs",
    "webhookDeliveries",
    "peakStorageBytes",
  ];
  return {
    filename,
    contentType: "text/csv; charset=utf-8",
    body: stringify(rows, { header: true, columns }),
  };
}
