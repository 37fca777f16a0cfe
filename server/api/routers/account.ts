import { z } from "zod";
import { deleteAccount } from "@/server/auth/account-deletion";
import {
  accountStatus,
  changePassword,
  describeSignUpLink,
  listAccountEvents,
  recordAccountEvent,
  requestSignUp,
} from "@/server/auth/accounts";
import { confirmEmail, requestEmailChange, sendConfirmationLink } from "@/server/auth/email-address";
import { describeResetLink, requestPasswordReset, resetPassword } from "@/server/auth/password-reset";
import { endOwnSession, endSessions, listSessions } from "@/server/auth/sessions";
import { acceptInvitation, describeInvitation } from "@/server/members/service";
import { isPlatformAdmin } from "@/server/platform/admins";
import { displayName, email, password, uuid } from "@/server/validation";
import { createWorkspace, listWorkspacesForUser } from "@/server/workspaces/service";
import { publicProcedure, router, userProcedure } from "../trpc";

const linkSecret = z.string().min(1).max(200);

export const accountRouter = router({
  /** The same answer for every address: a link was sent (or, without SMTP, here it is). */
  signUp: publicProcedure
    .input(z.object({ email, name: displayName, password }))
    .mutation(({ ctx, input }) => requestSignUp({ ...input, ip: ctx.ip, baseUrl: ctx.baseUrl })),
  /** What a sign-up link will do (finishing it is signing in with it: provider "signup-link"). */
  signUpLink: publicProcedure
    .input(z.object({ secret: z.string().min(1).max(200) }))
    .query(({ input }) => describeSignUpLink(input.secret)),
  /** Same answer for every address; the link goes only to the address (or the CLI prints one). */
  requestPasswordReset: publicProcedure
    .input(z.object({ email }))
    .mutation(({ ctx, input }) => requestPasswordReset({ ...input, ip: ctx.ip, baseUrl: ctx.baseUrl })),
  resetLink: publicProcedure
    .input(z.object({ secret: linkSecret }))
    .query(({ input }) => describeResetLink(input.secret)),
  resetPassword: publicProcedure
    .input(z.object({ secret: linkSecret, password }))
    .mutation(({ ctx, input }) => resetPassword({ ...input, ip: ctx.ip })),
  /** Uses a confirmation link (whoever holds it: it went to the address). */
  confirmEmail: publicProcedure
    .input(z.object({ secret: linkSecret }))
    .mutation(({ ctx, input }) => confirmEmail(input.secret, ctx.ip)),
  sendConfirmation: userProcedure.mutation(({ ctx }) =>
    sendConfirmationLink({
      userId: ctx.user.userId,
      email: ctx.user.email,
      ip: ctx.ip,
      baseUrl: ctx.baseUrl,
    }),
  ),
  changeEmail: userProcedure
    .input(z.object({ newEmail: email, password: z.string().max(200) }))
    .mutation(({ ctx, input }) =>
      requestEmailChange({ userId: ctx.user.userId, ...input, ip: ctx.ip, baseUrl: ctx.baseUrl }),
    ),
  /** Deletes the caller's account (refused while they are a workspace's last owner). */
  delete: userProcedure
    .input(z.object({ confirm: z.string().max(254), password: z.string().max(200).optional() }))
    .mutation(({ ctx, input }) => deleteAccount({ userId: ctx.user.userId, ...input, ip: ctx.ip })),
  /** What the account page shows about the account's standing. */
  status: userProcedure.query(({ ctx }) => accountStatus(ctx.user.userId)),
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
    .mutation(({ ctx, input }) =>
      changePassword({ userId: ctx.user.userId, ...input, keep: ctx.user.sessionId }),
    ),
  sessions: userProcedure.query(({ ctx }) => listSessions(ctx.user.userId, ctx.user.sessionId)),
  endSession: userProcedure
    .input(z.object({ sessionId: uuid }))
    .mutation(({ ctx, input }) => endOwnSession(ctx.user.userId, input.sessionId)),
  /** Ends every session of the account, this one included (the page then signs out). */
  signOutEverywhere: userProcedure.mutation(async ({ ctx }) => {
    const ended = await endSessions(ctx.user.userId);
    await recordAccountEvent(ctx.user, "auth.signout_everywhere", { sessionsEnded: ended });
    return { sessionsEnded: ended };
  }),
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
