-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "apiRateLimitPerMinute" INTEGER NOT NULL DEFAULT 1200;

-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "apiRateLimitPerMinute" INTEGER NOT NULL DEFAULT 1200;

