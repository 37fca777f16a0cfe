// Folders, the roles granted on them, who has access to each, and moving DAGs between them
// (server/folders/service.ts; the check itself is the door's: server/tenancy/folders.ts).
import { z } from "zod";
import { dagIdPattern } from "@/server/dags/definition";
import {
  createFolder,
  deleteFolder,
  folderAccess,
  getFolder,
  grantFolderRole,
  listFolders,
  moveDag,
  revokeFolderGrant,
  updateFolder,
} from "@/server/folders/service";
import { folderRoles } from "@/server/tenancy/roles";
import { uuid } from "@/server/validation";
import { nothing } from "../schemas/common";
import { folderAccessSchema, folderName, folderSchema, movedDag } from "../schemas/folders";
import { router, workspaceProcedure } from "../trpc";

const description = z.string().trim().max(500, "Descriptions are at most 500 characters");
const folderRole = z.enum(folderRoles, {
  error: "Role must be one of EDITOR, OPERATOR, VIEWER (a folder holds DAGs and their configuration only)",
});

export const foldersRouter = router({
  list: workspaceProcedure("workspace:read", "scoped")
    .output(z.array(folderSchema))
    .query(({ ctx }) => listFolders(ctx.scope)),
  get: workspaceProcedure("workspace:read", "scoped")
    .input(z.object({ folderId: uuid }))
    .output(folderSchema)
    .query(({ ctx, input }) => getFolder(ctx.scope, input.folderId)),
  access: workspaceProcedure("members:read")
    .input(z.object({ folderId: uuid }))
    .output(folderAccessSchema)
    .query(({ ctx, input }) => folderAccess(ctx.scope, input.folderId)),
  create: workspaceProcedure("members:manage")
    .input(z.object({ name: folderName, description: description.optional() }))
    .output(folderSchema)
    .mutation(({ ctx, input }) => createFolder(ctx.scope, input)),
  update: workspaceProcedure("members:manage")
    .input(z.object({ folderId: uuid, name: folderName.optional(), description: description.optional() }))
    .output(folderSchema)
    .mutation(({ ctx, input }) => updateFolder(ctx.scope, input)),
  delete: workspaceProcedure("members:manage")
    .input(z.object({ folderId: uuid }))
    .output(nothing)
    .mutation(({ ctx, input }) => deleteFolder(ctx.scope, input.folderId)),
  grant: workspaceProcedure("members:manage")
    .input(
      z.object({ folderId: uuid, memberId: uuid.optional(), groupId: uuid.optional(), role: folderRole }),
    )
    .output(folderAccessSchema)
    .mutation(({ ctx, input }) => grantFolderRole(ctx.scope, input)),
  revoke: workspaceProcedure("members:manage")
    .input(z.object({ folderId: uuid, grantId: uuid }))
    .output(folderAccessSchema)
    .mutation(({ ctx, input }) => revokeFolderGrant(ctx.scope, input)),
  /** Moves a DAG to a folder (null: the workspace root), keeping its history. */
  moveDag: workspaceProcedure("dags:write", "scoped")
    .input(
      z.object({
        dagId: z.string().regex(dagIdPattern, "Not a DAG id (a-z, 0-9, _ and -, starting with a letter)"),
        folder: folderName.nullable(),
      }),
    )
    .output(movedDag)
    .mutation(({ ctx, input }) => moveDag(ctx.scope, input)),
});
