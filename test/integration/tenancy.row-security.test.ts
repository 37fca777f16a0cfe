// Row-level security under the workspace door: inside a workspace's transaction, a query that
// forgets its workspace filter still reaches only that workspace's rows (zero of another's), writes
// into another workspace are refused, and the scoped Prisma client runs under the same policies.
import { beforeAll, describe, expect, it } from "vitest";
import { crossTenantSql } from "@/server/db/cross-tenant";
import { openWorkspace } from "@/server/tenancy/door";
import { tenantModelNames } from "@/server/tenancy/scoped-db";
import { workspaceSql } from "@/server/tenancy/workspace-sql";
import { createUser } from "../support/factories";

let a: Awaited<ReturnType<typeof createUser>>;
let b: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  [a, b] = await Promise.all([createUser("rls-a"), createUser("rls-b")]);
  await b.api.variables.create({ workspace: b.workspace.slug, key: "only_in_b", value: "b's" });
  await b.api.variables.create({ workspace: b.workspace.slug, key: "also_in_b", value: 2 });
  await a.api.variables.create({ workspace: a.workspace.slug, key: "only_in_a", value: "a's" });
});

describe("row-level security", () => {
  it("answers a deliberately unscoped query inside a workspace transaction with zero rows of another", async () => {
    const rows = await workspaceSql(a.workspace.id).transaction(async (sql) => {
      // No workspace filter at all: the policy is all that stands between A and B's variables.
      const ofB = await sql.query(`SELECT key FROM "Variable" WHERE key = 'only_in_b'`);
      const all = await sql.query<{ key: string }>(`SELECT key FROM "Variable" ORDER BY key`);
      const workspaces = await sql.query<{ id: string }>(`SELECT id FROM "Workspace"`);
      return { ofB: ofB.rows, all: all.rows.map((r) => r.key), workspaces: workspaces.rows };
    });
    expect(rows.ofB).toEqual([]);
    expect(rows.all).toEqual(["only_in_a"]);
    expect(rows.workspaces).toEqual([{ id: a.workspace.id }]);
    // The same statement across tenants (the platform's path) sees both workspaces' rows.
    const { rows: everywhere } = await crossTenantSql.query(`SELECT key FROM "Variable"`);
    expect(everywhere.length).toBe(3);
  });

  it("refuses writes into another workspace, and changes none of its rows", async () => {
    const insert = workspaceSql(a.workspace.id).query(
      `INSERT INTO "Variable" (id, "workspaceId", key, value, "updatedAt") VALUES (gen_random_uuid(), $1, 'planted', '1', now())`,
      [b.workspace.id],
    );
    await expect(insert).rejects.toThrow(/row-level security/);
    const updated = await workspaceSql(a.workspace.id).query(`UPDATE "Variable" SET value = '"hijacked"'`);
    expect(updated.rowCount).toBe(1);
    const deleted = await workspaceSql(a.workspace.id).query(
      `DELETE FROM "Variable" WHERE key LIKE '%_in_b'`,
    );
    expect(deleted.rowCount).toBe(0);
    const { rows } = await crossTenantSql.query<{ value: unknown }>(
      `SELECT value FROM "Variable" WHERE "workspaceId" = $1 ORDER BY key`,
      [b.workspace.id],
    );
    expect(rows.map((r) => r.value)).toEqual([2, "b's"]);
  });

  it("leaves the setting in its transaction: the pooled connection carries nothing on", async () => {
    await workspaceSql(a.workspace.id).query(`SELECT 1`);
    // Every connection of the pool, as the owner again, with no workspace set.
    const checks = await Promise.all(
      Array.from({ length: 10 }, () =>
        crossTenantSql.query<{ role: string; setting: string | null }>(
          `SELECT current_user AS role, nullif(current_setting('app.workspace_id', true), '') AS setting`,
        ),
      ),
    );
    for (const { rows } of checks) {
      expect(rows[0]!.role).not.toBe("baton_tenant");
      expect(rows[0]!.setting).toBeNull();
    }
  });

  it("holds the scoped Prisma client to its workspace in the database too", async () => {
    const scope = await openWorkspace(a.caller, a.workspace.slug, "workspace:read");
    const seen = await scope.db.$transaction(async (tx) => {
      // A raw query has no filter added by the client: only the policy keeps B's rows out.
      const raw = tx as unknown as { $queryRawUnsafe: <T>(text: string) => Promise<T> };
      return raw.$queryRawUnsafe<{ key: string; role: string }[]>(
        `SELECT key, current_user::text AS role FROM "Variable" ORDER BY key`,
      );
    });
    expect(seen).toEqual([{ key: "only_in_a", role: "baton_tenant" }]);
    expect((await scope.db.variable.findMany({ select: { key: true } })).map((v) => v.key)).toEqual([
      "only_in_a",
    ]);
  });

  it("covers every tenant table with a policy for the tenant role", async () => {
    const { rows } = await crossTenantSql.query<{ table: string; rls: boolean; policies: string[] }>(
      `SELECT c.relname AS table, c.relrowsecurity AS rls,
              coalesce(array_agg(p.policyname) FILTER (WHERE p.policyname IS NOT NULL), '{}')::text[] AS policies
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_policies p ON p.schemaname = n.nspname AND p.tablename = c.relname AND 'baton_tenant' = ANY(p.roles)
       WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY($1::text[])
       GROUP BY 1, 2 ORDER BY 1`,
      [[...tenantModelNames, "Workspace"]],
    );
    expect(rows.map((r) => r.table).sort()).toEqual([...tenantModelNames, "Workspace"].sort());
    for (const row of rows)
      expect({ table: row.table, rls: row.rls, policies: row.policies }).toEqual({
        table: row.table,
        rls: true,
        policies: ["workspace_isolation"],
      });
  });
});
