-- AlterTable
ALTER TABLE "DagTrigger" ADD COLUMN     "pendingRunId" UUID,
ADD COLUMN     "pendingSince" TIMESTAMP(3);
