-- CreateEnum
CREATE TYPE "WebhookAuthMode" AS ENUM ('token', 'hmac', 'github');

-- CreateEnum
CREATE TYPE "WebhookMode" AS ENUM ('async', 'sync');

-- CreateEnum
CREATE TYPE "BackfillState" AS ENUM ('running', 'done', 'cancelled');

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "webhookRateLimitPerMinute" INTEGER NOT NULL DEFAULT 600;

-- AlterTable
ALTER TABLE "Dag" ADD COLUMN     "lastScheduledEnd" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "WebhookEndpoint" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "dagId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "authMode" "WebhookAuthMode" NOT NULL DEFAULT 'hmac',
    "secretCiphertext" TEXT NOT NULL,
    "previousSecretCiphertext" TEXT,
    "previousSecretExpiresAt" TIMESTAMP(3),
    "idempotencyField" TEXT,
    "paramMapping" JSONB NOT NULL DEFAULT '{}',
    "mode" "WebhookMode" NOT NULL DEFAULT 'async',
    "waitSeconds" INTEGER NOT NULL DEFAULT 10,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookEndpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "endpointId" UUID NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "body" TEXT NOT NULL DEFAULT '',
    "bodyBytes" INTEGER NOT NULL DEFAULT 0,
    "bodyTruncated" BOOLEAN NOT NULL DEFAULT false,
    "statusCode" INTEGER NOT NULL,
    "result" TEXT NOT NULL,
    "message" TEXT NOT NULL DEFAULT '',
    "runId" UUID,
    "idempotencyKey" TEXT,
    "replayOf" UUID,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Backfill" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "dagId" UUID NOT NULL,
    "from" TIMESTAMP(3) NOT NULL,
    "to" TIMESTAMP(3) NOT NULL,
    "state" "BackfillState" NOT NULL DEFAULT 'running',
    "total" INTEGER NOT NULL,
    "created" INTEGER NOT NULL DEFAULT 0,
    "existing" INTEGER NOT NULL DEFAULT 0,
    "cursor" TIMESTAMP(3),
    "params" JSONB NOT NULL DEFAULT '{}',
    "note" TEXT NOT NULL DEFAULT '',
    "createdByLabel" TEXT NOT NULL DEFAULT '',
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "Backfill_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DagTrigger" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "dagId" UUID NOT NULL,
    "upstreamDagId" UUID NOT NULL,
    "on" TEXT[],
    "paramMapping" JSONB NOT NULL DEFAULT '{}',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "lastFiredAt" TIMESTAMP(3),
    "lastRunId" UUID,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DagTrigger_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WebhookEndpoint_workspaceId_idx" ON "WebhookEndpoint"("workspaceId");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookEndpoint_dagId_name_key" ON "WebhookEndpoint"("dagId", "name");

-- CreateIndex
CREATE INDEX "WebhookDelivery_endpointId_receivedAt_idx" ON "WebhookDelivery"("endpointId", "receivedAt" DESC);

-- CreateIndex
CREATE INDEX "WebhookDelivery_workspaceId_receivedAt_idx" ON "WebhookDelivery"("workspaceId", "receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookDelivery_endpointId_idempotencyKey_key" ON "WebhookDelivery"("endpointId", "idempotencyKey");

-- CreateIndex
CREATE INDEX "Backfill_workspaceId_createdAt_idx" ON "Backfill"("workspaceId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Backfill_dagId_idx" ON "Backfill"("dagId");

-- CreateIndex
CREATE INDEX "DagTrigger_upstreamDagId_idx" ON "DagTrigger"("upstreamDagId");

-- CreateIndex
CREATE INDEX "DagTrigger_workspaceId_idx" ON "DagTrigger"("workspaceId");

-- CreateIndex
CREATE UNIQUE INDEX "DagTrigger_dagId_upstreamDagId_key" ON "DagTrigger"("dagId", "upstreamDagId");

-- AddForeignKey
ALTER TABLE "WebhookEndpoint" ADD CONSTRAINT "WebhookEndpoint_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookEndpoint" ADD CONSTRAINT "WebhookEndpoint_dagId_fkey" FOREIGN KEY ("dagId") REFERENCES "Dag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_endpointId_fkey" FOREIGN KEY ("endpointId") REFERENCES "WebhookEndpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Backfill" ADD CONSTRAINT "Backfill_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Backfill" ADD CONSTRAINT "Backfill_dagId_fkey" FOREIGN KEY ("dagId") REFERENCES "Dag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DagTrigger" ADD CONSTRAINT "DagTrigger_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DagTrigger" ADD CONSTRAINT "DagTrigger_dagId_fkey" FOREIGN KEY ("dagId") REFERENCES "Dag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DagTrigger" ADD CONSTRAINT "DagTrigger_upstreamDagId_fkey" FOREIGN KEY ("upstreamDagId") REFERENCES "Dag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

