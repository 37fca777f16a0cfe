// API tokens: bearer credentials for the REST API, bound to one workspace and to the member who
// made them. A token acts with the lower of its own role and its creator's current role in the
// workspace, and stops working when its creator leaves (their tokens are revoked then, and the
// check is made on every request besides). Tokens expire (90 days unless chosen otherwise; "no
// expiry" is explicit). The token is shown once; only its sha256 is stored.
import { createHash, randomBytes } from "node:crypto";
import { db } from "@/server/db/client";
import { AppError, notFound } from "@/server/errors";
import { keyset, type PageInput } from "@/server/pagination";
import {
  type Actor,
  type Caller,
  effectiveRole,
  memberRole,
  type WorkspaceScope,
} from "@/server/tenancy/door";
import { lowerRole, type Role, roleRank } from "@/server/tenancy/roles";

const PREFIX = "baton_";
export const DEFAULT_TOKEN_DAYS = 90;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The member a new token acts for: a person, or the person behind the token making it. */
function creatorOf(actor: Actor): string | null {
  if (actor.kind === "user") return actor.userId;
  if (actor.kind === "token") return actor.creatorId;
  return null; // the operator's CLI
}

export async function createToken(
  scope: WorkspaceScope,
  input: { name: string; role: Role; expiresInDays?: number | null },
) {
  if (roleRank[input.role] > roleRank[scope.role]) {
    throw new AppError("FORBIDDEN", "A token cannot have more power than its creator", [
      { path: "role", message: `At most ${scope.role.toLowerCase()}` },
    ]);
  }
  const days = input.expiresInDays === undefined ? DEFAULT_TOKEN_DAYS : input.expiresInDays;
  const token = `${PREFIX}${randomBytes(32).toString("base64url")}`;
  const created = await scope.db.apiToken.create({
    data: {
      workspaceId: scope.workspace.id,
      name: input.name,
      role: input.role,
      tokenHash: sha256(token),
      prefix: token.slice(0, PREFIX.length + 6),
      createdById: creatorOf(scope.actor),
      expiresAt: days === null ? null : new Date(Date.now() + days * 86_400_000),
    },
    select: { id: true, name: true, role: true, prefix: true, expiresAt: true, createdAt: true },
  });
  await scope.audit("token.create", input.name, {
    tokenId: created.id,
    role: input.role,
    expiresAt: created.expiresAt?.toISOString() ?? null,
  });
  return { ...created, token };
}

const tokensOrder = keyset([
  ["createdAt", "desc", "date"],
  ["id", "desc"],
]);

/** Unrevoked tokens, newest first (expired ones too, marked, so people see why a script stopped). */
export async function listTokens(scope: WorkspaceScope, input: PageInput) {
  const now = Date.now();
  return tokensOrder.page(
    input,
    ({ where, ...query }) =>
      scope.db.apiToken.findMany({
        ...query,
        where: { revokedAt: null, ...where },
        select: {
          id: true,
          name: true,
          role: true,
          prefix: true,
          lastUsedAt: true,
          lastUsedIp: true,
          expiresAt: true,
          createdAt: true,
          createdBy: {
            select: {
              email: true,
              name: true,
              memberships: {
                where: { workspaceId: scope.workspace.id },
                select: { role: true, groups: { select: { group: { select: { name: true, role: true } } } } },
              },
            },
          },
        },
      }),
    ({ createdBy, ...token }) => {
      const membership = createdBy?.memberships[0];
      const creatorRole =
        membership &&
        effectiveRole(
          membership.role,
          membership.groups.map((g) => g.group),
        ).role;
      return {
        ...token,
        /** What the token can do now: its role, lowered to its creator's current one. */
        effectiveRole: creatorRole ? lowerRole(token.role, creatorRole) : token.role,
        createdBy: createdBy ? { email: createdBy.email, name: createdBy.name } : null,
        expired: token.expiresAt !== null && token.expiresAt.getTime() <= now,
      };
    },
  );
}

export async function revokeToken(scope: WorkspaceScope, tokenId: string) {
  const { count } = await scope.db.apiToken.updateMany({
    where: { id: tokenId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw notFound("Token");
  await scope.audit("token.revoke", tokenId);
}

const invalid = () => new AppError("UNAUTHORIZED", "Invalid, expired or revoked API token");

/**
 * Resolves a bearer token to a caller, or throws UNAUTHORIZED. Records last use and its address
 * (at most once a minute from one address).
 */
export async function authenticateToken(raw: string, ip?: string): Promise<Caller & { kind: "token" }> {
  const token = raw.startsWith(PREFIX)
    ? await db.apiToken.findUnique({
        where: { tokenHash: sha256(raw) },
        select: {
          id: true,
          name: true,
          role: true,
          workspaceId: true,
          revokedAt: true,
          expiresAt: true,
          lastUsedAt: true,
          lastUsedIp: true,
          createdById: true,
          createdBy: { select: { disabledAt: true } },
          workspace: { select: { slug: true, apiRateLimitPerMinute: true } },
        },
      })
    : null;
  if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= new Date())) throw invalid();
  // A disabled account's tokens stop with it (they work again if it is enabled).
  if (token.createdBy?.disabledAt) throw invalid();
  let role = token.role;
  if (token.createdById) {
    const membership = await memberRole(token.workspaceId, token.createdById);
    // Its creator left the workspace: removal revokes their tokens, and this holds meanwhile.
    if (!membership) throw invalid();
    role = lowerRole(token.role, membership.role);
  }
  if (
    !token.lastUsedAt ||
    Date.now() - token.lastUsedAt.getTime() > 60_000 ||
    (ip !== undefined && ip !== token.lastUsedIp)
  ) {
    await db.apiToken.update({
      where: { id: token.id },
      data: { lastUsedAt: new Date(), ...(ip !== undefined ? { lastUsedIp: ip } : {}) },
    });
  }
  return {
    kind: "token",
    tokenId: token.id,
    creatorId: token.createdById,
    workspaceId: token.workspaceId,
    workspaceSlug: token.workspace.slug,
    apiRateLimitPerMinute: token.workspace.apiRateLimitPerMinute,
    role,
    name: token.name,
    ip,
  };
}
