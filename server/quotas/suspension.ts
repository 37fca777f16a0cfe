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
import { resumeBackfills } from "@/server/schedules/backfill";
import { type Actor, actorId } from "@/server/tenancy/door";
import { type Sql, workspaceSql } from "@/server/tenancy/workspace-sql";
import { suspendedWaitingReason } from "./errors";

export interface Suspension {
  suspendedAt: Date | null;
  suspendedReason: string | null;
}

async function audit(sql: Sql, workspaceId: string, actor: Actor, action: string, metadata: object) {
  await sql.query(
    `INSERT INTO "AuditEvent" ("workspaceId", actor, "actorLabel", action, target, metadata)
     SELECT id, $2, $3, $4, slug, $5::jsonb FROM "Workspace" WHERE id = $1`,
    [workspaceId, actorId(actor), actor.label, action, JSON.stringify(metadata)],
  );
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
  return workspaceSql(input.workspaceId).transaction(async (sql) => {
    const { rows } = await sql.query<Suspension>(
      `UPDATE "Workspace" SET "suspendedAt" = coalesce("suspendedAt", now()), "suspendedReason" = $2
       WHERE id = $1 RETURNING "suspendedAt", "suspendedReason"`,
      [input.workspaceId, reason],
    );
    if (!rows[0]) throw notFound("Workspace");
    // Runs already waiting say why they keep waiting (new ones are refused).
    await sql.query(`UPDATE "DagRun" SET "stateReason" = $2 WHERE "workspaceId" = $1 AND state = 'queued'`, [
      input.workspaceId,
      suspendedWaitingReason(reason),
    ]);
    await audit(sql, input.workspaceId, input.actor, "platform.workspace.suspend", { reason });
    return rows[0];
  });
}

/**
 * Resumes a suspended workspace: its queued runs and tasks start as its quotas allow, its
 * schedules create the ticks that came due meanwhile (all of them with catch-up, else the
 * latest; never a second run of a tick), its backfills go on. Throws NOT_FOUND for an unknown id, CONFLICT when the
 * workspace is not suspended.
 */
export async function resumeWorkspace(input: { workspaceId: string; actor: Actor }): Promise<Suspension> {
  const resumed = await workspaceSql(input.workspaceId).transaction(async (sql) => {
    const { rows } = await sql.query<{ suspendedAt: Date | null; suspendedReason: string | null }>(
      `SELECT "suspendedAt", "suspendedReason" FROM "Workspace" WHERE id = $1 FOR NO KEY UPDATE`,
      [input.workspaceId],
    );
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
    await audit(sql, input.workspaceId, input.actor, "platform.workspace.resume", {
      suspendedAt: before.suspendedAt.toISOString(),
      reason: before.suspendedReason,
    });
    return { suspendedAt: null, suspendedReason: null };
  });
  await kickWorkspace(input.workspaceId);
  return resumed;
}
