// How much of each quota a workspace uses now: the usage page, the REST API and the quota alerts
// read it here. Monthly use comes from UsageDay (what server/usage/meter.ts has flushed); what
// exists (DAGs, members, pools) and what runs now is counted from the rows themselves.
import { db } from "@/server/db/client";
import { crossTenantSql } from "@/server/db/cross-tenant";
import { slotHoldingStates } from "@/server/engine/states";
import { lostAfterSeconds } from "@/server/engine/worker-registry";
import {
  type QuotaKey,
  type QuotaKind,
  type QuotaUnit,
  quotaCatalog,
  quotaKeys,
} from "@/server/quotas/catalog";
import { usedOfBudget } from "@/server/quotas/rate-limits";
import type { WorkspaceScope } from "@/server/tenancy/door";

/** Days of daily history the usage page charts. */
export const HISTORY_DAYS = 30;
/** Fractions of a quota at which it is "near limit", and (1) "at limit". */
export const NEAR_LIMIT = 0.8;

export type UsageLevel = "ok" | "near" | "at";

export interface QuotaUse {
  key: QuotaKey;
  label: string;
  unit: QuotaUnit;
  kind: QuotaKind;
  limit: number;
  /** What happens at the limit (the catalogue's words). */
  bites: string;
  /** Current use, or null for a quota that caps one thing (an output, a retention) and has no use. */
  used: number | null;
  level: UsageLevel | null;
  /** What the number counts, when that is not obvious from the label. */
  note?: string;
}

export interface UsageSummary {
  plan: { key: string; name: string };
  /** First day (UTC) of the month the monthly quotas count. */
  monthStart: string;
  quotas: QuotaUse[];
  /** Bytes of logs and outputs kept, as the retention job last measured (null: never measured). */
  storage: { bytes: number; measuredOn: string } | null;
}

export interface UsageHistoryDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  taskRuns: number;
  taskSeconds: number;
  runs: number;
  webhookDeliveries: number;
}

/** Use of the quotas that alert (monthly budgets and totals), per workspace. */
export interface AlertableUsage {
  workspaceId: string;
  used: Record<AlertableQuota, number>;
  limits: Record<AlertableQuota, number>;
}

/**
 * The catalogue's monthly and total quotas: what they count builds up, so reaching 80% of one is
 * news. (Concurrency comes and goes by the second; the other limits cap one thing at a time.)
 */
export const alertableQuotas = [
  "maxTaskRunsPerMonth",
  "maxTaskSecondsPerMonth",
  "maxDags",
  "maxMembers",
  "maxPools",
  "maxAlertRules",
  "maxGroups",
  "maxFolders",
] as const satisfies readonly QuotaKey[];
export type AlertableQuota = (typeof alertableQuotas)[number];

export function levelOf(used: number, limit: number): UsageLevel {
  if (used >= limit) return "at";
  return used >= limit * NEAR_LIMIT ? "near" : "ok";
}

/** "2026-11-01": the first day of `at`'s month, UTC. */
export function monthStartOf(at: Date = new Date()): string {
  return `${at.toISOString().slice(0, 7)}-01`;
}

/**
 * Monthly task runs and task-seconds, non-archived DAGs, members (pending invitations count, as
 * they do when inviting), pools, alert rules, groups and folders of each workspace, with its limits: one statement for any
 * number of workspaces, because the alert check runs after every usage flush.
 */
export async function alertableUsage(
  workspaceIds: string[],
  at: Date = new Date(),
): Promise<AlertableUsage[]> {
  if (workspaceIds.length === 0) return [];
  // Any number of workspaces at once (the alert check after a flush): across tenants.
  const { rows } = await crossTenantSql.query<Record<string, string | number>>(
    `SELECT w.id,
            w."maxTaskRunsPerMonth", w."maxTaskSecondsPerMonth", w."maxDags", w."maxMembers", w."maxPools", w."maxAlertRules", w."maxGroups", w."maxFolders",
            COALESCE(u."taskRuns", 0)::float8 AS "taskRuns",
            COALESCE(u."taskSeconds", 0)::float8 AS "taskSeconds",
            (SELECT count(*) FROM "Dag" d WHERE d."workspaceId" = w.id AND d."archivedAt" IS NULL)::int AS dags,
            ((SELECT count(*) FROM "Membership" m WHERE m."workspaceId" = w.id)
             + (SELECT count(*) FROM "Invitation" i
                 WHERE i."workspaceId" = w.id AND i."acceptedAt" IS NULL AND i."revokedAt" IS NULL
                   AND i."expiresAt" > now()))::int AS members,
            (SELECT count(*) FROM "Pool" p WHERE p."workspaceId" = w.id)::int AS pools,
            (SELECT count(*) FROM "AlertRule" a WHERE a."workspaceId" = w.id)::int AS "alertRules",
            (SELECT count(*) FROM "Group" g WHERE g."workspaceId" = w.id)::int AS groups,
            (SELECT count(*) FROM "Folder" f WHERE f."workspaceId" = w.id)::int AS folders
       FROM "Workspace" w
       LEFT JOIN LATERAL (
         SELECT sum("taskRuns") AS "taskRuns", sum("taskSeconds") AS "taskSeconds"
           FROM "UsageDay" WHERE "workspaceId" = w.id AND day >= $2::date
       ) u ON true
      WHERE w.id = ANY($1::uuid[])`,
    [workspaceIds, monthStartOf(at)],
  );
  return rows.map((row) => ({
    workspaceId: String(row.id),
    used: {
      maxTaskRunsPerMonth: Number(row.taskRuns),
      maxTaskSecondsPerMonth: Number(row.taskSeconds),
      maxDags: Number(row.dags),
      maxMembers: Number(row.members),
      maxPools: Number(row.pools),
      maxAlertRules: Number(row.alertRules),
      maxGroups: Number(row.groups),
      maxFolders: Number(row.folders),
    },
    limits: Object.fromEntries(alertableQuotas.map((key) => [key, Number(row[key])])) as Record<
      AlertableQuota,
      number
    >,
  }));
}

