// Leaving: a user deletes their own account. Refused while they are the last owner of a workspace
// (the answer lists those workspaces: hand each over or delete it first). Deleting ends their
// sessions, memberships and the API tokens they made (all by foreign key), and their name in audit
// entries becomes "deleted user": who did what stays readable, whose it was does not.
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { verifyPassword } from "./password";

export const DELETED_USER = "deleted user";

/** The workspaces where the user is the only owner. */
export async function workspacesOnlyOwnedBy(userId: string) {
  const owned = await db.membership.findMany({
    where: { userId, role: "OWNER" },
    select: {
      workspace: {
        select: {
          id: true,
          slug: true,
          name: true,
          _count: { select: { memberships: { where: { role: "OWNER" } } } },
        },
      },
    },
  });
  return owned
    .filter((m) => m.workspace._count.memberships === 1)
    .map(({ workspace: { id, slug, name } }) => ({ id, slug, name }));
}

export async function deleteAccount(input: {
  userId: string;
  password?: string;
  confirm: string;
  ip?: string;
}) {
  const user = await db.user.findUniqueOrThrow({ where: { id: input.userId } });
  if (input.confirm.trim().toLowerCase() !== user.email) {
    throw new AppError("BAD_REQUEST", "Type your e-mail address to confirm", [
      { path: "confirm", message: `Type ${user.email} to confirm` },
    ]);
  }
  if (user.passwordHash && !(await verifyPassword(user.passwordHash, input.password ?? ""))) {
    throw new AppError("BAD_REQUEST", "The password is wrong", [
      { path: "password", message: "The password is wrong" },
    ]);
  }
  const sole = await workspacesOnlyOwnedBy(user.id);
  if (sole.length > 0) {
    throw new AppError(
      "CONFLICT",
      `You are the last owner of ${sole.map((w) => `${w.name} (${w.slug})`).join(", ")}: make someone else an owner there, or delete the workspace, before deleting your account`,
      sole.map((w) => ({ path: "workspaces", message: `${w.name} (${w.slug})` })),
    );
  }
  const memberships = await db.membership.findMany({
    where: { userId: user.id },
    select: { workspaceId: true },
  });
  await db.$transaction(async (tx) => {
    await tx.auditEvent.updateMany({ where: { actor: user.id }, data: { actorLabel: DELETED_USER } });
    await tx.auditEvent.updateMany({ where: { target: user.email }, data: { target: DELETED_USER } });
    // Sessions, memberships, tokens, passkeys, links and notifications go with the row.
    await tx.user.delete({ where: { id: user.id } });
    await tx.auditEvent.createMany({
      data: [
        {
          workspaceId: null,
          actor: user.id,
          actorLabel: DELETED_USER,
          action: "auth.account_deleted",
          ip: input.ip ?? null,
        },
        ...memberships.map((m) => ({
          workspaceId: m.workspaceId,
          actor: user.id,
          actorLabel: DELETED_USER,
          action: "member.account_deleted",
          target: DELETED_USER,
          ip: input.ip ?? null,
        })),
      ],
    });
  });
}
