// Workspaces: the tenants. Creation and listing act for a user; everything else goes through a
// scope opened by the door.
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
