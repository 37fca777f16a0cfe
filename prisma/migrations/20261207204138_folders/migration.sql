-- AlterEnum
ALTER TYPE "Role" ADD VALUE 'GUEST';

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "maxFolders" INTEGER NOT NULL DEFAULT 100;

-- AlterTable
ALTER TABLE "Dag" ADD COLUMN     "folderId" UUID;

-- AlterTable
ALTER TABLE "Variable" ADD COLUMN     "folderId" UUID;

-- AlterTable
ALTER TABLE "Secret" ADD COLUMN     "folderId" UUID;

-- AlterTable
ALTER TABLE "Connection" ADD COLUMN     "folderId" UUID;

-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "maxFolders" INTEGER NOT NULL DEFAULT 100;

-- CreateTable
CREATE TABLE "Folder" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Folder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FolderGrant" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "folderId" UUID NOT NULL,
    "membershipId" UUID,
    "groupId" UUID,
    "role" "Role" NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FolderGrant_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Folder_workspaceId_name_key" ON "Folder"("workspaceId", "name");

-- CreateIndex
CREATE INDEX "FolderGrant_workspaceId_idx" ON "FolderGrant"("workspaceId");

-- CreateIndex
CREATE INDEX "FolderGrant_membershipId_idx" ON "FolderGrant"("membershipId");

-- CreateIndex
CREATE INDEX "FolderGrant_groupId_idx" ON "FolderGrant"("groupId");

-- CreateIndex
CREATE UNIQUE INDEX "FolderGrant_folderId_membershipId_key" ON "FolderGrant"("folderId", "membershipId");

-- CreateIndex
CREATE UNIQUE INDEX "FolderGrant_folderId_groupId_key" ON "FolderGrant"("folderId", "groupId");

-- CreateIndex
CREATE INDEX "Dag_folderId_idx" ON "Dag"("folderId");

-- CreateIndex
CREATE INDEX "Variable_folderId_idx" ON "Variable"("folderId");

-- CreateIndex
CREATE INDEX "Secret_folderId_idx" ON "Secret"("folderId");

-- CreateIndex
CREATE INDEX "Connection_folderId_idx" ON "Connection"("folderId");

-- AddForeignKey
ALTER TABLE "Folder" ADD CONSTRAINT "Folder_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FolderGrant" ADD CONSTRAINT "FolderGrant_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FolderGrant" ADD CONSTRAINT "FolderGrant_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FolderGrant" ADD CONSTRAINT "FolderGrant_membershipId_fkey" FOREIGN KEY ("membershipId") REFERENCES "Membership"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FolderGrant" ADD CONSTRAINT "FolderGrant_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Dag" ADD CONSTRAINT "Dag_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Variable" ADD CONSTRAINT "Variable_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Secret" ADD CONSTRAINT "Secret_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Connection" ADD CONSTRAINT "Connection_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A grant names a member or a group, never both nor neither.
ALTER TABLE "FolderGrant" ADD CONSTRAINT "FolderGrant_one_grantee"
  CHECK (("membershipId" IS NULL) <> ("groupId" IS NULL));

-- Row-level security on the new tenant tables, as on the others (20261207130000_tenant_row_security).
DO $$
DECLARE
  tenant_table text;
BEGIN
  FOREACH tenant_table IN ARRAY ARRAY['Folder', 'FolderGrant'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format(
      'CREATE POLICY workspace_isolation ON %I TO baton_tenant
         USING ("workspaceId" = baton_current_workspace())
         WITH CHECK ("workspaceId" = baton_current_workspace())',
      tenant_table);
  END LOOP;
END $$;
