// A workspace's single sign-on settings (server/sso/settings.ts); signing in is app/api/sso.
import { z } from "zod";
import { configureSso, getSso, removeSso, testSso } from "@/server/sso/settings";
import { role } from "@/server/validation";
import { nothing, timestamp } from "../schemas/common";
import { router, workspaceProcedure } from "../trpc";

const ssoSettings = z
  .object({
    issuer: z.string(),
    clientId: z.string(),
    allowedDomains: z.array(z.string()),
    requireSso: z.boolean(),
    jitRole: role.nullable(),
    groupsClaim: z.string(),
    updatedAt: timestamp,
    redirectUri: z.string().describe("Register this redirect URI at the identity provider"),
    signInUrl: z.string().describe("Where members start signing in"),
  })
  .meta({ id: "SsoSettings" });

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    "Not a domain name (example.com)",
  );
const ssoInput = z.object({
  issuer: z
    .url({ protocol: /^https?$/, error: "The issuer is the provider's https:// address" })
    .max(500, "At most 500 characters"),
  clientId: z.string().trim().min(1, "Enter the client id").max(500, "At most 500 characters"),
  clientSecret: z.string().min(1, "Enter the client secret").max(2000, "At most 2000 characters").optional(),
  allowedDomains: z.array(domain).max(50, "At most 50 domains").default([]),
  requireSso: z.boolean().default(false),
  jitRole: role
    .exclude(["OWNER"], { error: "Role must be one of ADMIN, EDITOR, OPERATOR, VIEWER, or null" })
    .nullable()
    .default(null),
  groupsClaim: z
    .string()
    .trim()
    .regex(/^[\w:.\-/]{1,100}$/, "A claim name: letters, digits and _ : . - /")
    .default("groups"),
});

export const ssoRouter = router({
  get: workspaceProcedure("workspace:update")
    .output(ssoSettings.nullable())
    .query(({ ctx }) => getSso(ctx.scope, ctx.baseUrl)),
  configure: workspaceProcedure("workspace:update")
    .input(ssoInput)
    .output(ssoSettings)
    .mutation(({ ctx, input }) => configureSso(ctx.scope, ctx.caller!, input, ctx.baseUrl)),
  remove: workspaceProcedure("workspace:update")
    .output(nothing)
    .mutation(({ ctx }) => removeSso(ctx.scope)),
  test: workspaceProcedure("workspace:update")
    .output(z.object({ ok: z.boolean(), message: z.string() }))
    .mutation(({ ctx }) => testSso(ctx.scope, ctx.baseUrl)),
});
