// Folders of a workspace: what they hold (DAGs, variables, secrets, connections), the roles granted
// on them to members and groups, and who has access to each with the reason. The permission check
// itself lives in the door (tenancy/door.ts, tenancy/folders.ts); this module manages the rows it
// reads. Moving a DAG keeps its versions and runs (they hang off the DAG) and is audited; deleting a
// folder that still holds something is refused with the list. At most the plan's maxFolders.
import { Prisma } from "@/prisma/generated/client";
import { AppError, notFound } from "@/server/errors";
import { quotaReached } from "@/server/quotas/limits";
import { effectiveRole, lockWorkspaceQuotas, type WorkspaceScope } from "@/server/tenancy/door";
import { type FolderRole, higherRole, type Role, roleRank } from "@/server/tenancy/roles";

const isUniqueViolation = (error: unknown) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";

const nameTaken = (name: string) =>
  new AppError("CONFLICT", `A folder named ${name} already exists`, [
    { path: "name", message: "Already used by another folder of this workspace" },
  ]);

const folderSelect = {
  id: true,
  name: true,
  description: true,
  createdAt: true,
  _count: { select: { dags: true, variables: true, secrets: true, connections: true } },
} satisfies Prisma.FolderSelect;

function present(folder: Prisma.FolderGetPayload<{ select: typeof folderSelect }>) {
  const { _count, ...rest } = folder;
  return { ...rest, contents: _count };
}

/** The folders the caller may reach (all of them with a workspace role that reads), by name. */
export async function listFolders(scope: WorkspaceScope) {
  const folders = await scope.db.folder.findMany({ select: folderSelect, orderBy: { name: "asc" } });
  return folders.map(present);
}

/** A folder by name (as DAG pushes and config name it), or NOT_FOUND. */
export async function folderByName(scope: WorkspaceScope, name: string) {
  const folder = await scope.db.folder.findFirst({ where: { name }, select: { id: true, name: true } });
  if (!folder) {
    throw new AppError("NOT_FOUND", `Folder ${name} not found`, [
      { path: "folder", message: "No such folder" },
    ]);
  }
  return folder;
}

/**
 * A secret's or connection's allowed folders after the caller names them (`names`, undefined: no
 * change): the named folders (each must be one the caller reaches, else NOT_FOUND naming it), and
 * those of `current` the caller cannot see, which stay as they were.
 */
export async function allowedFoldersAfter(
  scope: WorkspaceScope,
  current: readonly string[],
  names: readonly string[] | undefined,
): Promise<string[] | undefined> {
  if (names === undefined) return undefined;
  const unique = [...new Set(names)];
  const found = await scope.db.folder.findMany({
    where: { name: { in: unique } },
    select: { id: true, name: true },
  });
  const missing = unique.findIndex((name) => !found.some((f) => f.name === name));
  if (missing >= 0) {
    throw new AppError("NOT_FOUND", `Folder ${unique[missing]} not found`, [
      { path: `allowedFolders.${names.indexOf(unique[missing]!)}`, message: "No such folder" },
    ]);
  }
  const visible = new Set(
    (await scope.db.folder.findMany({ where: { id: { in: [...current] } }, select: { id: true } })).map(
      (f) => f.id,
    ),
  );
  return [...new Set([...found.map((f) => f.id), ...current.filter((id) => !visible.has(id))])];
}

/** Answers with `allowedFolderIds` as the names of those folders the caller may see (`allowedFolders`). */
export async function withAllowedFolderNames<T extends { allowedFolderIds: string[] }>(
  scope: WorkspaceScope,
  items: T[],
): Promise<Array<Omit<T, "allowedFolderIds"> & { allowedFolders: string[] }>> {
  const ids = [...new Set(items.flatMap((item) => item.allowedFolderIds))];
  const folders =
    ids.length > 0
      ? await scope.db.folder.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } })
      : [];
  const names = new Map(folders.map((f) => [f.id, f.name]));
  return items.map(({ allowedFolderIds, ...rest }) => ({
    ...rest,
    allowedFolders: allowedFolderIds.flatMap((id) => names.get(id) ?? []).sort(),
  }));
}

/** The `folderId` of a row created in the folder named `name` (none given: the workspace root). */
export async function inFolder(
  scope: WorkspaceScope,
  name: string | undefined,
): Promise<{ folderId?: string }> {
  return name === undefined ? {} : { folderId: (await folderByName(scope, name)).id };
}

export async function getFolder(scope: WorkspaceScope, folderId: string) {
  const folder = await scope.db.folder.findUnique({ where: { id: folderId }, select: folderSelect });
  if (!folder) throw notFound("Folder");
  return present(folder);
}

