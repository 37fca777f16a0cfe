-- AlterTable
ALTER TABLE "Dag" ADD COLUMN     "scheduleError" TEXT;

