// tRPC plumbing: context, error shape and the procedure builders. Every procedure that touches
// tenant data is built from workspaceProcedure(permission), which opens the workspace door once
// and hands the handler `ctx.scope`; handlers never see an unscoped client.
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import { AppError, type Problem } from "@/server/errors";
import { isPlatformAdmin } from "@/server/platform/admins";
import { type Caller, openWorkspace } from "@/server/tenancy/door";
import type { Permission } from "@/server/tenancy/roles";
import { workspaceSlug } from "@/server/validation";

export interface Context {
  caller: Caller | null;
  /** A session still owing its second factor (the caller is null meanwhile). */
  pendingSession?: { userId: string; sessionId: string; email: string } | null;
  ip: string;
  /** Origin the caller reached us on, for links in invitations and webhooks. */
  baseUrl: string;
}

export interface ProcedureMeta {
  /** The permission a workspace procedure requires (read by the docs and the isolation suite). */
  permission?: Permission;
  /** Exposed on the REST API as METHOD /api/v1/path (see server/rest/routes.ts). */
  description?: string;
}

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error }) {
      return { ...shape, data: { ...shape.data, stack: undefined, problems: problemsOf(error) } };
    },
  });

/** Field problems from zod input errors or AppErrors, for inline form errors and 422 bodies. */
export function problemsOf(error: TRPCError): Problem[] {
  const cause = error.cause;
  if (cause instanceof AppError) return cause.problems;
  if (cause instanceof z.ZodError) {
    return cause.issues.map((issue) => ({ path: issue.path.join(".") || "(input)", message: issue.message }));
  }
  return [];
}

/** Domain errors become tRPC errors with the same code; anything else stays a 500 (and is logged). */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors);

export const userProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.caller?.kind !== "user") throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  return next({ ctx: { ...ctx, user: ctx.caller } });
});

/**
 * For the second step of signing in: a session that gave its password (or provider) and owes its
 * second factor. It can do nothing else.
 */
export const secondStepProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.pendingSession) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in with your password first" });
  }
  return next({ ctx: { ...ctx, pending: ctx.pendingSession } });
});

/**
 * For the platform console: a signed-in user whose account is a platform administrator (read
 * afresh on every call). API tokens act inside one workspace and never count as administrators.
 */
export const platformAdminProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (!ctx.caller) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  if (ctx.caller.kind !== "user" || !(await isPlatformAdmin(ctx.caller.userId))) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Only platform administrators can do this" });
  }
  return next({ ctx: { ...ctx, admin: { userId: ctx.caller.userId, email: ctx.caller.email, ip: ctx.ip } } });
});

/** A procedure acting inside one workspace, for members holding `permission` (or tokens with it). */
export function workspaceProcedure(permission: Permission) {
  return publicProcedure
    .meta({ permission })
    .input(z.object({ workspace: workspaceSlug }))
    .use(async ({ ctx, input, next }) => {
      if (!ctx.caller) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
      const scope = await openWorkspace(ctx.caller, input.workspace, permission);
      return next({ ctx: { ...ctx, scope } });
    });
}
