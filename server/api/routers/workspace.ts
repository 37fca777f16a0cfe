import { z } from "zod";
import { listAuditEvents } from "@/server/audit/service";
import {
  changeRole,
  inviteMember,
  listInvitations,
  listMembers,
  removeMember,
  revokeInvitation,
} from "@/server/members/service";
import { suspensionOf } from "@/server/platform/workspaces";
import { permissions } from "@/server/tenancy/roles";
import { createToken, listTokens, revokeToken } from "@/server/tokens/service";
import { displayName, email, role, tokenExpiryDays, uuid } from "@/server/validation";
import { deleteWorkspace, renameWorkspace } from "@/server/workspaces/service";
import { router, workspaceProcedure } from "../trpc";

export const workspaceRouter = router({
  get: workspaceProcedure("workspace:read").query(async ({ ctx }) => ({
    ...ctx.scope.workspace,
    role: ctx.scope.role,
    permissions: Object.keys(permissions).filter((p) => ctx.scope.can(p as keyof typeof permissions)),
    // For the banner members of a suspended workspace see (set in the platform console).
    ...(await suspensionOf(ctx.scope.workspace.id)),
  })),
  rename: workspaceProcedure("workspace:update")
    .input(z.object({ name: displayName }))
    .mutation(({ ctx, input }) => renameWorkspace(ctx.scope, input.name)),
  delete: workspaceProcedure("workspace:delete")
    .input(z.object({ confirm: z.string() }))
    .mutation(({ ctx, input }) => deleteWorkspace(ctx.scope, input.confirm)),
});

export const membersRouter = router({
  list: workspaceProcedure("members:read").query(({ ctx }) => listMembers(ctx.scope)),
  invitations: workspaceProcedure("members:manage").query(({ ctx }) => listInvitations(ctx.scope)),
  invite: workspaceProcedure("members:manage")
    .input(z.object({ email, role }))
    .mutation(({ ctx, input }) => inviteMember(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  revokeInvitation: workspaceProcedure("members:manage")
    .input(z.object({ invitationId: uuid }))
    .mutation(({ ctx, input }) => revokeInvitation(ctx.scope, input.invitationId)),
  changeRole: workspaceProcedure("members:manage")
    .input(z.object({ memberId: uuid, role }))
    .mutation(({ ctx, input }) => changeRole(ctx.scope, input)),
  remove: workspaceProcedure("members:manage")
    .input(z.object({ memberId: uuid }))
    .mutation(({ ctx, input }) => removeMember(ctx.scope, input.memberId)),
});

export const tokensRouter = router({
  list: workspaceProcedure("tokens:manage").query(({ ctx }) => listTokens(ctx.scope)),
  create: workspaceProcedure("tokens:manage")
    .input(z.object({ name: displayName, role, expiresInDays: tokenExpiryDays }))
    .mutation(({ ctx, input }) => createToken(ctx.scope, input)),
  revoke: workspaceProcedure("tokens:manage")
    .input(z.object({ tokenId: uuid }))
    .mutation(({ ctx, input }) => revokeToken(ctx.scope, input.tokenId)),
});

export const auditRouter = router({
  list: workspaceProcedure("audit:read")
    .input(
      z.object({
        before: z.string().regex(/^\d+$/).optional(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => listAuditEvents(ctx.scope, input)),
});
