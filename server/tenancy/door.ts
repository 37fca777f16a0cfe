// The workspace door: the one way request handlers and jobs reach tenant data. It resolves the
// caller's membership (or API token) in the workspace, answers NOT_FOUND to non-members so other
// tenants' workspaces stay invisible, checks the permission, and hands back a client scoped to
// that workspace. It also holds the Workspace row's quota lock (lockWorkspaceQuotas), which the
// services that count rows against a workspace total share.
import { Prisma } from "@/prisma/generated/client";
import { hasSecondFactor } from "@/server/auth/factors";
import { db } from "@/server/db/client";
import { AppError, notFound } from "@/server/errors";
import { addToContext } from "@/server/observability/context";
import { type Quotas, quotaKeys } from "@/server/quotas/catalog";
import { suspendedTokenMessage } from "@/server/quotas/errors";
import { folderRolesOf, foldersAllowing } from "./folders";
import { can, folderPermissions, higherRole, type Permission, type Role } from "./roles";
import { type ScopedDb, type ScopedTx, scopedDb } from "./scoped-db";

export type { ScopedTx };

export type Actor =
  | { kind: "user"; userId: string; label: string }
  | { kind: "token"; tokenId: string; label: string /** the member it acts for */; creatorId: string | null }
  | { kind: "system"; label: string };

export interface WorkspaceScope {
  workspace: { id: string; slug: string; name: string };
  actor: Actor;
  role: Role;
  db: ScopedDb;
  /**
   * Null when the workspace role allows the procedure's permission (everything in the workspace is
   * in reach); otherwise the folders whose grants allow it, the only ones `db` reaches (folders.ts).
   */
  folders: readonly string[] | null;
  can(permission: Permission): boolean;
  /** Records an audit event in this workspace, attributed to the actor. */
  audit(action: string, target?: string | null, metadata?: Record<string, unknown>): Promise<void>;
  /** The caller's address, recorded with its audit events (none for jobs and the system). */
  ip?: string;
}

export type Caller =
  | {
      kind: "user";
      userId: string;
      email: string;
      ip?: string /** the browser session */;
      sessionId?: string;
      /** How the session signed in (sso:<workspaceId> for a workspace's single sign-on). */
      sessionMethod?: string;
    }
  | {
      kind: "token";
      tokenId: string;
      /** The member the token acts for (null: made by the operator's CLI). */
      creatorId: string | null;
      workspaceId: string;
      workspaceSlug: string;
      /** The workspace's REST API budget (quota apiRateLimitPerMinute), read with the token. */
      apiRateLimitPerMinute: number;
      role: Role;
      name: string;
      ip?: string;
    };

/** Permissions that change nothing: what an API token keeps while its workspace is suspended. */
const readPermissions: ReadonlySet<Permission> = new Set<Permission>([
  "workspace:read",
  "members:read",
  "config:read",
  "audit:read",
]);

/**
 * Opens `slug` for `caller`, requiring `permission`. With `folderGrants`, a member whose workspace
 * role lacks the permission may still enter through their folder grants: the scope then reaches
 * only the folders whose grants allow it (procedures built for that say so: trpc.ts).
 */
export async function openWorkspace(
  caller: Caller,
  slug: string,
  permission: Permission,
  options: { folderGrants?: boolean } = {},
): Promise<WorkspaceScope> {
  const found = await db.workspace.findUnique({
    where: { slug },
    select: {
      id: true,
      slug: true,
      name: true,
      requireTwoFactor: true,
      sso: { select: { requireSso: true } },
      suspendedAt: true,
      suspendedReason: true,
      deletedAt: true,
    },
  });
  const workspace = found && { id: found.id, slug: found.slug, name: found.name };
  let role: Role | undefined;
  let actor: Actor;
  if (caller.kind === "user") {
    actor = { kind: "user", userId: caller.userId, label: caller.email };
    if (workspace) role = (await memberRole(workspace.id, caller.userId))?.role;
  } else {
    actor = {
      kind: "token",
      tokenId: caller.tokenId,
      label: `token ${caller.name}`,
      creatorId: caller.creatorId,
    };
    if (workspace?.id === caller.workspaceId) role = caller.role;
  }
  // A deleted workspace (in its grace period) is gone for everyone but the platform console.
  if (!workspace || !role || found?.deletedAt) throw notFound("Workspace");
  // A session from a workspace's single sign-on is that provider's word only: it enters that
  // workspace and no other (server/sso/sign-in.ts).
  const ssoSession = caller.kind === "user" ? caller.sessionMethod?.match(/^sso:(.+)$/)?.[1] : undefined;
  if (ssoSession && ssoSession !== workspace.id) throw notFound("Workspace");
  // Tokens are exempt, as from two factors: they act for their creator, who had to enter to make them.
  if (found?.sso?.requireSso && caller.kind === "user" && ssoSession !== workspace.id) {
    throw new AppError("FORBIDDEN", "This workspace asks its members to sign in through its single sign-on", [
      { path: "sso", message: `Sign in at /api/sso/${workspace.slug}` },
    ]);
  }
  // Tokens are exempt: they act for their creator, who had to enter to make them.
  if (found?.requireTwoFactor && caller.kind === "user" && !(await hasSecondFactor(caller.userId))) {
    throw new AppError("FORBIDDEN", "This workspace asks its members to sign in with two factors", [
      {
        path: "twoFactor",
        message: "Set up an authenticator app or a passkey on your account page, then come back",
      },
    ]);
  }
  let folders: string[] | null = null;
  if (!can(role, permission)) {
    // Folder grants are a member's (tokens carry a workspace role only) and reach folder contents only.
    if (options.folderGrants && caller.kind === "user" && folderPermissions.has(permission)) {
      folders = foldersAllowing(await folderRolesOf(workspace.id, caller.userId), permission);
    }
    if (!folders?.length) {
      throw new AppError("FORBIDDEN", `Your role (${role.toLowerCase()}) does not allow this: ${permission}`);
    }
  }
  // A suspended workspace is read-only to scripts: no DAG pushes, variables or runs by token.
  if (caller.kind === "token" && found?.suspendedAt && !readPermissions.has(permission)) {
    throw new AppError("FORBIDDEN", suspendedTokenMessage(found.suspendedReason));
  }
  return buildScope(workspace, role, actor, caller.ip, folders);
}

