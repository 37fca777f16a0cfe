// API tokens: bearer credentials for the REST API, bound to one workspace and one role.
// The token is shown once; only its sha256 is stored.
import { createHash, randomBytes } from "node:crypto";
import { db } from "@/server/db/client";
import { AppError, notFound } from "@/server/errors";
import type { Caller, WorkspaceScope } from "@/server/tenancy/door";
import { type Role, roleRank } from "@/server/tenancy/roles";

const PREFIX = "baton_";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export async function createToken(scope: WorkspaceScope, input: { name: string; role: Role }) {
  if (roleRank[input.role] > roleRank[scope.role]) {
    throw new AppError("FORBIDDEN", "A token cannot have more power than its creator", [
      { path: "role", message: `At most ${scope.role.toLowerCase()}` },
    ]);
  }
  const token = `${PREFIX}${randomBytes(32).toString("base64url")}`;
  const created = await scope.db.apiToken.create({
    data: {
      workspaceId: scope.workspace.id,
      name: input.name,
      role: input.role,
      tokenHash: sha256(token),
      prefix: token.slice(0, PREFIX.length + 6),
      createdById: scope.actor.kind === "user" ? scope.actor.userId : null,
    },
    select: { id: true, name: true, role: true, prefix: true, createdAt: true },
  });
  await scope.audit("token.create", input.name, { tokenId: created.id, role: input.role });
  return { ...created, token };
}

export function listTokens(scope: WorkspaceScope) {
  return scope.db.apiToken.findMany({
    where: { revokedAt: null },
    select: { id: true, name: true, role: true, prefix: true, lastUsedAt: true, createdAt: true },
    orderBy: { createdAt: "desc" },
  });
}

export async function revokeToken(scope: WorkspaceScope, tokenId: string) {
  const { count } = await scope.db.apiToken.updateMany({
    where: { id: tokenId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw notFound("Token");
  await scope.audit("token.revoke", tokenId);
}

/** Resolves a bearer token to a caller, or throws UNAUTHORIZED. Records last use (at most once a minute). */
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
          lastUsedAt: true,
          workspace: { select: { slug: true } },
        },
      })
    : null;
  if (!token || token.revokedAt) throw new AppError("UNAUTHORIZED", "Invalid or revoked API token");
  if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: new Date() } });
  }
  return {
    kind: "token",
    tokenId: token.id,
    workspaceId: token.workspaceId,
    workspaceSlug: token.workspace.slug,
    role: token.role,
    name: token.name,
    ip,
  };
}
