import { type Role, roleRank, roles } from "@/server/tenancy/roles";

export const roleLabel = (role: Role) => role.charAt(0) + role.slice(1).toLowerCase();

const styles: Record<Role, string> = {
  OWNER: "bg-indigo-600 text-white",
  ADMIN: "bg-indigo-50 text-indigo-700 ring-1 ring-inset ring-indigo-200",
  EDITOR: "bg-slate-100 text-slate-800 ring-1 ring-inset ring-slate-300",
  OPERATOR: "bg-slate-100 text-slate-700 ring-1 ring-inset ring-slate-200",
  VIEWER: "bg-white text-slate-600 ring-1 ring-inset ring-slate-200",
  GUEST: "bg-white text-slate-500 ring-1 ring-inset ring-dashed ring-slate-200",
};

export function RoleBadge({ role }: { role: Role }) {
  return (
    <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ${styles[role]}`}>
      {roleLabel(role)}
    </span>
  );
}

/** The role <option>s; roles above `max` are listed but cannot be chosen. */
export function RoleOptions({ max }: { max: Role }) {
  return roles.map((role) => (
    <option key={role} value={role} disabled={roleRank[role] > roleRank[max]}>
      {roleLabel(role)}
    </option>
  ));
}