/**
 * What a member may do in a workspace: the highest of their own role and the roles granted to their
 * groups, with where it comes from (`via`: the group that lifts it, null when it is their own).
 * Null for someone who is not a member. Tokens act with the lower of their role and this.
 */
export async function memberRole(
  workspaceId: string,
  userId: string,
): Promise<{ role: Role; via: string | null } | null> {
  const membership = await db.membership.findUnique({
    where: { workspaceId_userId: { workspaceId, userId } },
    select: { role: true, groups: { select: { group: { select: { name: true, role: true } } } } },
  });
  if (!membership) return null;
  return effectiveRole(
    membership.role,
    membership.groups.map((g) => g.group),
  );
}

/** The highest of a member's own role and their groups' roles, and the group it comes from. */
export function effectiveRole(
  own: Role,
  groups: { name: string; role: Role | null }[],
): { role: Role; via: string | null } {
  let best: { role: Role; via: string | null } = { role: own, via: null };
  for (const group of groups) {
    if (group.role && higherRole(group.role, best.role) !== best.role)
      best = { role: group.role, via: group.name };
  }
  return best;
}

/** For background jobs: the payload names the workspace; the job acts as the system. */
export async function systemScope(workspaceId: string): Promise<WorkspaceScope> {
  const workspace = await db.workspace.findUnique({
    where: { id: workspaceId },
    select: { id: true, slug: true, name: true },
  });
  if (!workspace) throw notFound("Workspace");
  return buildScope(workspace, "OWNER", { kind: "system", label: "system" });
}

function buildScope(
  workspace: WorkspaceScope["workspace"],
  role: Role,
  actor: Actor,
  ip?: string,
  folders: readonly string[] | null = null,
): WorkspaceScope {
  const scoped = scopedDb(workspace.id, folders);
  // Whatever the request or job logs from here on names the workspace.
  addToContext({ workspaceId: workspace.id });
  return {
    workspace,
    actor,
    role,
    db: scoped,
    folders,
    ip,
    can: (permission) => can(role, permission),
    audit: async (action, target, metadata = {}) => {
      await scoped.auditEvent.create({
        data: {
          actor: actorId(actor),
          actorLabel: actor.label,
          action,
          target: target ?? null,
          metadata: metadata as object,
          ip: ip ?? null,
        },
      });
    },
  };
}

export function actorId(actor: Actor): string {
  if (actor.kind === "user") return actor.userId;
  if (actor.kind === "token") return `token:${actor.tokenId}`;
  return "system";
}

const quotaColumns = Prisma.join(quotaKeys.map((key) => Prisma.raw(`"${key}"`)));

/**
 * Locks the workspace's row until the end of `tx` and answers its quotas. Writers that count rows
 * against a workspace total (DAGs, members, pools) take it before counting: concurrent ones would
 * each miss the others' uncommitted rows, so under the lock they count one after the other. FOR NO
 * KEY UPDATE does not block writes that merely reference the workspace (foreign-key checks take
 * KEY SHARE), so runs and other pushes go on meanwhile.
 *
 * `tx` is the unscoped client's transaction or a scope's. The Workspace row is not a tenant model,
 * so it is reached with raw SQL by the workspace's own id; a scope's transaction is a Prisma
 * transaction underneath, its type only hides raw SQL from handlers.
 */
export async function lockWorkspaceQuotas(
  tx: Prisma.TransactionClient | ScopedTx,
  workspaceId: string,
): Promise<Quotas> {
  const raw = tx as Pick<Prisma.TransactionClient, "$queryRaw">;
  const [quotas] = await raw.$queryRaw<Quotas[]>`
    SELECT ${quotaColumns} FROM "Workspace" WHERE id = ${workspaceId}::uuid FOR NO KEY UPDATE`;
  if (!quotas) throw notFound("Workspace");
  return quotas;
}
