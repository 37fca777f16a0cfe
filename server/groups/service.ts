// Groups of members inside a workspace, and the workspace role granted to each. A member acts with
// the highest of their own role and their groups' roles (the door reads both: tenancy/door.ts
// memberRole), so adding someone to a group, removing them or changing the group's role takes
// effect on their next call. At most the plan's maxGroups groups per workspace.
import { Prisma } from "@/prisma/generated/client";
import { AppError, notFound } from "@/server/errors";
import { quotaReached } from "@/server/quotas/limits";
import { lockWorkspaceQuotas, type WorkspaceScope } from "@/server/tenancy/door";
import type { Role } from "@/server/tenancy/roles";

/** A role a group may hold: any but Owner, which is given to members one by one. */
export type GroupRole = Exclude<Role, "OWNER">;

const groupSelect = {
  id: true,
  name: true,
  description: true,
  role: true,
  idpGroup: true,
  createdAt: true,
  members: {
    select: {
      membership: {
        select: { id: true, role: true, user: { select: { id: true, email: true, name: true } } },
      },
    },
    orderBy: { createdAt: "asc" },
  },
} satisfies Prisma.GroupSelect;

type GroupRow = Prisma.GroupGetPayload<{ select: typeof groupSelect }>;

function present(group: GroupRow) {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    role: group.role,
    idpGroup: group.idpGroup,
    createdAt: group.createdAt,
    members: group.members.map(({ membership }) => ({
      memberId: membership.id,
      userId: membership.user.id,
      email: membership.user.email,
      name: membership.user.name,
      role: membership.role,
    })),
  };
}

/** Every group of the workspace with its members, by name (at most maxGroups of them). */
export async function listGroups(scope: WorkspaceScope) {
  const groups = await scope.db.group.findMany({ select: groupSelect, orderBy: { name: "asc" } });
  return groups.map(present);
}

export async function getGroup(scope: WorkspaceScope, groupId: string) {
  const group = await scope.db.group.findUnique({ where: { id: groupId }, select: groupSelect });
  if (!group) throw notFound("Group");
  return present(group);
}

const nameTaken = (name: string) =>
  new AppError("CONFLICT", `A group named ${name} already exists`, [
    { path: "name", message: "Already used by another group of this workspace" },
  ]);

/** Prisma's unique violation, from either the query engine or the driver adapter. */
const isUniqueViolation = (error: unknown) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";

function assertGroupRole(role: Role | null | undefined) {
  if (role === "OWNER") {
    throw new AppError("BAD_REQUEST", "Groups cannot hold the owner role: make owners one by one", [
      { path: "role", message: "Owner is given to members directly" },
    ]);
  }
}

export async function createGroup(
  scope: WorkspaceScope,
  input: { name: string; description?: string; role?: GroupRole | null; idpGroup?: string | null },
) {
  assertGroupRole(input.role);
  try {
    const group = await scope.db.$transaction(async (tx) => {
      const { maxGroups } = await lockWorkspaceQuotas(tx, scope.workspace.id);
      const used = await tx.group.count();
      if (used >= maxGroups) {
        throw quotaReached(
          "maxGroups",
          { used, limit: maxGroups, noun: "groups" },
          "Delete a group you no longer use, or ask for a larger plan.",
        );
      }
      return tx.group.create({
        data: {
          workspaceId: scope.workspace.id,
          name: input.name,
          description: input.description ?? "",
          role: input.role ?? null,
          idpGroup: input.idpGroup ?? null,
        },
        select: groupSelect,
      });
    });
    await scope.audit("group.create", input.name, { groupId: group.id, role: group.role });
    return present(group);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
}

export async function updateGroup(
  scope: WorkspaceScope,
  input: {
    groupId: string;
    name?: string;
    description?: string;
    role?: GroupRole | null;
    idpGroup?: string | null;
  },
) {
  assertGroupRole(input.role);
  const before = await scope.db.group.findUnique({
    where: { id: input.groupId },
    select: { name: true, description: true, role: true, idpGroup: true },
  });
  if (!before) throw notFound("Group");
  const data = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.role !== undefined ? { role: input.role } : {}),
    ...(input.idpGroup !== undefined ? { idpGroup: input.idpGroup } : {}),
  };
  let group: GroupRow;
  try {
    group = await scope.db.group.update({ where: { id: input.groupId }, data, select: groupSelect });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name ?? before.name);
    throw error;
  }
  const changes = Object.fromEntries(
    Object.entries(data)
      .filter(([key, value]) => before[key as keyof typeof before] !== value)
      .map(([key, value]) => [key, { from: before[key as keyof typeof before], to: value }]),
  );
  if (Object.keys(changes).length > 0) {
    await scope.audit("group.update", group.name, { groupId: group.id, changes });
  }
  return present(group);
}

export async function deleteGroup(scope: WorkspaceScope, groupId: string) {
  const group = await scope.db.group.findUnique({
    where: { id: groupId },
    select: { name: true, role: true, _count: { select: { members: true } } },
  });
  if (!group) throw notFound("Group");
  // Its memberships go with it (cascade): its members keep only their own role.
  await scope.db.group.delete({ where: { id: groupId } });
  await scope.audit("group.delete", group.name, { groupId, role: group.role, members: group._count.members });
}

async function loadPair(scope: WorkspaceScope, groupId: string, memberId: string) {
  const [group, member] = await Promise.all([
    scope.db.group.findUnique({ where: { id: groupId }, select: { id: true, name: true } }),
    scope.db.membership.findUnique({
      where: { id: memberId },
      select: { id: true, user: { select: { email: true } } },
    }),
  ]);
  if (!group) throw notFound("Group");
  if (!member) throw notFound("Member");
  return { group, member };
}

export async function addGroupMember(scope: WorkspaceScope, input: { groupId: string; memberId: string }) {
  const { group, member } = await loadPair(scope, input.groupId, input.memberId);
  const { count } = await scope.db.groupMember.createMany({
    data: [{ workspaceId: scope.workspace.id, groupId: group.id, membershipId: member.id }],
    skipDuplicates: true,
  });
  if (count > 0) {
    await scope.audit("group.member_add", member.user.email, { groupId: group.id, group: group.name });
  }
  return getGroup(scope, group.id);
}

export async function removeGroupMember(scope: WorkspaceScope, input: { groupId: string; memberId: string }) {
  const { group, member } = await loadPair(scope, input.groupId, input.memberId);
  const { count } = await scope.db.groupMember.deleteMany({
    where: { groupId: group.id, membershipId: member.id },
  });
  if (count === 0) throw notFound("Group member");
  await scope.audit("group.member_remove", member.user.email, { groupId: group.id, group: group.name });
  return getGroup(scope, group.id);
}
