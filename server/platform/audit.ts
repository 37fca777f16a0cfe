// Platform changes in the audit log, in the transaction that makes the change: once in the
// installation's log (no workspace) under the administrator's name and address, and once in each
// target workspace's log under "Platform administrator" (members see the role, not the person's
// e-mail or IP).
import type { Prisma } from "@/prisma/generated/client";
import { PLATFORM_ACTOR_LABEL } from "@/server/quotas/errors";

/** The administrator acting, as the platform router hands it over. */
export interface PlatformAdmin {
  userId: string;
  email: string;
  ip?: string;
  /** The platform token the administrator acts through (REST), named in the installation's log. */
  tokenName?: string;
}

/** How the installation's log names an administrator: their e-mail, and the token if one was used. */
export const adminLabel = (admin: PlatformAdmin) =>
  admin.tokenName ? `${admin.email} (platform token ${admin.tokenName})` : admin.email;

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
  const metadata = (event.metadata ?? {}) as Prisma.InputJsonObject;
  const workspaceIds = event.workspaceIds.filter((id): id is string => id !== null);
  await tx.auditEvent.createMany({
    data: [
      {
        workspaceId: null,
        actor: admin.userId,
        actorLabel: adminLabel(admin),
        action: event.action,
        target: event.target,
        metadata: workspaceIds.length === 1 ? { ...metadata, workspaceId: workspaceIds[0]! } : metadata,
        ip: admin.ip ?? null,
      },
      ...workspaceIds.map((workspaceId) => ({
        workspaceId,
        actor: "platform",
        actorLabel: PLATFORM_ACTOR_LABEL,
        action: event.action,
        target: event.target,
        metadata,
      })),
    ],
  });
}
