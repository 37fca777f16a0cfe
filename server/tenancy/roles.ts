// Roles and what each may do. The matrix is the single source for the server's checks, the UI's
// hiding of controls and docs/permissions.md (a test keeps the document in step).
import type { Role } from "@/prisma/generated/enums";

export type { Role };
export const roles = [
  "OWNER",
  "ADMIN",
  "EDITOR",
  "OPERATOR",
  "VIEWER",
  "GUEST",
] as const satisfies readonly Role[];

export const permissions = {
  "workspace:read": "See the workspace, its DAGs, runs and logs",
  "workspace:update": "Rename the workspace and change its settings",
  "workspace:delete": "Delete the workspace and everything in it",
  "members:read": "See members and their roles",
  "members:manage": "Invite, remove and change the role of members",
  "tokens:manage": "Create and revoke API tokens",
  "audit:read": "Read the audit log",
  "dags:write": "Create, edit, pause and archive DAGs",
  "runs:operate": "Trigger, clear, cancel and mark runs and tasks",
  "config:read": "See variables and connections (never secret values)",
  "config:write": "Change variables, secrets and connections",
} as const;

export type Permission = keyof typeof permissions;

/** A guest holds nothing workspace-wide: what they see comes from folder grants (folders.ts). */
const guest: Permission[] = [];
const viewer: Permission[] = ["workspace:read", "members:read", "config:read"];
const operator: Permission[] = [...viewer, "runs:operate"];
const editor: Permission[] = [...operator, "dags:write", "config:write"];
const admin: Permission[] = [...editor, "workspace:update", "members:manage", "tokens:manage", "audit:read"];
const owner: Permission[] = [...admin, "workspace:delete"];

export const rolePermissions: Record<Role, ReadonlySet<Permission>> = {
  OWNER: new Set(owner),
  ADMIN: new Set(admin),
  EDITOR: new Set(editor),
  OPERATOR: new Set(operator),
  VIEWER: new Set(viewer),
  GUEST: new Set(guest),
};

export function can(role: Role, permission: Permission): boolean {
  return rolePermissions[role].has(permission);
}

/** Higher number, more power. Admins may not grant, change or remove the Owner role. */
export const roleRank: Record<Role, number> = {
  OWNER: 4,
  ADMIN: 3,
  EDITOR: 2,
  OPERATOR: 1,
  VIEWER: 0,
  GUEST: -1,
};

/**
 * The permissions a folder grant can give: those about what a folder holds (DAGs, their runs and
 * logs, variables, secrets, connections). Members, tokens, settings and the audit log stay
 * workspace-wide, so a folder grant never reaches them.
 */
export const folderPermissions = new Set<Permission>([
  "workspace:read",
  "dags:write",
  "runs:operate",
  "config:read",
  "config:write",
]);

/** The roles a folder may be granted: those whose permissions are all folder permissions. */
export const folderRoles = ["EDITOR", "OPERATOR", "VIEWER"] as const satisfies readonly Role[];
export type FolderRole = (typeof folderRoles)[number];

/** The more powerful of two roles (a member acts with the highest of their own and their groups'). */
export function higherRole(a: Role, b: Role): Role {
  return roleRank[a] >= roleRank[b] ? a : b;
}

/** The less powerful of two roles (a token acts with the lower of its own and its creator's). */
export function lowerRole(a: Role, b: Role): Role {
  return roleRank[a] <= roleRank[b] ? a : b;
}
