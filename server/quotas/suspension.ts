// Suspending and resuming a workspace, by a platform administrator. A suspended workspace starts
// no new run from any source (triggerRun refuses with WorkspaceSuspendedError), its schedules are
// not claimed (their cursor stays put, so resuming catches up per the DAG's catch-up setting),
// its webhooks answer 403, its backfills pause, and the dispatcher admits none of its queued
// tasks; tasks already admitted or running finish. Resuming lets all of that through again.
//
// The Workspace row and the audit event change in one transaction inside the workspace (row-level
// security holds it to that workspace); the audit event goes to the workspace's own log under the
// administrator's name, so its members see who did it and why.
import { kickWorkspace } from "@/server/engine/operations";
import { AppError, notFound } from "@/server/errors";
import { mailEnabled, sendMail } from "@/server/mail/send";
import { log } from "@/server/observability/logger";
import { resumeBackfills } from "@/server/schedules/backfill";
import type { Actor } from "@/server/tenancy/door";
import { type Sql, workspaceSql } from "@/server/tenancy/workspace-sql";
import { forgetWebhookEndpoints } from "@/server/webhooks/endpoint-cache";
import { PLATFORM_ACTOR_LABEL, suspendedWaitingReason } from "./errors";

export interface Suspension {
  suspendedAt: Date | null;
  suspendedReason: string | null;
}

/**
 * The event in the workspace's own log names "Platform administrator": members see the role, not
 * an operator's e-mail or address. The installation's log (server/platform/audit.ts) keeps who.
 */
async function audit(sql: Sql, workspaceId: string, action: string, metadata: object) {
  await sql.query(
    `INSERT INTO "AuditEvent" ("workspaceId", actor, "actorLabel", action, target, metadata)
     SELECT id, 'platform', $2, $3, slug, $4::jsonb FROM "Workspace" WHERE id = $1`,
    [workspaceId, PLATFORM_ACTOR_LABEL, action, JSON.stringify(metadata)],
  );
}

/**
 * Tells the workspace's Owners, in the app (and by e-mail when SMTP is configured, after the
 * commit), that it was suspended or resumed and what that means for them.
 */
async function notifyOwners(sql: Sql, workspaceId: string, title: string, body: string): Promise<string[]> {
  const { rows } = await sql.query<{ email: string }>(
    `WITH owners AS (
       SELECT m."userId", u.email FROM "Membership" m JOIN "User" u ON u.id = m."userId"
       WHERE m."workspaceId" = $1 AND m.role = 'OWNER'),
     sent AS (
       INSERT INTO "Notification" (id, "workspaceId", "userId", kind, title, body, link)
       SELECT gen_random_uuid(), $1, o."userId", 'workspace_suspension', $2, $3, '/w/' || w.slug
       FROM owners o CROSS JOIN "Workspace" w WHERE w.id = $1)
     SELECT email FROM owners`,
    [workspaceId, title, body],
  );
  return rows.map((r) => r.email);
}

async function mailOwners(emails: string[], title: string, body: string) {
  if (!mailEnabled()) return;
  for (const to of emails) {
    // A mail server that is down must not undo the suspension (the in-app notices are written).
    await sendMail({ to, subject: `[Baton] ${title}`, text: body }).catch((error: Error) =>
      log.warn({ err: error, to }, "suspension mail failed"),
    );
  }
}

/**
 * Suspends the workspace, saying why (`reason`, shown to its members and on its queued runs).
 * Suspending a suspended workspace again only replaces the reason. `actor`: the platform
 * administrator, `{ kind: "user", userId, label: email }`. Throws NOT_FOUND for an unknown id and
 * UNPROCESSABLE_CONTENT for an empty reason.
 */
export async function suspendWorkspace(input: {
  workspaceId: string;
  reason: string;
  actor: Actor;
}): Promise<Suspension> {
  const reason = input.reason.trim();
  if (!reason) {
    throw new AppError("UNPROCESSABLE_CONTENT", "Say why the workspace is suspended", [
      { path: "reason", message: "must not be empty" },
    ]);
  }
  const done = await workspaceSql(input.workspaceId).transaction(async (sql) => {
    const { rows } = await sql.query<Suspension & { name: string }>(
      `UPDATE "Workspace" SET "suspendedAt" = coalesce("suspendedAt", now()), "suspendedReason" = $2
       WHERE id = $1 RETURNING "suspendedAt", "suspendedReason", name`,
      [input.workspaceId, reason],
    );
    if (!rows[0]) throw notFound("Workspace");
    // Runs already waiting say why they keep waiting (new ones are refused).
    await sql.query(`UPDATE "DagRun" SET "stateReason" = $2 WHERE "workspaceId" = $1 AND state = 'queued'`, [
      input.workspaceId,
      suspendedWaitingReason(reason),
    ]);
    await audit(sql, input.workspaceId, "platform.workspace.suspend", { reason });
    const { name, ...suspension } = rows[0];
    const title = `${name} is suspended`;
    const body = `A platform administrator suspended ${name}: ${reason.replace(/[.!]+$/, "")}. No new runs start, schedules wait, webhook senders are asked to retry later and API tokens can only read until it is resumed; tasks already running finish.`;
    const emails = await notifyOwners(sql, input.workspaceId, title, body);
    return { suspension, title, body, emails };
  });
  // This process's webhook route answers 503 from its next delivery (others within a second).
  forgetWebhookEndpoints(input.workspaceId);
  await mailOwners(done.emails, done.title, done.body);
  return done.suspension;
}

/**
 * Resumes a suspended workspace: its queued runs and tasks start as its quotas allow, its
 * schedules create the ticks that came due meanwhile (all of them with catch-up, else the
 * latest; never a second run of a tick), its backfills go on. Throws NOT_FOUND for an unknown id, CONFLICT when the
 * workspace is not suspended.
 */
export async function resumeWorkspace(input: { workspaceId: string; actor: Actor }): Promise<Suspension> {
  const resumed = await workspaceSql(input.workspaceId).transaction(async (sql) => {
    const { rows } = await sql.query<{
      suspendedAt: Date | null;
      suspendedReason: string | null;
      name: string;
    }>(`SELECT "suspendedAt", "suspendedReason", name FROM "Workspace" WHERE id = $1 FOR NO KEY UPDATE`, [
      input.workspaceId,
    ]);
    const before = rows[0];
    if (!before) throw notFound("Workspace");
    if (!before.suspendedAt) throw new AppError("CONFLICT", "The workspace is not suspended");
    await sql.query(`UPDATE "Workspace" SET "suspendedAt" = NULL, "suspendedReason" = NULL WHERE id = $1`, [
      input.workspaceId,
    ]);
    // The suspension's reasons go; the kick below writes the reasons that still hold.
    await sql.query(
      `UPDATE "DagRun" SET "stateReason" = NULL WHERE "workspaceId" = $1 AND state = 'queued'`,
      [input.workspaceId],
    );
    await resumeBackfills(sql, input.workspaceId);
    await audit(sql, input.workspaceId, "platform.workspace.resume", {
      suspendedAt: before.suspendedAt.toISOString(),
      reason: before.suspendedReason,
    });
    const title = `${before.name} is resumed`;
    const body = `A platform administrator resumed ${before.name}: runs, schedules, webhooks and API tokens work again.`;
    const emails = await notifyOwners(sql, input.workspaceId, title, body);
    return { title, body, emails };
  });
  forgetWebhookEndpoints(input.workspaceId);
  await kickWorkspace(input.workspaceId);
  await mailOwners(resumed.emails, resumed.title, resumed.body);
  return { suspendedAt: null, suspendedReason: null };
}
