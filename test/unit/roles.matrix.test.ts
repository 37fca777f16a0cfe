import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { can, type Permission, permissions, type Role, roles } from "@/server/tenancy/roles";

// The full matrix, written out: a change to roles.ts must change this table and the docs too.
const expected: Record<Role, Permission[]> = {
  OWNER: Object.keys(permissions) as Permission[],
  ADMIN: [
    "workspace:read",
    "workspace:update",
    "members:read",
    "members:manage",
    "tokens:manage",
    "audit:read",
    "dags:write",
    "runs:operate",
    "config:read",
    "config:write",
  ],
  EDITOR: ["workspace:read", "members:read", "dags:write", "runs:operate", "config:read", "config:write"],
  OPERATOR: ["workspace:read", "members:read", "runs:operate", "config:read"],
  VIEWER: ["workspace:read", "members:read", "config:read"],
  GUEST: [],
};

describe("role × permission matrix", () => {
  for (const role of roles) {
    for (const permission of Object.keys(permissions) as Permission[]) {
      const allowed = expected[role].includes(permission);
      it(`${role} ${allowed ? "may" : "may not"} ${permission}`, () => {
        expect(can(role, permission)).toBe(allowed);
      });
    }
  }

  it("is documented in docs/permissions.md exactly", () => {
    const doc = readFileSync("docs/permissions.md", "utf8");
    for (const permission of Object.keys(permissions) as Permission[]) {
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${permission}\``));
      expect(row, `docs/permissions.md has a row for ${permission}`).toBeDefined();
      const cells = row!
        .split("|")
        .slice(3, 9)
        .map((cell) => cell.trim() === "✓");
      expect(cells).toEqual(roles.map((role) => expected[role].includes(permission)));
    }
  });
});
