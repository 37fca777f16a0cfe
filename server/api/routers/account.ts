import { z } from "zod";
import { changePassword, listAccountEvents, signUp } from "@/server/auth/accounts";
import { acceptInvitation, describeInvitation } from "@/server/members/service";
import { isPlatformAdmin } from "@/server/platform/admins";
import { displayName, email, password } from "@/server/validation";
import { createWorkspace, listWorkspacesForUser } from "@/server/workspaces/service";
import { publicProcedure, router, userProcedure } from "../trpc";

export const accountRouter = router({
  signUp: publicProcedure
    .input(z.object({ email, name: displayName, password }))
    .mutation(async ({ ctx, input }) => {
      const { user, workspace } = await signUp({ ...input, ip: ctx.ip });
      return { email: user.email, workspace: workspace.slug };
    }),
  me: userProcedure.query(async ({ ctx }) => ({
    id: ctx.user.userId,
    email: ctx.user.email,
    /** Shows the link to the platform console; the console's procedures check for themselves. */
    platformAdmin: await isPlatformAdmin(ctx.user.userId),
  })),
  workspaces: userProcedure.query(({ ctx }) => listWorkspacesForUser(ctx.user.userId)),
  createWorkspace: userProcedure
    .input(z.object({ name: displayName }))
    .mutation(({ ctx, input }) => createWorkspace({ userId: ctx.user.userId, name: input.name, ip: ctx.ip })),
  changePassword: userProcedure
    .input(z.object({ current: z.string().min(1, "Enter your current password"), next: password }))
    .mutation(({ ctx, input }) => changePassword({ userId: ctx.user.userId, ...input })),
  events: userProcedure.query(({ ctx }) => listAccountEvents(ctx.user.userId)),
  invitation: publicProcedure
    .input(z.object({ secret: z.string().min(1).max(200) }))
    .query(({ input }) => describeInvitation(input.secret)),
  acceptInvitation: userProcedure
    .input(z.object({ secret: z.string().min(1).max(200) }))
    .mutation(({ ctx, input }) =>
      acceptInvitation({ secret: input.secret, userId: ctx.user.userId, email: ctx.user.email }),
    ),
});
