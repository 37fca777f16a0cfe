// Platform tokens: bearer credentials for the console's operations on the REST API
// (/api/v1/platform/*), for billing exports, monitoring and scripts an installation's operators
// run. A platform token belongs to no workspace; it acts as the administrator who made it, and
// only while that account is still an administrator and not disabled (checked on every request).
// Workspace tokens never reach these operations, and platform tokens reach nothing else. Like
// workspace tokens they expire (90 days unless chosen otherwise) and are shown once; only their
// sha256 is stored.
import { createHash, randomBytes } from "node:crypto";
import { db } from "@/server/db/client";
import { AppError, notFound } from "@/server/errors";
import { type PlatformAdmin, recordPlatformEvent } from "./audit";

/** Distinct from workspace tokens' `baton_`, so the REST API knows which kind it was sent. */
export const PLATFORM_TOKEN_PREFIX = "batonp_";
export const DEFAULT_PLATFORM_TOKEN_DAYS = 90;
/** Each platform token's REST budget (workspace tokens have their workspace's quota instead). */
export const PLATFORM_TOKEN_RATE_PER_MINUTE = 600;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export async function createPlatformToken(
  admin: PlatformAdmin,
  input: { name: string; expiresInDays?: number | null },
) {
  const days = input.expiresInDays === undefined ? DEFAULT_PLATFORM_TOKEN_DAYS : input.expiresInDays;
  const token = `${PLATFORM_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  return db.$transaction(async (tx) => {
    const created = await tx.platformToken.create({
      data: {
        name: input.name,
        tokenHash: sha256(token),
        prefix: token.slice(0, PLATFORM_TOKEN_PREFIX.length + 6),
        createdById: admin.userId,
        expiresAt: days === null ? null : new Date(Date.now() + days * 86_400_000),
      },
      select: { id: true, name: true, prefix: true, expiresAt: true, createdAt: true },
    });
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [null],
      action: "platform.token.create",
      target: input.name,
      metadata: { tokenId: created.id, expiresAt: created.expiresAt?.toISOString() ?? null },
    });
    return { ...created, token };
  });
}

/** Every unrevoked platform token (expired ones too, marked), newest first, with its maker. */
export async function listPlatformTokens() {
  const now = Date.now();
  const tokens = await db.platformToken.findMany({
    where: { revokedAt: null },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 500,
    select: {
      id: true,
      name: true,
      prefix: true,
      lastUsedAt: true,
      lastUsedIp: true,
      expiresAt: true,
      createdAt: true,
      createdBy: { select: { email: true, platformAdmin: true, disabledAt: true } },
    },
  });
  return tokens.map(({ createdBy, ...token }) => ({
    ...token,
    createdBy: createdBy.email,
    expired: token.expiresAt !== null && token.expiresAt.getTime() <= now,
    /** Its maker is no longer an administrator, or is disabled: it is refused meanwhile. */
    inactive: !createdBy.platformAdmin || createdBy.disabledAt !== null,
  }));
}

export async function revokePlatformToken(admin: PlatformAdmin, input: { tokenId: string }) {
  await db.$transaction(async (tx) => {
    const token = await tx.platformToken.findFirst({
      where: { id: input.tokenId, revokedAt: null },
      select: { name: true },
    });
    if (!token) throw notFound("Platform token");
    await tx.platformToken.update({ where: { id: input.tokenId }, data: { revokedAt: new Date() } });
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [null],
      action: "platform.token.revoke",
      target: token.name,
      metadata: { tokenId: input.tokenId },
    });
  });
}

const invalid = () => new AppError("UNAUTHORIZED", "Invalid, expired or revoked platform token");

/** Who a platform token acts for, as the console's procedures see their caller. */
export interface PlatformTokenCaller {
  tokenId: string;
  name: string;
  userId: string;
  email: string;
  ip?: string;
}

/**
 * Resolves a platform token, or throws UNAUTHORIZED: unknown, revoked, expired, or its maker is
 * disabled. (Whether the maker is still an administrator is the procedures' check, as for a
 * session: FORBIDDEN.) Records last use and its address, at most once a minute from one address.
 */
export async function authenticatePlatformToken(raw: string, ip?: string): Promise<PlatformTokenCaller> {
  const token = await db.platformToken.findUnique({
    where: { tokenHash: sha256(raw) },
    select: {
      id: true,
      name: true,
      revokedAt: true,
      expiresAt: true,
      lastUsedAt: true,
      lastUsedIp: true,
      createdById: true,
      createdBy: { select: { email: true, disabledAt: true } },
    },
  });
  if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= new Date())) throw invalid();
  if (token.createdBy.disabledAt) throw invalid();
  if (
    !token.lastUsedAt ||
    Date.now() - token.lastUsedAt.getTime() > 60_000 ||
    (ip !== undefined && ip !== token.lastUsedIp)
  ) {
    await db.platformToken.update({
      where: { id: token.id },
      data: { lastUsedAt: new Date(), ...(ip !== undefined ? { lastUsedIp: ip } : {}) },
    });
  }
  return { tokenId: token.id, name: token.name, userId: token.createdById, email: token.createdBy.email, ip };
}
