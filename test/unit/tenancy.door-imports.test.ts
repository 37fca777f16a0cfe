// The unscoped database client may only be imported where tenant rows are not reached from a
// request, or where reaching them is the point (the door itself). Anything new must go through
// the door; this test makes that a conscious decision.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const allowed = new Set([
  "server/tenancy/door.ts", // the door
  "server/tenancy/scoped-db.ts", // builds the scoped client
  "server/auth/accounts.ts", // users are global; account audit events have no workspace
  "server/auth/brute-force.ts", // sign-in counters (pool only)
  "server/workspaces/service.ts", // the Workspace row itself, by the scope's id
  "server/members/service.ts", // invitation acceptance: the invitee is not a member yet
  "server/tokens/service.ts", // token lookup happens before any workspace is known
  "worker/runner.ts", // graphile-worker's pool
  "worker/main.ts",
  "worker/tasks/maintenance.ts", // cross-tenant housekeeping of expired security rows
  "server/webhooks/limits.ts", // webhook rate counters (pool only)
  "server/usage/meter.ts", // usage counters of any workspace, batched (pool only)
  "server/retention/worker-tables.ts", // graphile-worker's cleanup on the shared pool (no tenant rows)
  "server/usage/report.ts", // the Workspace row's quotas by the scope's id; usage of named workspaces (alerts)
  "server/notifications/quota-alerts.ts", // which alerts the just-metered workspaces already had (pool only)
  // The platform console reaches every workspace, for platform administrators only (not a tenant
  // request: server/api/trpc.ts platformAdminProcedure); plans and the admin flag are installation-wide.
  "server/platform/admins.ts",
  "server/platform/activity.ts",
  "server/platform/plans.ts",
  "server/platform/workspaces.ts",
]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === "generated" ? [] : files(full);
    return /\.(ts|tsx)$/.test(name) ? [full] : [];
  });
}

describe("the unscoped database client", () => {
  it("is imported only by the modules allowed to use it", () => {
    const offenders = ["server", "worker", "app"]
      .flatMap(files)
      // The engine's SQL runs for jobs and for procedures that already hold a scope; every
      // statement names the workspace (server/engine/sql.ts).
      .filter(
        (file) =>
          !file.startsWith("server/db/") &&
          !file.startsWith("server/cli/") &&
          !file.startsWith("server/engine/"),
      )
      .filter((file) => /from "@\/server\/db\/client"/.test(readFileSync(file, "utf8")))
      .filter((file) => !allowed.has(file));
    expect(offenders).toEqual([]);
  });
});
