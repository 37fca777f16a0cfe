// Operator alerts: what the people running the installation should look at now, computed from
// live figures on every read (nothing to go stale): tenants at or near a quota (this month's task
// runs and task-seconds, DAGs, members; at the thresholds tenants are warned at, 80 % and 100 %),
// and tenants whose webhook endpoints keep refusing deliveries (wrong secret, bad payloads, rate
// limited), which usually means a broken integration the customer has not noticed.
// One grouped query per measure, whatever the number of workspaces.
import { db } from "@/server/db/client";
import type { QuotaKey } from "@/server/quotas/catalog";
import { startOfMonthUtc } from "./activity";

/** Share of a quota from which a tenant is "near" it, as tenants' own usage alerts say. */
export const NEAR_LIMIT = 0.8;
/** The window webhook failures are counted over. */
export const WEBHOOK_WINDOW_HOURS = 24;
/** A tenant is listed with at least this many failed deliveries in the window… */
export const WEBHOOK_MIN_FAILURES = 10;
/** …making at least this share of its deliveries. */
export const WEBHOOK_MIN_FAILURE_SHARE = 0.5;

/** Delivery results that mean the sender's request was refused or broke (not duplicates, not suspension). */
const FAILED_RESULTS = ["unauthorized", "invalid", "rate_limited", "too_large", "error"];

export interface QuotaAlert {
  workspaceId: string;
  slug: string;
  name: string;
  quota: QuotaKey;
  used: number;
  limit: number;
  /** reached: at or over the quota; near: at 80 % or more. */
  level: "reached" | "near";
}

export interface WebhookAlert {
  workspaceId: string;
  slug: string;
  name: string;
  failed: number;
  total: number;
  /** Failed deliveries by result, e.g. { unauthorized: 12 }. */
  results: Record<string, number>;
  lastFailureAt: Date;
}

export async function operatorAlerts(now = new Date()) {
  const since = new Date(now.getTime() - WEBHOOK_WINDOW_HOURS * 3_600_000);
  const [workspaces, usage, deliveries] = await Promise.all([
    db.workspace.findMany({
      // A deleted workspace is stopped and on its way out; nothing of it needs attention.
      where: { deletedAt: null },
      select: {
        id: true,
        slug: true,
        name: true,
        maxTaskRunsPerMonth: true,
        maxTaskSecondsPerMonth: true,
        maxDags: true,
        maxMembers: true,
        _count: { select: { memberships: true, dags: { where: { archivedAt: null } } } },
      },
    }),
    db.usageDay.groupBy({
      by: ["workspaceId"],
      where: { day: { gte: startOfMonthUtc(now) } },
      _sum: { taskRuns: true, taskSeconds: true },
    }),
    db.webhookDelivery.groupBy({
      by: ["workspaceId", "result"],
      where: { receivedAt: { gte: since } },
      _count: { _all: true },
      _max: { receivedAt: true },
    }),
  ]);
  const usageOf = new Map(usage.map((u) => [u.workspaceId, u._sum]));
  const quotas: QuotaAlert[] = [];
  for (const w of workspaces) {
    const month = usageOf.get(w.id);
    const figures: [QuotaKey, number, number][] = [
      ["maxTaskRunsPerMonth", month?.taskRuns ?? 0, w.maxTaskRunsPerMonth],
      ["maxTaskSecondsPerMonth", Math.round(month?.taskSeconds ?? 0), w.maxTaskSecondsPerMonth],
      ["maxDags", w._count.dags, w.maxDags],
      ["maxMembers", w._count.memberships, w.maxMembers],
    ];
    for (const [quota, used, limit] of figures) {
      const level = used >= limit ? "reached" : used >= limit * NEAR_LIMIT ? "near" : null;
      // A quota of 0 with nothing used is a plan that offers none, not a tenant at its limit.
      if (!level || (limit === 0 && used === 0)) continue;
      quotas.push({ workspaceId: w.id, slug: w.slug, name: w.name, quota, used, limit, level });
    }
  }
  // Reached first, then by how far over.
  quotas.sort(
    (a, b) =>
      (a.level === b.level ? 0 : a.level === "reached" ? -1 : 1) ||
      b.used / Math.max(b.limit, 1) - a.used / Math.max(a.limit, 1) ||
      a.slug.localeCompare(b.slug),
  );

  const named = new Map(workspaces.map((w) => [w.id, w]));
  const byWorkspace = new Map<string, WebhookAlert>();
  for (const row of deliveries) {
    const workspace = named.get(row.workspaceId);
    if (!workspace) continue;
    const entry = byWorkspace.get(row.workspaceId) ?? {
      workspaceId: workspace.id,
      slug: workspace.slug,
      name: workspace.name,
      failed: 0,
      total: 0,
      results: {},
      lastFailureAt: new Date(0),
    };
    entry.total += row._count._all;
    if (FAILED_RESULTS.includes(row.result)) {
      entry.failed += row._count._all;
      entry.results[row.result] = row._count._all;
      if (row._max.receivedAt && row._max.receivedAt > entry.lastFailureAt)
        entry.lastFailureAt = row._max.receivedAt;
    }
    byWorkspace.set(row.workspaceId, entry);
  }
  const webhooks = [...byWorkspace.values()]
    .filter((w) => w.failed >= WEBHOOK_MIN_FAILURES && w.failed >= w.total * WEBHOOK_MIN_FAILURE_SHARE)
    .sort((a, b) => b.failed - a.failed || a.slug.localeCompare(b.slug));

  return { quotas, webhooks, webhookWindowHours: WEBHOOK_WINDOW_HOURS };
}
