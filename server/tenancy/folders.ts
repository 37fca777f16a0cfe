// Folder access: what a member may do inside folders beyond their workspace role. A member's role
// on a folder is the highest of the grants on it to them and to their groups; their permission on
// anything the folder holds is the highest of that and their workspace role. The door
// (door.ts) asks here only when the workspace role falls short of a procedure's permission: the
// scope it hands out is then restricted to the folders whose grants allow it, and the scoped client
// (scoped-db.ts) filters every folder-held model to them, so other folders' DAGs, runs, logs,
// variables, secrets and connections answer NOT_FOUND, as another tenant's would.
import { db } from "@/server/db/client";
import { can, type FolderRole, higherRole, type Permission, type Role } from "./roles";

/** A member's role on each folder they hold a grant on (directly or through a group), by folder id. */
export async function folderRolesOf(
  workspaceId: string,
  userId: string,
): Promise<Map<string, FolderGrantRole>> {
  const grants = await db.folderGrant.findMany({
    where: {
      workspaceId,
      OR: [{ membership: { userId } }, { group: { members: { some: { membership: { userId } } } } }],
    },
    select: { folderId: true, role: true, group: { select: { name: true } } },
  });
  const roles = new Map<string, FolderGrantRole>();
  for (const grant of grants) {
    const held = roles.get(grant.folderId);
    if (!held || higherRole(grant.role, held.role) !== held.role) {
      roles.set(grant.folderId, { role: grant.role, via: grant.group?.name ?? null });
    }
  }
  return roles;
}

export interface FolderGrantRole {
  role: Role;
  /** The group whose grant gives it; null for a grant to the member. */
  via: string | null;
}

/** The folders, of those a member holds roles on, where the role allows `permission`. */
export function foldersAllowing(roles: Map<string, FolderGrantRole>, permission: Permission): string[] {
  return [...roles].filter(([, grant]) => can(grant.role, permission)).map(([folderId]) => folderId);
}

/** The models a folder holds directly (their `folderId`), and how the others reach a folder. */
export function folderFilter(model: string, folderIds: readonly string[]): object | null {
  const inFolders = { folderId: { in: [...folderIds] } };
  switch (model) {
    case "Folder":
      return { id: { in: [...folderIds] } };
    case "FolderGrant":
      return inFolders;
    case "Dag":
    case "Variable":
    case "Secret":
    case "Connection":
      return inFolders;
    case "DagVersion":
    case "DagRun":
    case "WebhookEndpoint":
    case "Backfill":
    case "SlaMiss":
    case "DagTrigger":
      return { dag: inFolders };
    case "TaskInstance":
      return { run: { dag: inFolders } };
    case "TaskAttempt":
      return { taskInstance: { run: { dag: inFolders } } };
    case "TaskLog":
      return { attempt: { taskInstance: { run: { dag: inFolders } } } };
    default:
      return null;
  }
}

/** Models whose rows sit in a folder by their own `folderId` (creating or moving one names it). */
export const folderHeldModels = new Set(["Dag", "Variable", "Secret", "Connection"]);

export type { FolderRole };

/**
 * What a DAG reaches of what folders hold: the DAGs it triggers or senses (trigger_dag,
 * external_run_sensor, DAG triggers), the variables, secrets and connections its tasks use. It is
 * the workspace root's and its own folder's; a DAG at the root reaches the root's only. A Prisma
 * filter on a folder-held model (docs/permissions.md, "What a DAG reaches").
 */
export function reachOf(dagFolderId: string | null) {
  return { OR: [{ folderId: null }, ...(dagFolderId ? [{ folderId: dagFolderId }] : [])] };
}

/**
 * The secrets and connections a DAG may use: what it reaches (reachOf), narrowed or widened by
 * their allowed folders (`allowedFolderIds`): when set, the DAGs of those folders (and of its own
 * folder) may use it, and a root one serves no other DAG. A Prisma filter on Secret or Connection.
 */
export function usableBy(dagFolderId: string | null) {
  const everyone = { folderId: null, allowedFolderIds: { isEmpty: true } };
  if (!dagFolderId) return everyone;
  return { OR: [{ folderId: dagFolderId }, { allowedFolderIds: { has: dagFolderId } }, everyone] };
}

/** Whether a DAG in `dagFolderId` may use a secret or connection (usableBy, as a test). */
export function isUsableBy(
  dagFolderId: string | null,
  item: { folderId: string | null; allowedFolderIds: readonly string[] },
): boolean {
  if (item.allowedFolderIds.length === 0) return reaches(dagFolderId, item.folderId);
  return (
    dagFolderId !== null && (item.folderId === dagFolderId || item.allowedFolderIds.includes(dagFolderId))
  );
}

/** Whether a DAG in `dagFolderId` reaches something kept in `folderId` (reachOf, as a test). */
export function reaches(dagFolderId: string | null, folderId: string | null): boolean {
  return folderId === null || folderId === dagFolderId;
}

/**
 * Who looks something up at run time: a run, which reaches what its DAG reaches; `runId` null for
 * what serves no DAG (a workspace alert's notification), which reaches the root's only.
 */
export interface RunReach {
  workspaceId: string;
  runId: string | null;
}

/** The folder of a run's DAG (null: the workspace root, or no run). */
export async function folderOfRun(workspaceId: string, runId: string | null): Promise<string | null> {
  if (!runId) return null;
  const run = await db.dagRun.findFirst({
    where: { id: runId, workspaceId },
    select: { dag: { select: { folderId: true } } },
  });
  return run?.dag.folderId ?? null;
}
