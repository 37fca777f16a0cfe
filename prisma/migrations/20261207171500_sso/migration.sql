-- AlterTable
ALTER TABLE "Group" ADD COLUMN     "idpGroup" TEXT;

-- CreateTable
CREATE TABLE "WorkspaceSso" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "issuer" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "clientSecret" TEXT NOT NULL,
    "allowedDomains" TEXT[],
    "requireSso" BOOLEAN NOT NULL DEFAULT false,
    "jitRole" "Role",
    "groupsClaim" TEXT NOT NULL DEFAULT 'groups',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WorkspaceSso_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SsoLogin" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "stateHash" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "codeVerifier" TEXT NOT NULL,
    "linkUserId" UUID,
    "userId" UUID,
    "ticketHash" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SsoLogin_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "WorkspaceSso_workspaceId_key" ON "WorkspaceSso"("workspaceId");

-- CreateIndex
CREATE UNIQUE INDEX "SsoLogin_stateHash_key" ON "SsoLogin"("stateHash");

-- CreateIndex
CREATE UNIQUE INDEX "SsoLogin_ticketHash_key" ON "SsoLogin"("ticketHash");

-- CreateIndex
CREATE INDEX "SsoLogin_workspaceId_idx" ON "SsoLogin"("workspaceId");

-- AddForeignKey
ALTER TABLE "WorkspaceSso" ADD CONSTRAINT "WorkspaceSso_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SsoLogin" ADD CONSTRAINT "SsoLogin_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Row-level security on the new tenant tables, as on the others (20261207130000_tenant_row_security).
DO $$
DECLARE
  tenant_table text;
BEGIN
  FOREACH tenant_table IN ARRAY ARRAY['WorkspaceSso', 'SsoLogin'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format(
      'CREATE POLICY workspace_isolation ON %I TO baton_tenant
         USING ("workspaceId" = baton_current_workspace())
         WITH CHECK ("workspaceId" = baton_current_workspace())',
      tenant_table);
  END LOOP;
END $$;
