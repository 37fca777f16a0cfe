// Members, roles and invitations of a workspace.
import { createHash, randomBytes } from "node:crypto";
import type { Prisma } from "@/prisma/generated/client";
import { requireVerifiedAddress } from "@/server/auth/email-address";
import { db } from "@/server/db/client";
import { AppError, notFound } from "@/server/errors";
import { sendMail } from "@/server/mail/send";
import { checkQuotaAlerts } from "@/server/notifications/quota-alerts";
import { keyset, type PageInput } from "@/server/pagination";
import { quotaReached } from "@/server/quotas/limits";
import { effectiveRole, lockWorkspaceQuotas, type WorkspaceScope } from "@/server/tenancy/door";
import type { Role } from "@/server/tenancy/roles";

const INVITATION_DAYS = 7;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const membersOrder = keyset([
  ["createdAt", "asc", "date"],
  ["id", "asc"],
]);

/** Members, longest-standing first. */
export async function listMembers(scope: WorkspaceScope, input: PageInput) {
  const page = await membersOrder.page(input, (query) =>
    scope.db.membership.findMany({
      ...query,
      select: {
        id: true,
        role: true,
        createdAt: true,
        user: { select: { id: true, email: true, name: true } },
        groups: { select: { group: { select: { id: true, name: true, role: true } } } },
      },
    }),
  );
  const tokens = await scope.db.apiToken.groupBy({
    by: ["createdById"],
    where: {
      createdById: { in: page.items.map((m) => m.user.id) },
      revokedAt: null,
      OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }],
    },
    _count: { _all: true },
  });
  const tokenCount = new Map(tokens.map((t) => [t.createdById, t._count._all]));
  return {
    ...page,
    items: page.items.map((m) => {
      const groups = m.groups.map((g) => g.group).sort((x, y) => x.name.localeCompare(y.name));
      const effective = effectiveRole(m.role, groups);
      return {
        id: m.id,
        role: m.role,
        effectiveRole: effective.role,
        effectiveVia: effective.via,
        groups,
        joinedAt: m.createdAt,
        userId: m.user.id,
        email: m.user.email,
        name: m.user.name,
        /** Working API tokens they made here: removing them revokes these. */
        activeTokens: tokenCount.get(m.user.id) ?? 0,
      };
    }),
  };
}

const invitationsOrder = keyset([
  ["createdAt", "desc", "date"],
  ["id", "desc"],
]);

/** Pending invitations, newest first. */
export function listInvitations(scope: WorkspaceScope, input: PageInput) {
  return invitationsOrder.page(input, ({ where, ...query }) =>
    scope.db.invitation.findMany({
      ...query,
      where: { acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() }, ...where },
      select: { id: true, email: true, role: true, expiresAt: true, createdAt: true },
    }),
  );
}

/** Only Owners hand out, take away or change the Owner role. */
function assertCanManageRole(scope: WorkspaceScope, role: Role) {
  if (role === "OWNER" && scope.role !== "OWNER") {
    throw new AppError("FORBIDDEN", "Only an owner can grant, change or remove the owner role");
  }
}

export async function inviteMember(
  scope: WorkspaceScope,
  input: { email: string; role: Role; baseUrl: string },
) {
  assertCanManageRole(scope, input.role);
  const already = await scope.db.membership.findFirst({
    where: { user: { email: input.email } },
    select: { id: true },
  });
  if (already) {
    throw new AppError("CONFLICT", "This person is already a member", [
      { path: "email", message: "Already a member of this workspace" },
    ]);
  }
  const secret = randomBytes(24).toString("base64url");
  const invitation = await db.$transaction(async (tx) => {
    await assertSeatFor(tx, scope.workspace.id, input.email);
    return tx.invitation.create({
      data: {
        workspaceId: scope.workspace.id,
        email: input.email,
        role: input.role,
        tokenHash: sha256(secret),
        expiresAt: new Date(Date.now() + INVITATION_DAYS * 86_400_000),
        invitedById: scope.actor.kind === "user" ? scope.actor.userId : null,
      },
      select: { id: true, email: true, role: true, expiresAt: true },
    });
  });
  const link = `${input.baseUrl.replace(/\/$/, "")}/invite/${secret}`;
  const emailed = await sendMail({
    to: input.email,
    subject: `You are invited to ${scope.workspace.name} on Baton`,
    text: `${scope.actor.label} invited you to join ${scope.workspace.name} as ${input.role.toLowerCase()}.\n\nAccept: ${link}\n\nThe link works once and expires in ${INVITATION_DAYS} days.`,
  }).catch(() => false);
  await scope.audit("member.invite", input.email, { role: input.role, emailed });
  await checkQuotaAlerts([scope.workspace.id]); // a pending invitation counts as a member
  return { ...invitation, link, emailed };
}

