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
  // a worker looks for cancellations of the attempts it runs, of any workspace
  /^SELECT id FROM "TaskAttempt" WHERE id = ANY/,
  // the worker registry is the installation's: a worker's own row, and the rows of gone workers
  /^(INSERT INTO|UPDATE|DELETE FROM) "Worker"/,
  // the worker pools the installation knows (the platform console's list)
  /^SELECT \$1::text AS name UNION SELECT unnest\(pools\) FROM "Worker"/,
  // retries are added as jobs whose payloads carry their workspace
  /^SELECT graphile_worker\.add_jobs/,
  // a web process tells the workers a workspace has pending webhook deliveries (the payload is its id)
  /^SELECT pg_notify\('\$\{PENDING_CHANNEL\}', \$1\)$/,
  // the same notice sent by the delivery's own insert (deliveryInsert names its workspace column)
  /^WITH accepted AS \(\$\{accepting\} RETURNING id\) SELECT pg_notify\('\$\{PENDING_CHANNEL\}'/,
];

it("names the workspace in every engine statement", () => {
  const dir = "server/engine";
  const unnamed: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(path.join(dir, file), "utf8");
    for (const match of text.matchAll(/`\s*((?:WITH|SELECT|UPDATE|INSERT|DELETE)\b[^`]*)`/g)) {
      const statement = match[1]!.replace(/\s+/g, " ");
      // Calls of the hot-path functions pass workspace ids as arguments (their bodies name them);
      // statements on the job queue name it in the job's payload.
      if (/"workspaceId"|payload->>'workspaceId' = \$\d|\bbaton_\w+\(/.test(statement)) continue;
      if (platformStatements.some((allowed) => allowed.test(statement))) continue;
      unnamed.push(`${file}: ${statement.slice(0, 100)}`);
    }
  }
  expect(unnamed).toEqual([]);
});
