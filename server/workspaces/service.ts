// Workspaces: the tenants. Creation and listing act for a user; everything else goes through a
// scope opened by the door.
import { hasSecondFactor } from "@/server/auth/factors";
import { env } from "@/server/config";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { forgetWebhookEndpoints } from "@/server/webhooks/endpoint-cache";
import { slugify } from "./slug";

export async function createWorkspace(options: { userId: string; name: string; ip?: string }) {
  const { userId, name } = options;
  for (let attempt = 0; attempt < 5; attempt++) {
    const slug = slugify(name, attempt > 0);
    const taken = await db.workspace.findUnique({ where: { slug }, select: { id: true } });
    if (taken) continue;
    const user = await db.user.findUniqueOrThrow({ where: { id: userId }, select: { email: true } });
    return db.$transaction(async (tx) => {
      const workspace = await tx.workspace.create({
        data: { slug, name, memberships: { create: { userId, role: "OWNER" } } },
        select: { id: true, slug: true, name: true },
      });
      await tx.auditEvent.create({
        data: {
          workspaceId: workspace.id,
          actor: userId,
          actorLabel: user.email,
          action: "workspace.create",
          target: slug,
          ip: options.ip ?? null,
        },
      });
      return workspace;
    });
  }
  throw new AppError("CONFLICT", "Could not find a free URL for this workspace name; try another name");
}

export async function listWorkspacesForUser(userId: string) {
  const memberships = await db.membership.findMany({
    // A deleted workspace (in its grace period) is hidden from its members.
    where: { userId, workspace: { deletedAt: null } },
    select: { role: true, workspace: { select: { id: true, slug: true, name: true } } },
    orderBy: { createdAt: "asc" },
  });
  return memberships.map((m) => ({ ...m.workspace, role: m.role }));
}

export async function renameWorkspace(scope: WorkspaceScope, name: string) {
  const before = scope.workspace.name;
  // The workspace row itself is not a tenant model; the scope's id is the filter.
  const workspace = await db.workspace.update({
    where: { id: scope.workspace.id },
    data: { name },
    select: { id: true, slug: true, name: true },
  });
  await scope.audit("workspace.rename", workspace.slug, { from: before, to: name });
  return workspace;
}

/** The workspace's own settings (beyond its name), for its settings page. */
export async function workspaceSettings(scope: WorkspaceScope) {
  const { requireTwoFactor } = await db.workspace.findUniqueOrThrow({
    where: { id: scope.workspace.id },
    select: { requireTwoFactor: true },
  });
  return { requireTwoFactor };
}

/**
 * "Members must use two factors" (enforced by the workspace door). Whoever turns it on must have a
 * second factor themself (a token: its creator), or they would be shut out by their own change.
 */
export async function setTwoFactorRule(scope: WorkspaceScope, required: boolean) {
  const person =
    scope.actor.kind === "user"
      ? scope.actor.userId
      : scope.actor.kind === "token"
        ? scope.actor.creatorId
        : null;
  if (required && person && !(await hasSecondFactor(person))) {
    throw new AppError(
      "CONFLICT",
      "Set up a second factor on your account page first, or this would shut you out",
      [{ path: "required", message: "You have no second factor yet" }],
    );
  }
  await db.workspace.update({ where: { id: scope.workspace.id }, data: { requireTwoFactor: required } });
  await scope.audit("workspace.two_factor_rule", scope.workspace.slug, { required });
  return { requireTwoFactor: required };
}

/**
 * Deletes the workspace, softly: it disappears for its members at once and stops (no run starts,
 * no task is admitted, webhooks ask senders to retry later) but is kept for the grace period
 * (BATON_DELETE_GRACE_DAYS, 30 by default), during which a platform administrator can
 * restore it from the console; the retention job purges it afterwards (purgeDeletedWorkspaces).
 * Refused (CONFLICT) while the workspace is suspended: what an investigation needs must not go
 * with it.
 */
export async function deleteWorkspace(scope: WorkspaceScope, confirmSlug: string) {
  if (confirmSlug !== scope.workspace.slug) {
    throw new AppError("BAD_REQUEST", "Type the workspace's URL name to confirm deletion", [
      { path: "confirm", message: `Type "${scope.workspace.slug}" to confirm` },
    ]);
  }
  const now = new Date();
  const purgeAfter = new Date(now.getTime() + env.BATON_DELETE_GRACE_DAYS * 86_400_000);
  const day = purgeAfter.toISOString().slice(0, 10);
  await db.$transaction(async (tx) => {
    // Suspended at the same instant: the engine, the scheduler and the webhooks stop for it as
    // they do for any suspension, and restoring lifts exactly this one (suspendedAt = deletedAt).
    const { count } = await tx.workspace.updateMany({
      where: { id: scope.workspace.id, suspendedAt: null, deletedAt: null },
      data: {
        deletedAt: now,
        suspendedAt: now,
        suspendedReason: `Deleted by an Owner; purged on ${day} unless a platform administrator restores it`,
      },
    });
    if (count === 0) {
      const row = await tx.workspace.findUniqueOrThrow({
        where: { id: scope.workspace.id },
        select: { suspendedReason: true },
      });
      throw new AppError(
        "CONFLICT",
        `This workspace is suspended${row.suspendedReason ? ` (${row.suspendedReason})` : ""}: it cannot be deleted until a platform administrator resumes it`,
      );
    }
    const metadata = {
      workspaceId: scope.workspace.id,
      name: scope.workspace.name,
      purgeAfter: purgeAfter.toISOString(),
    };
    const actor = scope.actor.kind === "user" ? scope.actor.userId : scope.actor.label;
    await tx.auditEvent.createMany({
      data: [
        // In the workspace's own log (restored with it), and in the installation's.
        {
          workspaceId: scope.workspace.id,
          actor,
          actorLabel: scope.actor.label,
          action: "workspace.delete",
          target: scope.workspace.slug,
          metadata,
        },
        {
          workspaceId: null,
          actor,
          actorLabel: scope.actor.label,
          action: "workspace.delete",
          target: scope.workspace.slug,
          metadata,
        },
      ],
    });
  });
  forgetWebhookEndpoints(scope.workspace.id);
}

/**
 * Purges the workspaces deleted longer ago than the grace period, with everything in them (the
 * rows cascade); the installation's log keeps one `workspace.purge` event each. Run by the
 * retention job. Returns the slugs purged.
 */
export async function purgeDeletedWorkspaces(now = new Date()): Promise<string[]> {
  const before = new Date(now.getTime() - env.BATON_DELETE_GRACE_DAYS * 86_400_000);
  const due = await db.workspace.findMany({
    where: { deletedAt: { lt: before } },
    select: { id: true, slug: true, name: true, deletedAt: true },
  });
  const purged: string[] = [];
  for (const workspace of due) {
    await db.$transaction(async (tx) => {
      // Restored meanwhile: nothing to do.
      const { count } = await tx.workspace.deleteMany({
        where: { id: workspace.id, deletedAt: { lt: before } },
      });
      if (count === 0) return;
      await tx.auditEvent.create({
        data: {
          workspaceId: null,
          actor: "system",
          actorLabel: "system",
          action: "workspace.purge",
          target: workspace.slug,
          metadata: {
            workspaceId: workspace.id,
            name: workspace.name,
            deletedAt: workspace.deletedAt!.toISOString(),
          },
        },
      });
      purged.push(workspace.slug);
    });
  }
  return purged;
}
