// Second factors: enrolling them (an authenticator app, passkeys, recovery codes) on the account
// page, giving one as the second step of signing in, and passkeys' own sign-in.
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { z } from "zod";
import {
  authenticationOptions,
  listPasskeys,
  registerPasskey,
  registrationOptions,
  removePasskey,
  verifyPasskey,
} from "@/server/auth/passkeys";
import { completeSecondFactor } from "@/server/auth/sessions";
import {
  beginTotp,
  confirmTotp,
  disableTotp,
  giveSecondFactorCode,
  regenerateRecoveryCodes,
  secondFactorsOf,
} from "@/server/auth/two-factor";
import { displayName } from "@/server/validation";
import { publicProcedure, router, secondStepProcedure, userProcedure } from "../trpc";

const code = z.string().trim().min(6, "Enter the 6-digit code or a recovery code").max(20);
const challengeId = z.uuid({ error: "Not a valid challenge id" });
// The browser's WebAuthn answer, checked by SimpleWebAuthn itself.
const isCredential = (value: unknown) =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { id?: unknown }).id === "string" &&
  (value as { type?: unknown }).type === "public-key";
const registrationResponse = z.custom<RegistrationResponseJSON>(isCredential, "Not a WebAuthn registration");
const authenticationResponse = z.custom<AuthenticationResponseJSON>(isCredential, "Not a WebAuthn answer");

export const twoFactorRouter = router({
  /** The signed-in user's factors. */
  status: userProcedure.query(async ({ ctx }) => ({
    ...(await secondFactorsOf(ctx.user.userId)),
    passkeyList: await listPasskeys(ctx.user.userId),
  })),
  beginTotp: userProcedure.mutation(({ ctx }) => beginTotp(ctx.user)),
  confirmTotp: userProcedure
    .input(z.object({ code }))
    .mutation(({ ctx, input }) => confirmTotp({ ...ctx.user, ip: ctx.ip }, input.code)),
  disableTotp: userProcedure
    .input(z.object({ code }))
    .mutation(({ ctx, input }) => disableTotp({ ...ctx.user, ip: ctx.ip }, input.code)),
  renewRecoveryCodes: userProcedure.mutation(({ ctx }) =>
    regenerateRecoveryCodes({ ...ctx.user, ip: ctx.ip }),
  ),
  passkeyRegistrationOptions: userProcedure.mutation(({ ctx }) => registrationOptions(ctx.user, ctx.baseUrl)),
  registerPasskey: userProcedure
    .input(z.object({ challengeId, response: registrationResponse, name: displayName }))
    .mutation(({ ctx, input }) => registerPasskey({ ...ctx.user, ip: ctx.ip }, input, ctx.baseUrl)),
  removePasskey: userProcedure
    .input(z.object({ passkeyId: z.string().min(1).max(1024) }))
    .mutation(({ ctx, input }) => removePasskey({ ...ctx.user, ip: ctx.ip }, input.passkeyId)),

  /** Sign-in, step two: which factors the account has. */
  pendingFactors: secondStepProcedure.query(({ ctx }) => secondFactorsOf(ctx.pending.userId)),
  giveCode: secondStepProcedure.input(z.object({ code })).mutation(async ({ ctx, input }) => {
    await giveSecondFactorCode(
      { userId: ctx.pending.userId, email: ctx.pending.email, ip: ctx.ip },
      input.code,
    );
    await completeSecondFactor(ctx.pending.sessionId);
  }),
  pendingPasskeyOptions: secondStepProcedure.mutation(({ ctx }) =>
    authenticationOptions(ctx.baseUrl, ctx.pending.userId),
  ),
  givePasskey: secondStepProcedure
    .input(z.object({ challengeId, response: authenticationResponse }))
    .mutation(async ({ ctx, input }) => {
      await verifyPasskey(input, ctx.baseUrl, ctx.pending.userId);
      await completeSecondFactor(ctx.pending.sessionId);
    }),

  /** Password-less sign-in, step one (step two is next-auth's "passkey" provider). */
  passkeySignInOptions: publicProcedure.mutation(({ ctx }) => authenticationOptions(ctx.baseUrl)),
});
