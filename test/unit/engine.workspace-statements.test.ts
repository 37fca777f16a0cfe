// The engine's core runs as the owner role, which row-level security does not apply to
// (docs/architecture.md, "Tenancy"): instead each of its statements names the workspace it acts in.
// This reads every SQL statement written in server/engine and lists those that do not; the only
// ones allowed are the few that act for the platform rather than a workspace.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";

/** Statements that act on the job queue or on a worker's own attempts across workspaces. */
const platformStatements = [
  // the reaper unlocks the jobs of dead workers, whichever workspaces they served
  /^SELECT graphile_worker\.force_unlock_workers/,
  // a worker's heartbeat covers the attempts it runs, of any workspace
  /^UPDATE "TaskAttempt" SET "heartbeatAt" = now\(\) WHERE id = ANY/,
  // retries are added as jobs whose payloads carry their workspace
  /^SELECT graphile_worker\.add_jobs/,
  // a web process tells the workers a workspace has pending webhook deliveries (the payload is its id)
  /^SELECT pg_notify\('\$\{PENDING_CHANNEL\}', \$1\)$/,
];

it("names the workspace in every engine statement", () => {
  const dir = "server/engine";
  const unnamed: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(path.join(dir, file), "utf8");
    for (const match of text.matchAll(/`\s*((?:WITH|SELECT|UPDATE|INSERT|DELETE)\b[^`]*)`/g)) {
      const statement = match[1]!.replace(/\s+/g, " ");
      // Calls of the hot-path functions pass workspace ids as arguments (their bodies name them).
      if (/"workspaceId"|\bbaton_\w+\(/.test(statement)) continue;
      if (platformStatements.some((allowed) => allowed.test(statement))) continue;
      unnamed.push(`${file}: ${statement.slice(0, 100)}`);
    }
  }
  expect(unnamed).toEqual([]);
});
