-- CreateEnum
CREATE TYPE "ConnectionType" AS ENUM ('postgres', 'http', 'smtp', 'slack');

-- CreateEnum
CREATE TYPE "RunState" AS ENUM ('queued', 'running', 'success', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "TaskState" AS ENUM ('none', 'queued', 'scheduled', 'running', 'deferred', 'up_for_retry', 'success', 'failed', 'skipped', 'upstream_failed', 'cancelled');

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "maxConcurrentTasks" INTEGER NOT NULL DEFAULT 16,
ADD COLUMN     "maxLogBytesPerAttempt" INTEGER NOT NULL DEFAULT 5242880,
ADD COLUMN     "maxOutputBytes" INTEGER NOT NULL DEFAULT 1048576;

-- CreateTable
CREATE TABLE "Dag" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "title" TEXT,
    "description" TEXT,
    "tags" TEXT[],
    "owner" TEXT,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "archivedAt" TIMESTAMP(3),
    "currentVersionId" UUID,
    "schedule" JSONB,
    "nextRunAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Dag_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DagVersion" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "dagId" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "definition" JSONB NOT NULL,
    "hash" TEXT NOT NULL,
    "message" TEXT NOT NULL DEFAULT '',
    "authorId" TEXT,
    "authorLabel" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DagVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Variable" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Variable_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Secret" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Secret_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Connection" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "type" "ConnectionType" NOT NULL,
    "config" JSONB NOT NULL,
    "secretCiphertext" TEXT,
    "description" TEXT NOT NULL DEFAULT '',
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Connection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DagRun" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "dagId" UUID NOT NULL,
    "dagVersionId" UUID NOT NULL,
    "runKey" TEXT NOT NULL,
    "state" "RunState" NOT NULL DEFAULT 'queued',
    "triggeredBy" TEXT NOT NULL,
    "triggeredByLabel" TEXT NOT NULL DEFAULT '',
    "note" TEXT NOT NULL DEFAULT '',
    "params" JSONB NOT NULL DEFAULT '{}',
    "logicalDate" TIMESTAMP(3) NOT NULL,
    "dataIntervalStart" TIMESTAMP(3),
    "dataIntervalEnd" TIMESTAMP(3),
    "tasksPending" INTEGER NOT NULL DEFAULT 0,
    "queuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "timeoutAt" TIMESTAMP(3),

    CONSTRAINT "DagRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskInstance" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "taskId" TEXT NOT NULL,
    "mapIndex" INTEGER NOT NULL DEFAULT -1,
    "mapCount" INTEGER,
    "state" "TaskState" NOT NULL DEFAULT 'none',
    "tryNumber" INTEGER NOT NULL DEFAULT 0,
    "maxTries" INTEGER NOT NULL DEFAULT 1,
    "priority" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "pool" TEXT NOT NULL DEFAULT 'default',
    "upstreamTotal" INTEGER NOT NULL DEFAULT 0,
    "upstreamDone" INTEGER NOT NULL DEFAULT 0,
    "upstreamSuccess" INTEGER NOT NULL DEFAULT 0,
    "upstreamFailed" INTEGER NOT NULL DEFAULT 0,
    "upstreamSkipped" INTEGER NOT NULL DEFAULT 0,
    "childrenDone" INTEGER NOT NULL DEFAULT 0,
    "childrenFailed" INTEGER NOT NULL DEFAULT 0,
    "mapItem" JSONB,
    "output" JSONB,
    "error" TEXT,
    "deferState" JSONB,
    "queuedAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "TaskInstance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskAttempt" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "taskInstanceId" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'running',
    "workerId" TEXT NOT NULL,
    "error" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMP(3),
    "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "logBytes" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "TaskAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TaskLog" (
    "id" BIGSERIAL NOT NULL,
    "workspaceId" UUID NOT NULL,
    "attemptId" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TaskLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Pool" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "slots" INTEGER NOT NULL,
    "admitted" INTEGER NOT NULL DEFAULT 0,
    "description" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "Pool_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WorkspaceDispatch" (
    "workspaceId" UUID NOT NULL,
    "admitted" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "WorkspaceDispatch_pkey" PRIMARY KEY ("workspaceId")
);

-- CreateIndex
CREATE INDEX "Dag_nextRunAt_idx" ON "Dag"("nextRunAt");

-- CreateIndex
CREATE UNIQUE INDEX "Dag_workspaceId_key_key" ON "Dag"("workspaceId", "key");

-- CreateIndex
CREATE INDEX "DagVersion_workspaceId_idx" ON "DagVersion"("workspaceId");

-- CreateIndex
CREATE UNIQUE INDEX "DagVersion_dagId_number_key" ON "DagVersion"("dagId", "number");

-- CreateIndex
CREATE UNIQUE INDEX "Variable_workspaceId_key_key" ON "Variable"("workspaceId", "key");

-- CreateIndex
CREATE UNIQUE INDEX "Secret_workspaceId_name_key" ON "Secret"("workspaceId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Connection_workspaceId_name_key" ON "Connection"("workspaceId", "name");

-- CreateIndex
CREATE INDEX "DagRun_workspaceId_queuedAt_idx" ON "DagRun"("workspaceId", "queuedAt" DESC);

-- CreateIndex
CREATE INDEX "DagRun_dagId_state_idx" ON "DagRun"("dagId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "DagRun_dagId_runKey_key" ON "DagRun"("dagId", "runKey");

-- CreateIndex
CREATE INDEX "TaskInstance_workspaceId_state_priority_queuedAt_idx" ON "TaskInstance"("workspaceId", "state", "priority" DESC, "queuedAt");

-- CreateIndex
CREATE UNIQUE INDEX "TaskInstance_runId_taskId_mapIndex_key" ON "TaskInstance"("runId", "taskId", "mapIndex");

-- CreateIndex
CREATE INDEX "TaskAttempt_state_heartbeatAt_idx" ON "TaskAttempt"("state", "heartbeatAt");

-- CreateIndex
CREATE UNIQUE INDEX "TaskAttempt_taskInstanceId_number_key" ON "TaskAttempt"("taskInstanceId", "number");

-- CreateIndex
CREATE INDEX "TaskLog_attemptId_id_idx" ON "TaskLog"("attemptId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Pool_workspaceId_name_key" ON "Pool"("workspaceId", "name");

-- AddForeignKey
ALTER TABLE "Dag" ADD CONSTRAINT "Dag_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DagVersion" ADD CONSTRAINT "DagVersion_dagId_fkey" FOREIGN KEY ("dagId") REFERENCES "Dag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Variable" ADD CONSTRAINT "Variable_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Secret" ADD CONSTRAINT "Secret_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Connection" ADD CONSTRAINT "Connection_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DagRun" ADD CONSTRAINT "DagRun_dagId_fkey" FOREIGN KEY ("dagId") REFERENCES "Dag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DagRun" ADD CONSTRAINT "DagRun_dagVersionId_fkey" FOREIGN KEY ("dagVersionId") REFERENCES "DagVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskInstance" ADD CONSTRAINT "TaskInstance_runId_fkey" FOREIGN KEY ("runId") REFERENCES "DagRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskAttempt" ADD CONSTRAINT "TaskAttempt_taskInstanceId_fkey" FOREIGN KEY ("taskInstanceId") REFERENCES "TaskInstance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskLog" ADD CONSTRAINT "TaskLog_attemptId_fkey" FOREIGN KEY ("attemptId") REFERENCES "TaskAttempt"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Pool" ADD CONSTRAINT "Pool_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WorkspaceDispatch" ADD CONSTRAINT "WorkspaceDispatch_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