export async function createFolder(scope: WorkspaceScope, input: { name: string; description?: string }) {
  try {
    const folder = await scope.db.$transaction(async (tx) => {
      const { maxFolders } = await lockWorkspaceQuotas(tx, scope.workspace.id);
      const used = await tx.folder.count();
      if (used >= maxFolders) {
        throw quotaReached(
          "maxFolders",
          { used, limit: maxFolders, noun: "folders" },
          "Delete a folder you no longer use, or ask for a larger plan.",
        );
      }
      return tx.folder.create({
        data: { workspaceId: scope.workspace.id, name: input.name, description: input.description ?? "" },
        select: folderSelect,
      });
    });
    await scope.audit("folder.create", folder.name, { folderId: folder.id });
    return present(folder);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
}

export async function updateFolder(
  scope: WorkspaceScope,
  input: { folderId: string; name?: string; description?: string },
) {
  const before = await scope.db.folder.findUnique({ where: { id: input.folderId }, select: { name: true } });
  if (!before) throw notFound("Folder");
  try {
    const folder = await scope.db.folder.update({
      where: { id: input.folderId },
      data: {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
      },
      select: folderSelect,
    });
    if (folder.name !== before.name) {
      await scope.audit("folder.rename", folder.name, { folderId: folder.id, from: before.name });
    }
    return present(folder);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name ?? before.name);
    throw error;
  }
}

/** What stops a folder from being deleted: everything it holds, by kind (at most 50 names each). */
async function contentsOf(scope: WorkspaceScope, folderId: string) {
  const where = { folderId };
  const [dags, variables, secrets, connections] = await Promise.all([
    scope.db.dag.findMany({ where, select: { key: true }, orderBy: { key: "asc" }, take: 50 }),
    scope.db.variable.findMany({ where, select: { key: true }, orderBy: { key: "asc" }, take: 50 }),
    scope.db.secret.findMany({ where, select: { name: true }, orderBy: { name: "asc" }, take: 50 }),
    scope.db.connection.findMany({ where, select: { name: true }, orderBy: { name: "asc" }, take: 50 }),
  ]);
  return {
    dags: dags.map((d) => d.key),
    variables: variables.map((v) => v.key),
    secrets: secrets.map((s) => s.name),
    connections: connections.map((c) => c.name),
  };
}

/** Deletes an empty folder (its grants go with it); one that holds anything is refused with the list. */
export async function deleteFolder(scope: WorkspaceScope, folderId: string) {
  const folder = await scope.db.folder.findUnique({ where: { id: folderId }, select: { name: true } });
  if (!folder) throw notFound("Folder");
  const held = await contentsOf(scope, folderId);
  const problems = Object.entries(held).flatMap(([kind, names]) =>
    names.length > 0 ? [{ path: kind, message: names.join(", ") }] : [],
  );
  if (problems.length > 0) {
    throw new AppError(
      "CONFLICT",
      `Folder ${folder.name} is not empty: move or delete what it holds first`,
      problems,
    );
  }
  try {
    await scope.db.folder.delete({ where: { id: folderId } });
  } catch (error) {
    // Something was put in it meanwhile (the foreign keys restrict): the same answer, listed afresh.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2003") {
      throw new AppError(
        "CONFLICT",
        `Folder ${folder.name} is not empty: move or delete what it holds first`,
      );
    }
    throw error;
  }
  await scope.audit("folder.delete", folder.name, { folderId });
}

/** Grants `role` on a folder to a member or a group (replacing what that one held there). */
export async function grantFolderRole(
  scope: WorkspaceScope,
  input: { folderId: string; memberId?: string; groupId?: string; role: FolderRole },
) {
  if (Boolean(input.memberId) === Boolean(input.groupId)) {
    throw new AppError("BAD_REQUEST", "Grant a folder role to a member or to a group", [
      { path: "memberId", message: "Give exactly one of memberId and groupId" },
    ]);
  }
  const folder = await scope.db.folder.findUnique({
    where: { id: input.folderId },
    select: { id: true, name: true },
  });
  if (!folder) throw notFound("Folder");
  let grantee: string;
  if (input.memberId) {
    const member = await scope.db.membership.findUnique({
      where: { id: input.memberId },
      select: { user: { select: { email: true } } },
    });
    if (!member) throw notFound("Member");
    grantee = member.user.email;
  } else {
    const group = await scope.db.group.findUnique({ where: { id: input.groupId }, select: { name: true } });
    if (!group) throw notFound("Group");
    grantee = `group ${group.name}`;
  }
  const key = input.memberId
    ? { folderId_membershipId: { folderId: folder.id, membershipId: input.memberId } }
    : { folderId_groupId: { folderId: folder.id, groupId: input.groupId! } };
  await scope.db.folderGrant.upsert({
    where: key,
    create: {
      workspaceId: scope.workspace.id,
      folderId: folder.id,
      membershipId: input.memberId ?? null,
      groupId: input.groupId ?? null,
      role: input.role,
    },
    update: { role: input.role },
  });
  await scope.audit("folder.grant", folder.name, { folderId: folder.id, grantee, role: input.role });
  return folderAccess(scope, folder.id);
}

