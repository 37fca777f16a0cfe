// Metering: usage is counted in memory and added to UsageDay in one statement per flush, so the
// hot paths (a task finishing, a webhook delivery) never write a usage row themselves. A flush
// runs about a second after the first count it holds, and on a worker's graceful stop; a process
// that dies loses at most that second of counts.

import { env } from "@/server/config";
import { crossTenantSql } from "@/server/db/cross-tenant";
import { checkQuotaAlerts } from "@/server/notifications/quota-alerts";

export interface UsageCounts {
  taskRuns: number;
  taskSeconds: number;
  runs: number;
  webhookDeliveries: number;
}

const FLUSH_AFTER_MS = env.BATON_USAGE_FLUSH_MS;

/** Counts not yet written, by workspace and UTC day ("<workspaceId> <YYYY-MM-DD>"). */
let pending = new Map<string, UsageCounts>();
let timer: NodeJS.Timeout | undefined;
let flushing: Promise<void> = Promise.resolve();

/** Adds to a workspace's usage of the day `at` falls on (UTC). */
export function meter(workspaceId: string, counts: Partial<UsageCounts>, at: Date = new Date()): void {
  const key = `${workspaceId} ${at.toISOString().slice(0, 10)}`;
  const total = pending.get(key) ?? { taskRuns: 0, taskSeconds: 0, runs: 0, webhookDeliveries: 0 };
  total.taskRuns += counts.taskRuns ?? 0;
  total.taskSeconds += counts.taskSeconds ?? 0;
  total.runs += counts.runs ?? 0;
  total.webhookDeliveries += counts.webhookDeliveries ?? 0;
  pending.set(key, total);
  timer ??= setTimeout(() => void flushUsage().catch(() => {}), FLUSH_AFTER_MS).unref();
}

/** Writes every pending count now, then checks quota alerts (tests call it to read usage right away). */
export function flushUsage(): Promise<void> {
  flushing = flushing.catch(() => {}).then(writePending);
  return flushing;
}

async function writePending(): Promise<void> {
  clearTimeout(timer);
  timer = undefined;
  if (pending.size === 0) return;
  const batch = pending;
  pending = new Map();
  const rows = [...batch].map(([key, counts]) => ({ key: key.split(" ") as [string, string], counts }));
  try {
    await crossTenantSql.query(
      `INSERT INTO "UsageDay" ("workspaceId", day, "taskRuns", "taskSeconds", runs, "webhookDeliveries")
       SELECT x.* FROM unnest($1::uuid[], $2::date[], $3::int[], $4::float8[], $5::int[], $6::int[])
              AS x(w, day, "taskRuns", "taskSeconds", runs, "webhookDeliveries")
       -- counts of a workspace deleted meanwhile are dropped
       JOIN "Workspace" ON "Workspace".id = x.w
       ON CONFLICT ("workspaceId", day) DO UPDATE SET
         "taskRuns" = "UsageDay"."taskRuns" + excluded."taskRuns",
         "taskSeconds" = "UsageDay"."taskSeconds" + excluded."taskSeconds",
         runs = "UsageDay".runs + excluded.runs,
         "webhookDeliveries" = "UsageDay"."webhookDeliveries" + excluded."webhookDeliveries"`,
      [
        rows.map((r) => r.key[0]),
        rows.map((r) => r.key[1]),
        rows.map((r) => r.counts.taskRuns),
        rows.map((r) => r.counts.taskSeconds),
        rows.map((r) => r.counts.runs),
        rows.map((r) => r.counts.webhookDeliveries),
      ],
    );
  } catch (error) {
    // Kept for the next flush (the database may be restarting).
    for (const [key, counts] of batch) {
      const total = pending.get(key);
      pending.set(key, total ? addCounts(total, counts) : counts);
    }
    timer ??= setTimeout(() => void flushUsage().catch(() => {}), FLUSH_AFTER_MS * 5).unref();
    throw error;
  }
  // Monthly usage grows here, so this is where it reaches 80% and 100% of its quotas.
  await checkQuotaAlerts([...new Set(rows.map((r) => r.key[0]))]);
}

function addCounts(a: UsageCounts, b: UsageCounts): UsageCounts {
  return {
    taskRuns: a.taskRuns + b.taskRuns,
    taskSeconds: a.taskSeconds + b.taskSeconds,
    runs: a.runs + b.runs,
    webhookDeliveries: a.webhookDeliveries + b.webhookDeliveries,
  };
}
