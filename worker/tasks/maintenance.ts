// Housekeeping that keeps security tables small: expired sign-in counters and dead invitations.
import { db } from "@/server/db/client";
import type { JobHandler } from "@/server/jobs/catalog";

export const purgeExpired: JobHandler<"maintenance:purge-expired"> = async (_payload, helpers) => {
  const now = new Date();
  const counters = await db.rateLimit.deleteMany({ where: { expire: { lt: BigInt(now.getTime()) } } });
  // Unused invitations are kept 30 days past expiry so the members page can explain a dead link.
  const invitations = await db.invitation.deleteMany({
    where: { acceptedAt: null, expiresAt: { lt: new Date(now.getTime() - 30 * 86_400_000) } },
  });
  helpers.logger.info(`purged ${counters.count} sign-in counters and ${invitations.count} invitations`);
};