export async function revokeInvitation(scope: WorkspaceScope, invitationId: string) {
  const { count } = await scope.db.invitation.updateMany({
    where: { id: invitationId, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw notFound("Invitation");
  await scope.audit("member.invite_revoke", invitationId);
}

/**
 * Refuses a seat for `email` beyond maxMembers. Members and pending invitations each hold a seat
 * (so accepting an invitation never finds the workspace full); someone already invited holds one
 * and takes no second. Counted under the Workspace row's lock: requests racing for the last seat
 * take turns.
 */
async function assertSeatFor(tx: Prisma.TransactionClient, workspaceId: string, email: string) {
  const { maxMembers } = await lockWorkspaceQuotas(tx, workspaceId);
  const pending = await tx.invitation.findMany({
    where: { workspaceId, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    select: { email: true },
    distinct: ["email"],
  });
  if (pending.some((p) => p.email === email)) return;
  const members = await tx.membership.count({ where: { workspaceId } });
  const used = members + pending.length;
  if (used >= maxMembers) {
    throw quotaReached(
      "maxMembers",
      { used, limit: maxMembers, noun: "members (pending invitations included)" },
      "Revoke a pending invitation or remove a member first, or ask for a larger plan.",
    );
  }
}

/**
 * Makes an existing user a member at once, with no invitation (the operator's `baton member add`),
 * within the member quota like an invitation. A pending invitation of theirs is fulfilled: the
 * seat it held is the one they take.
 */
export async function addMember(scope: WorkspaceScope, input: { userId: string; email: string; role: Role }) {
  assertCanManageRole(scope, input.role);
  await requireVerifiedAddress(input.userId, input.email);
  const workspaceId = scope.workspace.id;
  await db.$transaction(async (tx) => {
    await assertSeatFor(tx, workspaceId, input.email);
    await tx.membership.create({ data: { workspaceId, userId: input.userId, role: input.role } });
    await tx.invitation.updateMany({
      where: { workspaceId, email: input.email, acceptedAt: null, revokedAt: null },
      data: { acceptedAt: new Date() },
    });
  });
  await scope.audit("member.add", input.email, { role: input.role });
  await checkQuotaAlerts([workspaceId]);
}

/** What the invitation page shows before accepting. Works for any signed-in user holding the link. */
export async function describeInvitation(secret: string) {
  const invitation = await db.invitation.findUnique({
    where: { tokenHash: sha256(secret) },
    select: {
      email: true,
      role: true,
      expiresAt: true,
      acceptedAt: true,
      revokedAt: true,
      workspace: { select: { name: true, slug: true } },
    },
  });
  if (!invitation || invitation.revokedAt) throw notFound("Invitation");
  const status = invitation.acceptedAt
    ? "accepted"
    : invitation.expiresAt < new Date()
      ? "expired"
      : "pending";
  return { email: invitation.email, role: invitation.role, workspaceName: invitation.workspace.name, status };
}

export async function acceptInvitation(input: { secret: string; userId: string; email: string }) {
  await requireVerifiedAddress(input.userId);
  return db.$transaction(async (tx) => {
    // Claim the invitation atomically: the single-use guarantee is this conditional update.
    const invitation = await tx.invitation.findUnique({ where: { tokenHash: sha256(input.secret) } });
    if (!invitation || invitation.revokedAt) throw notFound("Invitation");
    if (invitation.acceptedAt) throw new AppError("CONFLICT", "This invitation has already been used");
    if (invitation.expiresAt < new Date())
      throw new AppError("BAD_REQUEST", "This invitation has expired; ask for a new one");
    if (invitation.email !== input.email.toLowerCase()) {
      throw new AppError(
        "FORBIDDEN",
        `This invitation is for ${invitation.email}; sign in with that account to accept it`,
      );
    }
    const { maxMembers } = await lockWorkspaceQuotas(tx, invitation.workspaceId);
    const members = await tx.membership.count({ where: { workspaceId: invitation.workspaceId } });
    const already = await tx.membership.findUnique({
      where: { workspaceId_userId: { workspaceId: invitation.workspaceId, userId: input.userId } },
      select: { id: true },
    });
    if (!already && members >= maxMembers) {
      // The invitation stays unused, so the same link works once the workspace has room.
      throw new AppError(
        "CONFLICT",
        `This workspace already has ${members} of the ${maxMembers} members its plan allows (quota maxMembers), so you cannot join it now. Ask its owners to make room, then open this link again.`,
      );
    }
    const claimed = await tx.invitation.updateMany({
      where: { id: invitation.id, acceptedAt: null },
      data: { acceptedAt: new Date() },
    });
    if (claimed.count === 0) throw new AppError("CONFLICT", "This invitation has already been used");
    const workspace = await tx.workspace.findUniqueOrThrow({
      where: { id: invitation.workspaceId },
      select: { slug: true },
    });
    await tx.membership.upsert({
      where: { workspaceId_userId: { workspaceId: invitation.workspaceId, userId: input.userId } },
      create: { workspaceId: invitation.workspaceId, userId: input.userId, role: invitation.role },
      update: {},
    });
    await tx.auditEvent.create({
      data: {
        workspaceId: invitation.workspaceId,
        actor: input.userId,
        actorLabel: input.email,
        action: "member.join",
        target: input.email,
        metadata: { role: invitation.role },
      },
    });
    return { slug: workspace.slug };
  });
}

async function loadMember(scope: WorkspaceScope, memberId: string) {
  const member = await scope.db.membership.findUnique({
    where: { id: memberId },
    select: { id: true, role: true, userId: true, user: { select: { email: true } } },
  });
  if (!member) throw notFound("Member");
  return member;
}

async function assertNotLastOwner(scope: WorkspaceScope, member: { role: Role }) {
  if (member.role !== "OWNER") return;
  const owners = await scope.db.membership.count({ where: { role: "OWNER" } });
  if (owners <= 1) {
    throw new AppError("CONFLICT", "A workspace needs at least one owner: make someone else an owner first");
  }
}

export async function changeRole(scope: WorkspaceScope, input: { memberId: string; role: Role }) {
  const member = await loadMember(scope, input.memberId);
  assertCanManageRole(scope, member.role);
  assertCanManageRole(scope, input.role);
  if (member.role === input.role) return { id: member.id, role: member.role };
  if (input.role !== "OWNER") await assertNotLastOwner(scope, member);
  const updated = await scope.db.membership.update({
    where: { id: member.id },
    data: { role: input.role },
    select: { id: true, role: true },
  });
  await scope.audit("member.role_change", member.user.email, { from: member.role, to: input.role });
  return updated;
}

/** Removes a member and revokes the API tokens they made in this workspace. */
export async function removeMember(scope: WorkspaceScope, memberId: string) {
  const member = await loadMember(scope, memberId);
  assertCanManageRole(scope, member.role);
  await assertNotLastOwner(scope, member);
  const { count: tokensRevoked } = await scope.db.$transaction(async (tx) => {
    await tx.membership.delete({ where: { id: member.id } });
    return tx.apiToken.updateMany({
      where: { createdById: member.userId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
  });
  await scope.audit("member.remove", member.user.email, { role: member.role, tokensRevoked });
}
