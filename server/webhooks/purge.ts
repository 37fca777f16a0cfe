// `webhooks:purge` (hourly): idempotency keys older than 24 hours are freed in bulk (deliveries
// also free an expired key they collide with, so expiry is exact whatever this job's timing).
// Deleting old deliveries is retention's job (server/retention: each workspace's runRetentionDays).
// System housekeeping across workspaces, like the reaper.
import { crossTenantSql } from "@/server/db/cross-tenant";
import { IDEMPOTENCY_TTL_MS } from "./deliver";

export async function freeExpiredIdempotencyKeys(now = new Date()): Promise<number> {
  const expired = await crossTenantSql.query(
    `UPDATE "WebhookDelivery" SET "idempotencyKey" = NULL WHERE "idempotencyKey" IS NOT NULL AND "receivedAt" < $1`,
    [new Date(now.getTime() - IDEMPOTENCY_TTL_MS)],
  );
  return expired.rowCount ?? 0;
}
