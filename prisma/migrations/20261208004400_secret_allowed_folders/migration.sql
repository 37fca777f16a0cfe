-- The folders whose DAGs may use a secret or connection beside its own (docs/permissions.md).
-- AlterTable
ALTER TABLE "Secret" ADD COLUMN     "allowedFolderIds" UUID[] DEFAULT ARRAY[]::UUID[];

-- AlterTable
ALTER TABLE "Connection" ADD COLUMN     "allowedFolderIds" UUID[] DEFAULT ARRAY[]::UUID[];
