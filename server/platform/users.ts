// The platform console's view of user accounts: every account of the installation, and what an
// operator answering a support ticket or stopping an abuser does to one: disable (and enable),
// hand over a password reset link, end every session. Each is recorded in the installation's
// audit log under the administrator's name, in the transaction that makes it.
import type { Prisma } from "@/prisma/generated/client";
import { issueLink, linkUrl } from "@/server/auth/email-links";
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { mailEnabled, sendMail } from "@/server/mail/send";
import { type PlatformAdmin, recordPlatformEvent } from "./audit";

/** The columns the Users page sorts by. */
export const userSorts = ["email", "name", "created"] as const;
export type UserSort = (typeof userSorts)[number];

/** One page of the accounts whose e-mail or name contains `search`, with how many match in all. */
export async function listUsers(input: {
  search?: string;
  sort: UserSort;
  direction: Prisma.SortOrder;
  page: number;
  pageSize: number;
}) {
  const search = input.search?.trim();
  const where: Prisma.UserWhereInput = search
    ? {
        OR: [
          { email: { contains: search, mode: "insensitive" } },
          { name: { contains: search, mode: "insensitive" } },
        ],
      }
    : {};
  const primary: Prisma.UserOrderByWithRelationInput =
    input.sort === "created"
      ? { createdAt: input.direction }
      : input.sort === "name"
        ? { name: input.direction }
        : { email: input.direction };
  const [total, rows] = await Promise.all([
    db.user.count({ where }),
    db.user.findMany({
      where,
      // The e-mail is unique: ties keep one order from page to page.
      orderBy: [primary, { email: "asc" }],
      skip: (input.page - 1) * input.pageSize,
      take: input.pageSize,
      select: {
        id: true,
        email: true,
        name: true,
        createdAt: true,
        emailVerifiedAt: true,
        platformAdmin: true,
        disabledAt: true,
        _count: { select: { memberships: true } },
      },
    }),
  ]);
  const ids = rows.map((u) => u.id);
  const sessions = await db.session.groupBy({
    by: ["userId"],
    where: { userId: { in: ids }, endedAt: null },
    _count: { _all: true },
    _max: { lastSeenAt: true },
  });
  const sessionsOf = new Map(sessions.map((s) => [s.userId, s]));
  return {
    users: rows.map(({ _count, ...u }) => ({
      ...u,
      workspaces: _count.memberships,
      /** Sessions not ended (one unseen for 30 days has ended too, whatever this counts). */
      liveSessions: sessionsOf.get(u.id)?._count._all ?? 0,
      lastSeenAt: sessionsOf.get(u.id)?._max.lastSeenAt ?? null,
    })),
    total,
    page: input.page,
    pageSize: input.pageSize,
  };
}

async function findUser(tx: Prisma.TransactionClient, userId: string) {
  const user = await tx.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, disabledAt: true },
  });
  if (!user) throw new AppError("NOT_FOUND", "User not found");
  return user;
}

async function endSessionsIn(tx: Prisma.TransactionClient, userId: string): Promise<number> {
  const { count } = await tx.session.updateMany({
    where: { userId, endedAt: null },
    data: { endedAt: new Date() },
  });
  return count;
}

/**
 * Disables an account: it cannot sign in (any way), its sessions end at once and its API tokens
 * are refused until it is enabled again. Its memberships and everything it made stay. An
 * administrator cannot disable their own account (the console would lock them out mid-action).
 */
export async function disableUser(admin: PlatformAdmin, input: { userId: string; reason: string }) {
  if (input.userId === admin.userId) {
    throw new AppError("BAD_REQUEST", "You cannot disable your own account", [
      { path: "userId", message: "You cannot disable your own account" },
    ]);
  }
  return db.$transaction(async (tx) => {
    const user = await findUser(tx, input.userId);
    if (user.disabledAt) return { email: user.email, disabled: true, changed: false };
    await tx.user.update({ where: { id: user.id }, data: { disabledAt: new Date() } });
    const sessionsEnded = await endSessionsIn(tx, user.id);
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [],
      action: "platform.user.disable",
      target: user.email,
      metadata: { userId: user.id, reason: input.reason, sessionsEnded },
    });
    return { email: user.email, disabled: true, changed: true };
  });
}

export async function enableUser(admin: PlatformAdmin, input: { userId: string }) {
  return db.$transaction(async (tx) => {
    const user = await findUser(tx, input.userId);
    if (!user.disabledAt) return { email: user.email, disabled: false, changed: false };
    await tx.user.update({ where: { id: user.id }, data: { disabledAt: null } });
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [],
      action: "platform.user.enable",
      target: user.email,
      metadata: { userId: user.id, disabledAt: user.disabledAt.toISOString() },
    });
    return { email: user.email, disabled: false, changed: true };
  });
}

/** Ends every session of the account (it signs in again; nothing else changes). */
export async function revokeUserSessions(admin: PlatformAdmin, input: { userId: string }) {
  return db.$transaction(async (tx) => {
    const user = await findUser(tx, input.userId);
    const sessionsEnded = await endSessionsIn(tx, user.id);
    await recordPlatformEvent(tx, admin, {
      workspaceIds: [],
      action: "platform.user.revoke_sessions",
      target: user.email,
      metadata: { userId: user.id, sessionsEnded },
    });
    return { email: user.email, sessionsEnded };
  });
}

/**
 * A password reset link for the account (single-use, 30 minutes; using it ends every session), sent
 * to its address when this installation sends e-mail and shown to the administrator to hand over
 * otherwise. The current password keeps working until the link is used.
 */
export async function resetUserPassword(admin: PlatformAdmin, input: { userId: string }, baseUrl: string) {
  const user = await findUser(db, input.userId);
  if (user.disabledAt) {
    throw new AppError(
      "CONFLICT",
      `${user.email} is disabled: enable the account before resetting its password`,
    );
  }
  const { secret } = await issueLink("reset_password", { email: user.email, userId: user.id });
  const link = linkUrl(baseUrl, "reset_password", secret);
  const emailed = mailEnabled();
  if (emailed) {
    await sendMail({
      to: user.email,
      subject: "Reset your Baton password",
      text: `An administrator of this Baton installation sent you a link to choose a new password:\n\n${link}\n\nIt works once, within 30 minutes. Until you use it, your password stays as it is.`,
    });
  }
  await db.$transaction((tx) =>
    recordPlatformEvent(tx, admin, {
      workspaceIds: [],
      action: "platform.user.reset_password",
      target: user.email,
      metadata: { userId: user.id, emailed },
    }),
  );
  return { email: user.email, emailed, link };
}
