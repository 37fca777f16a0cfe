// Quota alerts: when a workspace's use of a monthly or total quota reaches 80% or 100%, its Owners
// and Admins are told once per month and level: in the app, and by e-mail when SMTP is configured.
//
// "Once" holds across processes: the QuotaAlert row (workspace, quota, month, threshold) is
// inserted ON CONFLICT DO NOTHING, and only the checker whose insert went in notifies.

import { env } from "@/server/config";
import { crossTenantSql } from "@/server/db/cross-tenant";
import { mailEnabled, sendMail } from "@/server/mail/send";
import { log } from "@/server/observability/logger";
import { quotaCatalog } from "@/server/quotas/catalog";
import { systemScope } from "@/server/tenancy/door";
import { formatQuantity } from "@/server/usage/format";
import { type AlertableQuota, alertableQuotas, alertableUsage } from "@/server/usage/report";

/** Percentages of a quota that are announced. */
export const ALERT_THRESHOLDS = [80, 100] as const;

export const QUOTA_ALERT_KIND = "quota_alert";

/** A level of one quota that a workspace's use has reached. */
interface Reached {
  workspaceId: string;
  quota: AlertableQuota;
  threshold: number;
  used: number;
  limit: number;
}

/**
 * Checks the workspaces' monthly and total quotas and announces each threshold newly reached.
 * Called after usage is flushed, a DAG is pushed and a member joins; cheap when nothing is
 * reached (one query for all the workspaces). It never throws: the alert is a side effect of the
 * write that called it, and a failed check is made again by the next one.
 */
export async function checkQuotaAlerts(workspaceIds: string[], at: Date = new Date()): Promise<void> {
  await check(workspaceIds, at).catch((error: Error) => log.warn({ err: error }, "quota alerts failed"));
}

async function check(workspaceIds: string[], at: Date): Promise<void> {
  const reached: Reached[] = [];
  for (const { workspaceId, used, limits } of await alertableUsage(workspaceIds, at)) {
    for (const quota of alertableQuotas) {
      // Nothing used, nothing to warn about (a quota of 0 is a choice, not news).
      if (used[quota] === 0) continue;
      for (const threshold of ALERT_THRESHOLDS) {
        if (used[quota] * 100 >= limits[quota] * threshold) {
          reached.push({ workspaceId, quota, threshold, used: used[quota], limit: limits[quota] });
        }
      }
    }
  }
  if (reached.length === 0) return;
  const period = at.toISOString().slice(0, 7);
  // Levels announced earlier this month are skipped without a write (a workspace near a limit
  // would otherwise try once per flush).
  const { rows: known } = await crossTenantSql.query<{
    workspaceId: string;
    quota: string;
    threshold: number;
  }>(
    `SELECT "workspaceId", quota, threshold FROM "QuotaAlert" WHERE "workspaceId" = ANY($1::uuid[]) AND period = $2`,
    [[...new Set(reached.map((r) => r.workspaceId))], period],
  );
  const isKnown = new Set(known.map((k) => `${k.workspaceId} ${k.quota} ${k.threshold}`));
  const fresh = new Map<string, Reached[]>();
  for (const r of reached) {
    if (isKnown.has(`${r.workspaceId} ${r.quota} ${r.threshold}`)) continue;
    const key = `${r.workspaceId} ${r.quota}`;
    fresh.set(key, [...(fresh.get(key) ?? []), r]);
  }
  for (const levels of fresh.values()) await announce(levels, period);
}

/**
 * Records the levels reached of one quota and notifies the Owners and Admins, in one transaction:
 * of concurrent checkers, the one whose insert goes in writes the notifications; the others wait
 * for it on the unique key and insert nothing. E-mails go after the commit.
 */
async function announce(levels: Reached[], period: string): Promise<void> {
  const { workspaceId, quota } = levels[0]!;
  const scope = await systemScope(workspaceId);
  const info = quotaCatalog[quota];
  const message = await scope.db.$transaction(async (tx) => {
    const inserted = await tx.quotaAlert.createManyAndReturn({
      data: levels.map((r) => ({ workspaceId, quota, period, threshold: r.threshold })),
      skipDuplicates: true,
      select: { threshold: true },
    });
    if (inserted.length === 0) return null;
    // When 80% and 100% are reached at once, only the higher level is worth a message.
    const top = Math.max(...inserted.map((i) => i.threshold));
    const alert = levels.find((r) => r.threshold === top)!;
    const title = top >= 100 ? `${info.label}: limit reached` : `${info.label}: ${top}% of the quota used`;
    const amounts = `${formatQuantity(alert.used, info.unit)} of ${formatQuantity(alert.limit, info.unit)}`;
    const body = `${scope.workspace.name} has used ${amounts}${info.kind === "monthly" ? " this month" : ""}. At the limit: ${info.bites}`;
    const link = `/w/${scope.workspace.slug}/usage`;
    const managers = await tx.membership.findMany({
      where: { role: { in: ["OWNER", "ADMIN"] } },
      select: { userId: true, user: { select: { email: true } } },
    });
    await tx.notification.createMany({
      data: managers.map((m) => ({
        workspaceId,
        userId: m.userId,
        kind: QUOTA_ALERT_KIND,
        title,
        body,
        link,
      })),
    });
    return { title, body, link, emails: managers.map((m) => m.user.email) };
  });
  if (!message || !mailEnabled()) return;
  const base = env.NEXTAUTH_URL?.replace(/\/$/, "");
  for (const to of message.emails) {
    // A mail server that is down must not stop the other e-mails (the in-app notices are written).
    await sendMail({
      to,
      subject: `[Baton] ${scope.workspace.name}: ${message.title}`,
      text: `${message.body}\n\nSee the workspace's usage: ${base ? `${base}${message.link}` : message.link}`,
    }).catch((error: Error) => log.warn({ err: error, to }, "quota alert mail failed"));
  }
}