/**
 * Deliveries counted in the workspace's current webhook rate window. The counter is the one
 * server/webhooks/limits.ts keeps (rate-limiter-flexible's row "webhook:<workspaceId>"); it also
 * counts refused attempts, so it is capped at the limit: beyond it nothing more was delivered.
 */
const quotaSelect = Object.fromEntries(quotaKeys.map((key) => [key, true])) as Record<QuotaKey, true>;

export async function usageSummary(scope: WorkspaceScope): Promise<UsageSummary> {
  const workspaceId = scope.workspace.id;
  // The Workspace row is not a tenant model; it is read by the scope's own id.
  const workspace = await db.workspace.findUniqueOrThrow({
    where: { id: workspaceId },
    select: { ...quotaSelect, plan: { select: { key: true, name: true } } },
  });
  const [alertable, tasksNow, runsNow, pools, deliveries, apiRequests, storage, agentsOnline] =
    await Promise.all([
      alertableUsage([workspaceId]),
      scope.db.taskInstance.count({ where: { state: { in: [...slotHoldingStates] } } }),
      scope.db.dagRun.count({ where: { state: "running" } }),
      scope.db.pool.aggregate({ _max: { slots: true } }),
      usedOfBudget("webhook", workspaceId, workspace.webhookRateLimitPerMinute),
      usedOfBudget("api", workspaceId, workspace.apiRateLimitPerMinute),
      // A day's row exists from its first metered event, before the retention job measures storage
      // (0 until then): the last measurement is the latest non-zero one.
      scope.db.usageDay.findFirst({
        where: { storageBytes: { gt: 0 } },
        orderBy: { day: "desc" },
        select: { day: true, storageBytes: true },
      }),
      scope.db.agent.count({
        where: {
          revokedAt: null,
          stoppedAt: null,
          lastSeenAt: { gt: new Date(Date.now() - lostAfterSeconds() * 1000) },
        },
      }),
    ]);
  const used: Partial<Record<QuotaKey, number>> = {
    ...alertable[0]?.used,
    maxConcurrentTasks: tasksNow,
    maxConcurrentRuns: runsNow,
    maxPoolSlots: pools._max.slots ?? 0,
    webhookRateLimitPerMinute: deliveries,
    apiRateLimitPerMinute: apiRequests,
    maxAgents: agentsOnline,
  };
  const notes: Partial<Record<QuotaKey, string>> = {
    maxMembers: "members and pending invitations",
    maxDags: "not archived",
    maxPoolSlots: "the largest pool",
    webhookRateLimitPerMinute: "in the current minute",
    apiRateLimitPerMinute: "in the current minute",
    maxAgents: "online now",
  };
  return {
    plan: workspace.plan,
    monthStart: monthStartOf(),
    quotas: quotaKeys.map((key) => {
      const info = quotaCatalog[key];
      const value = used[key];
      const limit = workspace[key];
      return {
        key,
        label: info.label,
        unit: info.unit,
        kind: info.kind,
        limit,
        bites: info.bites,
        used: value ?? null,
        level: value === undefined ? null : levelOf(value, limit),
        ...(notes[key] ? { note: notes[key] } : {}),
      };
    }),
    storage: storage
      ? { bytes: Number(storage.storageBytes), measuredOn: storage.day.toISOString().slice(0, 10) }
      : null,
  };
}

/** Daily use over the last HISTORY_DAYS days (today included, UTC), days without use as zeros. */
export async function usageHistory(
  scope: WorkspaceScope,
  now: Date = new Date(),
): Promise<UsageHistoryDay[]> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const days = Array.from({ length: HISTORY_DAYS }, (_, i) =>
    new Date(today - (HISTORY_DAYS - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
  const rows = await scope.db.usageDay.findMany({
    where: { day: { gte: new Date(`${days[0]}T00:00:00Z`), lte: new Date(`${days.at(-1)}T00:00:00Z`) } },
    select: { day: true, taskRuns: true, taskSeconds: true, runs: true, webhookDeliveries: true },
  });
  const byDay = new Map(rows.map((row) => [row.day.toISOString().slice(0, 10), row]));
  return days.map((day) => {
    const row = byDay.get(day);
    return {
      day,
      taskRuns: row?.taskRuns ?? 0,
      taskSeconds: row?.taskSeconds ?? 0,
      runs: row?.runs ?? 0,
      webhookDeliveries: row?.webhookDeliveries ?? 0,
    };
  });
}