export async function revokeFolderGrant(scope: WorkspaceScope, input: { folderId: string; grantId: string }) {
  const grant = await scope.db.folderGrant.findFirst({
    where: { id: input.grantId, folderId: input.folderId },
    select: {
      role: true,
      folder: { select: { name: true } },
      group: { select: { name: true } },
      membership: { select: { user: { select: { email: true } } } },
    },
  });
  if (!grant) throw notFound("Folder grant");
  await scope.db.folderGrant.delete({ where: { id: input.grantId } });
  await scope.audit("folder.revoke", grant.folder.name, {
    folderId: input.folderId,
    grantee: grant.membership?.user.email ?? `group ${grant.group?.name}`,
    role: grant.role,
  });
  return folderAccess(scope, input.folderId);
}

/**
 * Who has access to a folder, and why: every member with what they may do there (the highest of
 * their workspace role — own or through a group — and the folder's grants to them or their
 * groups), each with the reason ("via group on-call: Operator"); and the folder's grants.
 */
export async function folderAccess(scope: WorkspaceScope, folderId: string) {
  const folder = await scope.db.folder.findUnique({
    where: { id: folderId },
    select: {
      id: true,
      name: true,
      grants: {
        select: {
          id: true,
          role: true,
          membershipId: true,
          groupId: true,
          group: { select: { name: true } },
          membership: { select: { user: { select: { email: true } } } },
        },
      },
    },
  });
  if (!folder) throw notFound("Folder");
  const members = await scope.db.membership.findMany({
    select: {
      id: true,
      role: true,
      user: { select: { email: true, name: true } },
      groups: { select: { group: { select: { id: true, name: true, role: true } } } },
    },
    orderBy: { createdAt: "asc" },
  });
  const access = members.flatMap((member) => {
    const workspace = effectiveRole(
      member.role,
      member.groups.map((g) => g.group),
    );
    const groupIds = new Set(member.groups.map((g) => g.group.id));
    let best: { role: Role; via: string } = {
      role: workspace.role,
      via: workspace.via ? `workspace role via group ${workspace.via}` : "workspace role",
    };
    for (const grant of folder.grants) {
      const mine =
        grant.membershipId === member.id || (grant.groupId !== null && groupIds.has(grant.groupId));
      if (!mine || higherRole(grant.role, best.role) === best.role) continue;
      best = {
        role: grant.role,
        via: grant.group ? `folder grant via group ${grant.group.name}` : "folder grant",
      };
    }
    // A guest without a grant here has no access: left out, as the folder does not exist for them.
    if (roleRank[best.role] < roleRank.VIEWER) return [];
    return [
      {
        memberId: member.id,
        email: member.user.email,
        name: member.user.name,
        role: best.role,
        via: best.via,
      },
    ];
  });
  return {
    folder: { id: folder.id, name: folder.name },
    grants: folder.grants.map((grant) => ({
      id: grant.id,
      role: grant.role,
      memberId: grant.membershipId,
      groupId: grant.groupId,
      grantee: grant.group ? `group ${grant.group.name}` : (grant.membership?.user.email ?? ""),
    })),
    access,
  };
}

/**
 * Moves a DAG to another folder (null: the workspace root). It keeps its versions, runs, triggers
 * and webhooks; the move is audited with both folders. The caller needs dags:write on both sides,
 * which the scope checks: the DAG must be in reach, and so must the folder it goes to.
 */
export async function moveDag(scope: WorkspaceScope, input: { dagId: string; folder: string | null }) {
  const dag = await scope.db.dag.findFirst({
    where: { key: input.dagId },
    select: { id: true, key: true, folder: { select: { id: true, name: true } } },
  });
  if (!dag) throw notFound("DAG");
  const target = input.folder === null ? null : await folderByName(scope, input.folder);
  if ((dag.folder?.id ?? null) === (target?.id ?? null))
    return { dagId: dag.key, folder: target?.name ?? null };
  await scope.db.dag.update({ where: { id: dag.id }, data: { folderId: target?.id ?? null } });
  await scope.audit("dag.move", dag.key, { from: dag.folder?.name ?? null, to: target?.name ?? null });
  return { dagId: dag.key, folder: target?.name ?? null };
}
