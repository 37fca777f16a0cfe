// Platform administrators: the installation's operators, who see and steer every workspace in
// the platform console. The role is a flag on User, unrelated to workspace roles, and is granted
// only from the command line (`baton admin grant`), so no web request can make an administrator.
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";

/** Read on every platform request (not cached in the session), so a revocation bites at once. */
export async function isPlatformAdmin(userId: string): Promise<boolean> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { platformAdmin: true } });
  return user?.platformAdmin === true;
}

/** Who ran a `baton admin` command: the name given with `--as`, else the server's login name. */
export function cliActor(name: string) {
  return { actor: `cli:${name}`, label: `${name} (command line)` };
}

/**
 * Grants or revokes the role; recorded as an installation-wide audit event (no workspace) under
 * `by`, so the installation's audit page says who did it (the CLI names its operator).
 */
export async function setPlatformAdmin(options: {
  email: string;
  platformAdmin: boolean;
  by: { actor: string; label: string };
}) {
  const { email, platformAdmin, by } = options;
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { email }, select: { id: true, platformAdmin: true } });
    if (!user) {
      throw new AppError(
        "NOT_FOUND",
        `No user with the e-mail ${email}; create one with \`baton user create\``,
      );
    }
    const changed = user.platformAdmin !== platformAdmin;
    if (changed) {
      await tx.user.update({ where: { id: user.id }, data: { platformAdmin } });
      await tx.auditEvent.create({
        data: {
          workspaceId: null,
          actor: by.actor,
          actorLabel: by.label,
          action: platformAdmin ? "platform.admin.grant" : "platform.admin.revoke",
          target: email,
          metadata: { userId: user.id },
        },
      });
    }
    return { id: user.id, email, platformAdmin, changed };
  });
}

export function listPlatformAdmins() {
  return db.user.findMany({
    where: { platformAdmin: true },
    select: { id: true, email: true, name: true, createdAt: true },
    orderBy: { email: "asc" },
  });
}
