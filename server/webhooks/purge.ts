// `webhooks:purge` (hourly): the delivery log keeps BATON_WEBHOOK_DELIVERY_RETENTION_DAYS (30) days,
// and idempotency keys older than 24 hours are freed in bulk (deliveries also free an expired key
// they collide with, so expiry is exact whatever this job's timing). System housekeeping across
// workspaces, like the reaper.
import { sql } from "@/server/engine/sql";
import { IDEMPOTENCY_TTL_MS } from "./deliver";

export async function purgeDeliveries(now = new Date()): Promise<{ deleted: number; expiredKeys: number }> {
  const days = Number(process.env.BATON_WEBHOOK_DELIVERY_RETENTION_DAYS ?? 30);
  const deleted = await sql.query(`DELETE FROM "WebhookDelivery" WHERE "receivedAt" < $1`, [
    new Date(now.getTime() - days * 86_400_000),
  ]);
  const expired = await sql.query(
    `UPDATE "WebhookDelivery" SET "idempotencyKey" = NULL WHERE "idempotencyKey" IS NOT NULL AND "receivedAt" < $1`,
    [new Date(now.getTime() - IDEMPOTENCY_TTL_MS)],
  );
  return { deleted: deleted.rowCount ?? 0, expiredKeys: expired.rowCount ?? 0 };
}
