// tRPC plumbing: context, error shape and the procedure builders. Every procedure that touches
// tenant data is built from workspaceProcedure(permission), which opens the workspace door once
// and hands the handler `ctx.scope`; handlers never see an unscoped client.
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import { isDataException } from "@/server/engine/storable";
import { AppError, notFound, type Problem } from "@/server/errors";
import { currentContext } from "@/server/observability/context";
import { isPlatformAdmin } from "@/server/platform/admins";
import type { PlatformAdmin } from "@/server/platform/audit";
import type { PlatformTokenCaller } from "@/server/platform/tokens";
import { type Caller, openWorkspace, type WorkspaceScope } from "@/server/tenancy/door";
import type { Permission } from "@/server/tenancy/roles";
import { unacceptableInput, workspaceSlug } from "@/server/validation";

export interface Context {
  caller: Caller | null;
  /** A session still owing its second factor (the caller is null meanwhile). */
  pendingSession?: { userId: string; sessionId: string; email: string } | null;
  /** A platform token (server/platform/tokens.ts): the console's procedures only (caller is null). */
  platformToken?: PlatformTokenCaller | null;
  ip: string;
  /** Origin the caller reached us on, for links in invitations and webhooks. */
  baseUrl: string;
}

export interface ProcedureMeta {
  /** The permission a workspace procedure requires (read by the docs and the isolation suite). */
  permission?: Permission;
  /** Exposed on the REST API as METHOD /api/v1/path (see server/rest/routes.ts). */
  description?: string;
  /** Whether folder grants can give the permission, and how (FolderUse). */
  folders?: FolderUse;
}

/**
 * How a procedure serves a member acting through folder grants (tenancy/folders.ts). "scoped": all
 * it reads and writes goes through the scoped client, which keeps to the caller's folders (lists,
 * creates, lookups). A target ("dag", "run", …): it names one object by its input (`dagId`,
 * `runId`, `key`, `name`), which the door finds among the caller's folders before the handler runs
 * (NOT_FOUND otherwise), for handlers that reach it by plain SQL. "none": it reads no folder data.
 * Procedures without it keep to the workspace role.
 */
export type FolderUse = "scoped" | "none" | "dag" | "run" | "variable" | "secret" | "connection";

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error }) {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        // Our own failure: logged in full with the request id (the route's onError); the caller
        // gets the id to quote, never the internal message.
        const { requestId } = currentContext();
        return {
          ...shape,
          message: internalMessage(requestId),
          data: { ...shape.data, stack: undefined, problems: [], requestId },
        };
      }
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

/** What a 500 says: that it is ours, and the request id to quote. */
export const internalMessage = (requestId: string | undefined) =>
  `Something went wrong on our side${requestId ? ` (request ${requestId})` : ""}`;

/**
 * Domain errors become tRPC errors with the same code. A value PostgreSQL refused as data (SQLSTATE
 * class 22, Prisma's P2000/P2020/P2033: out of range, too long, unstorable) is the request's fault
 * that a schema did not catch: 400, saying so without the database's words. Anything else stays a
 * 500 (logged, answered with the request id only).
 */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof AppError) throw new TRPCError({ code: cause.code, message: cause.message, cause });
  if (refusedAsData(cause)) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: "A value in the request is out of range or cannot be stored",
      cause: new AppError("BAD_REQUEST", "A value in the request is out of range or cannot be stored"),
    });
  }
  return result;
});
/** Prisma's codes for a value the database refused as data. */
const refusedData = new Set(["P2000", "P2007", "P2020", "P2033"]);

/**
 * Whether an error (or one it wraps: Prisma's driver-adapter errors carry PostgreSQL's) is the
 * database refusing a value as data: SQLSTATE class 22, or Prisma's equivalents.
 */
function refusedAsData(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== "object" || depth > 4) return false;
  if (isDataException(error)) return true;
  const { code, kind, cause } = error as { code?: unknown; kind?: unknown; cause?: unknown };
  if (typeof code === "string" && (code.startsWith("22") || refusedData.has(code))) return true;
  if (kind === "LengthMismatch" || kind === "ValueOutOfRange") return true;
  return refusedAsData(cause, depth + 1);
}

