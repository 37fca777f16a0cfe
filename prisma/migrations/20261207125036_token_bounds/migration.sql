-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN     "expiresAt" TIMESTAMP(3),
ADD COLUMN     "lastUsedIp" TEXT;

-- CreateIndex
CREATE INDEX "ApiToken_createdById_idx" ON "ApiToken"("createdById");

-- Tokens whose creator no longer exists would otherwise fail the new foreign key.
DELETE FROM "ApiToken" t
WHERE t."createdById" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "User" u WHERE u.id = t."createdById");

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

