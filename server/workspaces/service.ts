// Workspaces: the tenants. Creation and listing act for a user; everything else goes through a
// scope opened by the door.
import { hasSecondFactor } from "@/server/auth/factors";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import type { WorkspaceScope } from "@/server/tenancy/door";
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
    where: { userId },
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

export async function deleteWorkspace(scope: WorkspaceScope, confirmSlug: string) {
  if (confirmSlug !== scope.workspace.slug) {
    throw new AppError("BAD_REQUEST", "Type the workspace's URL name to confirm deletion", [
      { path: "confirm", message: `Type "${scope.workspace.slug}" to confirm` },
    ]);
  }
  await db.$transaction([
    db.workspace.delete({ where: { id: scope.workspace.id } }),
    // Kept outside the workspace (whose events cascade away) so the deletion stays on record.
    db.auditEvent.create({
      data: {
        workspaceId: null,
        actor: scope.actor.kind === "user" ? scope.actor.userId : scope.actor.label,
        actorLabel: scope.actor.label,
        action: "workspace.delete",
        target: scope.workspace.slug,
        metadata: { workspaceId: scope.workspace.id, name: scope.workspace.name },
      },
    }),
  ]);
}
