-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "maxAgents" INTEGER NOT NULL DEFAULT 10;

-- AlterTable
ALTER TABLE "Pool" ADD COLUMN     "agents" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "joinTokenHash" TEXT;

-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "maxAgents" INTEGER NOT NULL DEFAULT 10;

-- CreateTable
CREATE TABLE "Agent" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "poolId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "labels" TEXT[],
    "concurrency" INTEGER NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "registeredAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),
    "stoppedAt" TIMESTAMP(3),

    CONSTRAINT "Agent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Agent_tokenHash_key" ON "Agent"("tokenHash");

-- CreateIndex
CREATE INDEX "Agent_workspaceId_idx" ON "Agent"("workspaceId");

-- CreateIndex
CREATE INDEX "Agent_poolId_idx" ON "Agent"("poolId");

-- CreateIndex
CREATE UNIQUE INDEX "Pool_joinTokenHash_key" ON "Pool"("joinTokenHash");

-- AddForeignKey
ALTER TABLE "Agent" ADD CONSTRAINT "Agent_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Agent" ADD CONSTRAINT "Agent_poolId_fkey" FOREIGN KEY ("poolId") REFERENCES "Pool"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Agents are tenant data: the same row-level security as every tenant table.
ALTER TABLE "Agent" ENABLE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON "Agent" TO baton_tenant
  USING ("workspaceId" = baton_current_workspace())
  WITH CHECK ("workspaceId" = baton_current_workspace());

-- An agent pool's worker pool (`agent:<poolId>`) serves one workspace, as a dedicated one does:
-- no slots are kept free for newcomers (server/engine/agents.ts).
CREATE OR REPLACE FUNCTION baton_pool_reserve(worker_pool text, capacity int, reserve int) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN worker_pool LIKE 'dedicated:%' OR worker_pool LIKE 'agent:%' THEN 0
              ELSE LEAST(reserve, GREATEST(capacity - 1, 0)) END
$$;
