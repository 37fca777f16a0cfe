-- CreateEnum
CREATE TYPE "SlaKind" AS ENUM ('finish_by', 'max_duration', 'start_within');

-- CreateEnum
CREATE TYPE "AlertRuleKind" AS ENUM ('run_failed', 'sla_miss', 'consecutive_failures', 'task_long_running', 'webhook_refusing');

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "maxAlertRules" INTEGER NOT NULL DEFAULT 50;

-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "maxAlertRules" INTEGER NOT NULL DEFAULT 50;

-- CreateTable
CREATE TABLE "SlaMiss" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "dagId" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "taskId" TEXT,
    "kind" "SlaKind" NOT NULL,
    "slaKey" TEXT NOT NULL,
    "deadline" TIMESTAMP(3) NOT NULL,
    "detectedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SlaMiss_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertRule" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "AlertRuleKind" NOT NULL,
    "dagId" UUID,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "channels" JSONB NOT NULL DEFAULT '[]',
    "throttleMinutes" INTEGER NOT NULL DEFAULT 60,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "mutedUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AlertRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertIncident" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "ruleId" UUID NOT NULL,
    "subject" TEXT NOT NULL,
    "dagId" UUID,
    "openedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMP(3),
    "lastEventAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "events" INTEGER NOT NULL DEFAULT 1,
    "notified" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "AlertIncident_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Alert" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "ruleId" UUID,
    "incidentId" UUID,
    "ruleName" TEXT NOT NULL,
    "ruleKind" "AlertRuleKind" NOT NULL,
    "type" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "dagId" UUID,
    "dagKey" TEXT,
    "runId" UUID,
    "title" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "trigger" JSONB NOT NULL DEFAULT '{}',
    "deliveries" JSONB NOT NULL DEFAULT '[]',
    "state" TEXT NOT NULL DEFAULT 'pending',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SlaMiss_workspaceId_deadline_idx" ON "SlaMiss"("workspaceId", "deadline" DESC);

-- CreateIndex
CREATE INDEX "SlaMiss_dagId_deadline_idx" ON "SlaMiss"("dagId", "deadline" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "SlaMiss_runId_slaKey_key" ON "SlaMiss"("runId", "slaKey");

-- CreateIndex
CREATE INDEX "AlertRule_workspaceId_kind_idx" ON "AlertRule"("workspaceId", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "AlertRule_workspaceId_name_key" ON "AlertRule"("workspaceId", "name");

-- CreateIndex
CREATE INDEX "AlertIncident_ruleId_subject_idx" ON "AlertIncident"("ruleId", "subject");

-- CreateIndex
CREATE INDEX "AlertIncident_workspaceId_openedAt_idx" ON "AlertIncident"("workspaceId", "openedAt" DESC);

-- CreateIndex
CREATE INDEX "Alert_workspaceId_createdAt_idx" ON "Alert"("workspaceId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Alert_ruleId_subject_createdAt_idx" ON "Alert"("ruleId", "subject", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Alert_incidentId_idx" ON "Alert"("incidentId");

-- CreateIndex
CREATE INDEX "DagRun_dagId_queuedAt_idx" ON "DagRun"("dagId", "queuedAt" DESC);

-- AddForeignKey
ALTER TABLE "SlaMiss" ADD CONSTRAINT "SlaMiss_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SlaMiss" ADD CONSTRAINT "SlaMiss_dagId_fkey" FOREIGN KEY ("dagId") REFERENCES "Dag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SlaMiss" ADD CONSTRAINT "SlaMiss_runId_fkey" FOREIGN KEY ("runId") REFERENCES "DagRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertRule" ADD CONSTRAINT "AlertRule_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertRule" ADD CONSTRAINT "AlertRule_dagId_fkey" FOREIGN KEY ("dagId") REFERENCES "Dag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertIncident" ADD CONSTRAINT "AlertIncident_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertIncident" ADD CONSTRAINT "AlertIncident_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "AlertRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertIncident" ADD CONSTRAINT "AlertIncident_dagId_fkey" FOREIGN KEY ("dagId") REFERENCES "Dag"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "AlertRule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "AlertIncident"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_dagId_fkey" FOREIGN KEY ("dagId") REFERENCES "Dag"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- At most one open incident per rule and subject: concurrent events of one rule and DAG meet on
-- this index (INSERT … ON CONFLICT DO UPDATE), so they are counted one after the other and the
-- throttle decides once (server/alerts/incidents.ts).
CREATE UNIQUE INDEX "AlertIncident_open_key" ON "AlertIncident"("ruleId", "subject") WHERE "resolvedAt" IS NULL;

-- Row-level security on the new tenant tables, as on the others (20261207130000_tenant_row_security).
DO $$
DECLARE
  tenant_table text;
BEGIN
  FOREACH tenant_table IN ARRAY ARRAY['SlaMiss', 'AlertRule', 'AlertIncident', 'Alert'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format(
      'CREATE POLICY workspace_isolation ON %I TO baton_tenant
         USING ("workspaceId" = baton_current_workspace())
         WITH CHECK ("workspaceId" = baton_current_workspace())',
      tenant_table);
  END LOOP;
END $$;
