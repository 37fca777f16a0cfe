-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "maxGroups" INTEGER NOT NULL DEFAULT 50;

-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "maxGroups" INTEGER NOT NULL DEFAULT 50;

-- CreateTable
CREATE TABLE "Group" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "role" "Role",
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Group_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GroupMember" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "groupId" UUID NOT NULL,
    "membershipId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GroupMember_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Group_workspaceId_name_key" ON "Group"("workspaceId", "name");

-- CreateIndex
CREATE INDEX "GroupMember_membershipId_idx" ON "GroupMember"("membershipId");

-- CreateIndex
CREATE INDEX "GroupMember_workspaceId_idx" ON "GroupMember"("workspaceId");

-- CreateIndex
CREATE UNIQUE INDEX "GroupMember_groupId_membershipId_key" ON "GroupMember"("groupId", "membershipId");

-- AddForeignKey
ALTER TABLE "Group" ADD CONSTRAINT "Group_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMember" ADD CONSTRAINT "GroupMember_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMember" ADD CONSTRAINT "GroupMember_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMember" ADD CONSTRAINT "GroupMember_membershipId_fkey" FOREIGN KEY ("membershipId") REFERENCES "Membership"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Row-level security on the new tenant tables, as on the others (20261207130000_tenant_row_security).
DO $$
DECLARE
  tenant_table text;
BEGIN
  FOREACH tenant_table IN ARRAY ARRAY['Group', 'GroupMember'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format(
      'CREATE POLICY workspace_isolation ON %I TO baton_tenant
         USING ("workspaceId" = baton_current_workspace())
         WITH CHECK ("workspaceId" = baton_current_workspace())',
      tenant_table);
  END LOOP;
END $$;
