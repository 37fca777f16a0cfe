// Groups of members and the workspace role each grants (server/groups/service.ts).
import { z } from "zod";
import {
  addGroupMember,
  createGroup,
  deleteGroup,
  getGroup,
  listGroups,
  removeGroupMember,
  updateGroup,
} from "@/server/groups/service";
import { displayName, role, uuid } from "@/server/validation";
import { nothing } from "../schemas/common";
import { groupSchema } from "../schemas/workspace";
import { router, workspaceProcedure } from "../trpc";

/** The identity provider's group name kept in step at single sign-on, or null. */
const idpGroup = z.string().trim().min(1, "Enter the provider's group name, or null").max(200).nullable();
const description = z.string().trim().max(500, "Descriptions are at most 500 characters");
/** A group's role: any workspace role but Owner (refused with a reason), or null for none. */
const groupRole = role
  .exclude(["OWNER"], {
    error: "Role must be one of ADMIN, EDITOR, OPERATOR, VIEWER (owners are named one by one), or null",
  })
  .nullable();

export const groupsRouter = router({
  list: workspaceProcedure("members:read")
    .output(z.array(groupSchema))
    .query(({ ctx }) => listGroups(ctx.scope)),
  get: workspaceProcedure("members:read")
    .input(z.object({ groupId: uuid }))
    .output(groupSchema)
    .query(({ ctx, input }) => getGroup(ctx.scope, input.groupId)),
  create: workspaceProcedure("members:manage")
    .input(
      z.object({
        name: displayName,
        description: description.optional(),
        role: groupRole.optional(),
        idpGroup: idpGroup.optional(),
      }),
    )
    .output(groupSchema)
    .mutation(({ ctx, input }) => createGroup(ctx.scope, input)),
  update: workspaceProcedure("members:manage")
    .input(
      z.object({
        groupId: uuid,
        name: displayName.optional(),
        description: description.optional(),
        role: groupRole.optional(),
        idpGroup: idpGroup.optional(),
      }),
    )
    .output(groupSchema)
    .mutation(({ ctx, input }) => updateGroup(ctx.scope, input)),
  delete: workspaceProcedure("members:manage")
    .input(z.object({ groupId: uuid }))
    .output(nothing)
    .mutation(({ ctx, input }) => deleteGroup(ctx.scope, input.groupId)),
  addMember: workspaceProcedure("members:manage")
    .input(z.object({ groupId: uuid, memberId: uuid }))
    .output(groupSchema)
    .mutation(({ ctx, input }) => addGroupMember(ctx.scope, input)),
  removeMember: workspaceProcedure("members:manage")
    .input(z.object({ groupId: uuid, memberId: uuid }))
    .output(groupSchema)
    .mutation(({ ctx, input }) => removeGroupMember(ctx.scope, input)),
});
