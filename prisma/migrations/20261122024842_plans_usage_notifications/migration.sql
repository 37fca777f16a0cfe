-- CreateEnum
CREATE TYPE "OverQuotaPolicy" AS ENUM ('refuse', 'queue');

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "platformAdmin" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "logRetentionDays" INTEGER NOT NULL DEFAULT 30,
ADD COLUMN     "maxConcurrentRuns" INTEGER NOT NULL DEFAULT 16,
ADD COLUMN     "maxDags" INTEGER NOT NULL DEFAULT 100,
ADD COLUMN     "maxMembers" INTEGER NOT NULL DEFAULT 10,
ADD COLUMN     "maxPoolSlots" INTEGER NOT NULL DEFAULT 64,
ADD COLUMN     "maxPools" INTEGER NOT NULL DEFAULT 10,
ADD COLUMN     "maxTaskRunsPerMonth" INTEGER NOT NULL DEFAULT 100000,
ADD COLUMN     "maxTaskSecondsPerMonth" INTEGER NOT NULL DEFAULT 360000,
ADD COLUMN     "overQuotaPolicy" "OverQuotaPolicy" NOT NULL DEFAULT 'refuse',
ADD COLUMN     "planKey" TEXT NOT NULL DEFAULT 'free',
ADD COLUMN     "quotaOverrides" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "runRetentionDays" INTEGER NOT NULL DEFAULT 90,
ADD COLUMN     "suspendedAt" TIMESTAMP(3),
ADD COLUMN     "suspendedReason" TEXT;

-- AlterTable
ALTER TABLE "DagRun" ADD COLUMN     "logsPurgedAt" TIMESTAMP(3),
ADD COLUMN     "stateReason" TEXT;

-- CreateTable
CREATE TABLE "Plan" (
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "maxConcurrentTasks" INTEGER NOT NULL,
    "maxConcurrentRuns" INTEGER NOT NULL,
    "maxTaskRunsPerMonth" INTEGER NOT NULL,
    "maxTaskSecondsPerMonth" INTEGER NOT NULL,
    "maxDags" INTEGER NOT NULL,
    "maxOutputBytes" INTEGER NOT NULL,
    "maxLogBytesPerAttempt" INTEGER NOT NULL,
    "logRetentionDays" INTEGER NOT NULL,
    "runRetentionDays" INTEGER NOT NULL,
    "webhookRateLimitPerMinute" INTEGER NOT NULL,
    "maxMembers" INTEGER NOT NULL,
    "maxPools" INTEGER NOT NULL,
    "maxPoolSlots" INTEGER NOT NULL,
    "overQuotaPolicy" "OverQuotaPolicy" NOT NULL DEFAULT 'refuse',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Plan_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "UsageDay" (
    "workspaceId" UUID NOT NULL,
    "day" DATE NOT NULL,
    "taskRuns" INTEGER NOT NULL DEFAULT 0,
    "taskSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "runs" INTEGER NOT NULL DEFAULT 0,
    "webhookDeliveries" INTEGER NOT NULL DEFAULT 0,
    "storageBytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "UsageDay_pkey" PRIMARY KEY ("workspaceId","day")
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL DEFAULT '',
    "link" TEXT,
    "readAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "QuotaAlert" (
    "workspaceId" UUID NOT NULL,
    "quota" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "threshold" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "QuotaAlert_pkey" PRIMARY KEY ("workspaceId","quota","period","threshold")
);

-- CreateIndex
CREATE INDEX "Notification_userId_workspaceId_createdAt_idx" ON "Notification"("userId", "workspaceId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "DagRun_workspaceId_endedAt_idx" ON "DagRun"("workspaceId", "endedAt");

-- The default plan every workspace starts on (its values match Workspace's column defaults).
INSERT INTO "Plan" ("key", "name", "description", "maxConcurrentTasks", "maxConcurrentRuns",
  "maxTaskRunsPerMonth", "maxTaskSecondsPerMonth", "maxDags", "maxOutputBytes", "maxLogBytesPerAttempt",
  "logRetentionDays", "runRetentionDays", "webhookRateLimitPerMinute", "maxMembers", "maxPools",
  "maxPoolSlots", "overQuotaPolicy", "updatedAt")
VALUES ('free', 'Free', 'The default plan.', 16, 16, 100000, 360000, 100, 1048576, 5242880, 30, 90, 600,
  10, 10, 64, 'refuse', CURRENT_TIMESTAMP);

-- AddForeignKey
ALTER TABLE "Workspace" ADD CONSTRAINT "Workspace_planKey_fkey" FOREIGN KEY ("planKey") REFERENCES "Plan"("key") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UsageDay" ADD CONSTRAINT "UsageDay_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QuotaAlert" ADD CONSTRAINT "QuotaAlert_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