/**
 * Refuses, before any schema, what no input may hold (server/validation.ts unacceptableInput): NUL
 * and lone surrogates, which PostgreSQL cannot store, and nesting past 32 levels. 400 naming the field.
 */
const guardInput = t.middleware(async ({ getRawInput, next }) => {
  const problem = unacceptableInput(await getRawInput());
  if (problem) {
    const message = `${problem.path}: ${problem.message}`;
    throw new TRPCError({
      code: "BAD_REQUEST",
      message,
      cause: new AppError("BAD_REQUEST", message, [problem]),
    });
  }
  return next();
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(guardInput).use(mapErrors);

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
 * afresh on every call), or a platform token made by one who still is. Workspace API tokens act
 * inside one workspace and never count as administrators.
 */
export const platformAdminProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const token = ctx.platformToken;
  if (token) {
    if (!(await isPlatformAdmin(token.userId))) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: "The administrator who made this platform token no longer is one",
      });
    }
    return next({
      ctx: { ...ctx, admin: { userId: token.userId, email: token.email, ip: ctx.ip, tokenName: token.name } },
    });
  }
  if (!ctx.caller) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  if (ctx.caller.kind !== "user" || !(await isPlatformAdmin(ctx.caller.userId))) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Only platform administrators can do this" });
  }
  return next({
    ctx: {
      ...ctx,
      admin: { userId: ctx.caller.userId, email: ctx.caller.email, ip: ctx.ip } as PlatformAdmin,
    },
  });
});

/** Console procedures a platform token may not use (making tokens): a signed-in administrator only. */
export const platformSessionProcedure = platformAdminProcedure.use(({ ctx, next }) => {
  if (ctx.admin.tokenName) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "Platform tokens are made and revoked in the console",
    });
  }
  return next();
});

/**
 * A procedure acting inside one workspace, for members holding `permission` (or tokens with it),
 * or, with `folders`, holding it through folder grants on the folders they may then reach.
 */
export function workspaceProcedure(permission: Permission, folders?: FolderUse) {
  return publicProcedure
    .meta({ permission, folders })
    .input(z.object({ workspace: workspaceSlug }))
    .use(async ({ ctx, input, getRawInput, next }) => {
      if (!ctx.caller) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
      const scope = await openWorkspace(ctx.caller, input.workspace, permission, {
        folderGrants: folders !== undefined,
      });
      if (scope.folders && folders) await findTarget(scope, folders, await getRawInput());
      return next({ ctx: { ...ctx, scope } });
    });
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * For a folder-restricted scope: the object the input names must be in one of its folders (its
 * scoped client finds only those). Input not yet validated is left to the procedure's schema.
 */
async function findTarget(scope: WorkspaceScope, use: FolderUse, raw: unknown): Promise<void> {
  const input = (raw ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof input[key] === "string" ? (input[key] as string) : undefined);
  let found: unknown = true;
  if (use === "dag" && text("dagId")) {
    found = await scope.db.dag.findFirst({ where: { key: text("dagId") }, select: { id: true } });
    if (!found) throw notFound("DAG");
  } else if (use === "run" && text("runId") && uuidPattern.test(text("runId")!)) {
    found = await scope.db.dagRun.findFirst({ where: { id: text("runId") }, select: { id: true } });
    if (!found) throw notFound("Run");
  } else if (use === "variable" && text("key")) {
    found = await scope.db.variable.findFirst({ where: { key: text("key") }, select: { id: true } });
    if (!found) throw notFound("Variable");
  } else if (use === "secret" && text("name")) {
    found = await scope.db.secret.findFirst({ where: { name: text("name") }, select: { id: true } });
    if (!found) throw notFound("Secret");
  } else if (use === "connection" && text("name")) {
    found = await scope.db.connection.findFirst({ where: { name: text("name") }, select: { id: true } });
    if (!found) throw notFound("Connection");
  }
}
