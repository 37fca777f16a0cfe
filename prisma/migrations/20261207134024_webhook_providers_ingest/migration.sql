-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "WebhookAuthMode" ADD VALUE 'gitlab';
ALTER TYPE "WebhookAuthMode" ADD VALUE 'stripe';
ALTER TYPE "WebhookAuthMode" ADD VALUE 'slack';
ALTER TYPE "WebhookAuthMode" ADD VALUE 'standard';
ALTER TYPE "WebhookAuthMode" ADD VALUE 'shopify';
ALTER TYPE "WebhookAuthMode" ADD VALUE 'twilio';
ALTER TYPE "WebhookAuthMode" ADD VALUE 'generic_hmac';

-- AlterTable
ALTER TABLE "WebhookEndpoint" ADD COLUMN     "authOptions" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "WebhookDelivery" ADD COLUMN     "params" JSONB;


-- Pending deliveries (accepted, run not created yet), oldest first per workspace: what the engine
-- turns into runs (server/webhooks/ingest.ts). Partial, so it holds only the few in flight.
CREATE INDEX "WebhookDelivery_pending_idx" ON "WebhookDelivery" ("workspaceId", "receivedAt") WHERE result = 'pending';
