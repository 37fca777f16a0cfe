import { z } from "zod";
import { auditFilterChoices, listAuditEvents } from "@/server/audit/service";
import {
  changeRole,
  inviteMember,
  listInvitations,
  listMembers,
  removeMember,
  revokeInvitation,
} from "@/server/members/service";
import { pageInput } from "@/server/pagination";
import { suspensionOf } from "@/server/platform/workspaces";
import type { Caller, WorkspaceScope } from "@/server/tenancy/door";
import { folderRolesOf, foldersAllowing } from "@/server/tenancy/folders";
import { folderPermissions, type Permission, permissions } from "@/server/tenancy/roles";
import { createToken, listTokens, revokeToken } from "@/server/tokens/service";
import { displayName, email, role, tokenExpiryDays, uuid } from "@/server/validation";
import {
  deleteWorkspace,
  renameWorkspace,
  setTwoFactorRule,
  workspaceSettings,
} from "@/server/workspaces/service";
import { nothing } from "../schemas/common";
import {
  auditEventPage,
  auditFilterChoices as auditFilterChoicesSchema,
  createdToken,
  invitationPage,
  memberPage,
  memberRoleChange,
  renamedWorkspace,
  sentInvitation,
  tokenPage,
  workspaceSchema,
} from "../schemas/workspace";
import { router, workspaceProcedure } from "../trpc";

/** What the caller may do in at least one folder through folder grants (the app shows those sections). */
async function folderPermissionsOf(scope: WorkspaceScope, caller: Caller | null): Promise<Permission[]> {
  if (caller?.kind !== "user") return [];
  const roles = await folderRolesOf(scope.workspace.id, caller.userId);
  return [...folderPermissions].filter((permission) => foldersAllowing(roles, permission).length > 0);
}

export const workspaceRouter = router({
  get: workspaceProcedure("workspace:read", "none")
    .output(workspaceSchema)
    .query(async ({ ctx }) => ({
      ...ctx.scope.workspace,
      role: ctx.scope.role,
      permissions: Object.keys(permissions).filter((p) => ctx.scope.can(p as keyof typeof permissions)),
      folderPermissions: await folderPermissionsOf(ctx.scope, ctx.caller),
      // For the banner members of a suspended workspace see (set in the platform console).
      ...(await suspensionOf(ctx.scope.workspace.id)),
      ...(await workspaceSettings(ctx.scope)),
    })),
  rename: workspaceProcedure("workspace:update")
    .input(z.object({ name: displayName }))
    .output(renamedWorkspace)
    .mutation(({ ctx, input }) => renameWorkspace(ctx.scope, input.name)),
  /** "Members must use two factors", enforced when they enter (tRPC and REST; tokens exempt). */
  setTwoFactorRule: workspaceProcedure("workspace:update")
    .input(z.object({ required: z.boolean() }))
    .output(z.object({ requireTwoFactor: z.boolean() }))
    .mutation(({ ctx, input }) => setTwoFactorRule(ctx.scope, input.required)),
  delete: workspaceProcedure("workspace:delete")
    .input(z.object({ confirm: z.string() }))
    .output(nothing)
    .mutation(({ ctx, input }) => deleteWorkspace(ctx.scope, input.confirm)),
});

export const membersRouter = router({
  list: workspaceProcedure("members:read")
    .input(z.object(pageInput))
    .output(memberPage)
    .query(({ ctx, input }) => listMembers(ctx.scope, input)),
  invitations: workspaceProcedure("members:manage")
    .input(z.object(pageInput))
    .output(invitationPage)
    .query(({ ctx, input }) => listInvitations(ctx.scope, input)),
  invite: workspaceProcedure("members:manage")
    .input(z.object({ email, role }))
    .output(sentInvitation)
    .mutation(({ ctx, input }) => inviteMember(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  revokeInvitation: workspaceProcedure("members:manage")
    .input(z.object({ invitationId: uuid }))
    .output(nothing)
    .mutation(({ ctx, input }) => revokeInvitation(ctx.scope, input.invitationId)),
  changeRole: workspaceProcedure("members:manage")
    .input(z.object({ memberId: uuid, role }))
    .output(memberRoleChange)
    .mutation(({ ctx, input }) => changeRole(ctx.scope, input)),
  remove: workspaceProcedure("members:manage")
    .input(z.object({ memberId: uuid }))
    .output(nothing)
    .mutation(({ ctx, input }) => removeMember(ctx.scope, input.memberId)),
});

export const tokensRouter = router({
  list: workspaceProcedure("tokens:manage")
    .input(z.object(pageInput))
    .output(tokenPage)
    .query(({ ctx, input }) => listTokens(ctx.scope, input)),
  create: workspaceProcedure("tokens:manage")
    .input(z.object({ name: displayName, role, expiresInDays: tokenExpiryDays }))
    .output(createdToken)
    .mutation(({ ctx, input }) => createToken(ctx.scope, input)),
  revoke: workspaceProcedure("tokens:manage")
    .input(z.object({ tokenId: uuid }))
    .output(nothing)
    .mutation(({ ctx, input }) => revokeToken(ctx.scope, input.tokenId)),
});

export const auditRouter = router({
  list: workspaceProcedure("audit:read")
    .input(
      z.object({
        actor: z.string().min(1).max(200).optional().describe("Events by this actor (an event's `actor`)"),
        action: z
          .string()
          .regex(/^[a-z_]+(\.[a-z_]+)*$/, "action must look like member.invite or member")
          .max(100)
          .optional()
          .describe("Events of this action (member.invite), or of every action on it (member)"),
        from: z.coerce
          .date({ error: "from must be an ISO date-time" })
          .optional()
          .describe("Events at or after this"),
        before: z.coerce
          .date({ error: "before must be an ISO date-time" })
          .optional()
          .describe("Events before this"),
        ...pageInput,
      }),
    )
    .output(auditEventPage)
    .query(({ ctx, input }) => listAuditEvents(ctx.scope, input)),
  filters: workspaceProcedure("audit:read")
    .output(auditFilterChoicesSchema)
    .query(({ ctx }) => auditFilterChoices(ctx.scope)),
});
