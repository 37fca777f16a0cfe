// Platform changes in the audit log: written under the administrator's name, in the target
// workspace's log (or with no workspace for installation-wide changes such as a new plan), in the
// transaction that makes the change.
import type { Prisma } from "@/prisma/generated/client";

/** The administrator acting, as the platform router hands it over. */
export interface PlatformAdmin {
  userId: string;
  email: string;
  ip?: string;
}

type Tx = Prisma.TransactionClient;

export async function recordPlatformEvent(
  tx: Tx,
  admin: PlatformAdmin,
  event: {
    workspaceIds: (string | null)[];
    action: string;
    target: string;
    metadata?: Record<string, unknown>;
  },
) {
  await tx.auditEvent.createMany({
    data: event.workspaceIds.map((workspaceId) => ({
      workspaceId,
      actor: admin.userId,
      actorLabel: admin.email,
      action: event.action,
      target: event.target,
      metadata: (event.metadata ?? {}) as Prisma.InputJsonObject,
      ip: admin.ip ?? null,
    })),
  });
}
