-- AlterTable
ALTER TABLE "DagRun" ADD COLUMN     "traceContext" TEXT;

