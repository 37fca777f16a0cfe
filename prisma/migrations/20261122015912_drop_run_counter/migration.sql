-- AlterTable
ALTER TABLE "DagRun" DROP COLUMN "tasksPending";

