// The maintenance statements every worker runs every ~10 s (server/engine/reaper.ts: lost attempts,
// runs left running, workspaces with startable runs) read live work only, through partial indexes,
// whatever the history and however stale the statistics: a database holding 20,000 finished runs
// (60,000 instances, 20,000 attempts) that the planner still believes nearly empty.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, pgPool } from "@/server/db/client";
import {
  lostAttempts,
  maintenancePlanning,
  repairRuns,
  runsLeftRunning,
  workspacesWithStartableRuns,
} from "@/server/engine/reaper";
import { monthStart } from "@/server/engine/run-gate";
import { sql, transaction } from "@/server/engine/sql";
import { systemScope } from "@/server/tenancy/door";
import { autovacuumProblems } from "@/worker/autovacuum-check";
import { storeDag } from "../support/engine";
import { createUser } from "../support/factories";

const HISTORY = 20_000;
const engineTables = ["DagRun", "TaskInstance", "TaskAttempt"];
let workspaceId: string;
let leftRunning: string;

beforeAll(async () => {
  workspaceId = (await createUser("maintenance")).workspace.id;
  const scope = await systemScope(workspaceId);
  const dagId = await storeDag(scope, {
    id: "history",
    tasks: ["a", "b", "c"].map((id) => ({ id, operator: "noop", config: {} })),
  });
  const { currentVersionId: versionId } = await db.dag.findUniqueOrThrow({ where: { id: dagId } });

  // Statistics taken while the tables were empty, and no autovacuum to refresh them.
  for (const table of engineTables) {
    await sql.query(`ALTER TABLE "${table}" SET (autovacuum_enabled = false)`);
    await sql.query(`ANALYZE "${table}"`);
  }

  // The history: finished runs, each with three finished instances and one attempt.
  await sql.query(
    `INSERT INTO "DagRun" (id, "workspaceId", "dagId", "dagVersionId", "runKey", state, "triggeredBy",
       "logicalDate", "queuedAt", "startedAt", "endedAt")
     SELECT gen_random_uuid(), $1, $2, $3, 'old-' || i, 'success', 'manual', now(), now() - interval '1 day',
            now() - interval '1 day', now() - interval '1 day'
     FROM generate_series(1, $4::int) i`,
    [workspaceId, dagId, versionId, HISTORY],
  );
  await sql.query(
    `INSERT INTO "TaskInstance" (id, "workspaceId", "runId", "taskId", state, "tryNumber", "endedAt")
     SELECT gen_random_uuid(), $1, r.id, t.task, 'success', 1, now() - interval '1 day'
     FROM "DagRun" r, unnest(ARRAY['a', 'b', 'c']) AS t(task) WHERE r."dagId" = $2`,
    [workspaceId, dagId],
  );
  await sql.query(
    `INSERT INTO "TaskAttempt" (id, "workspaceId", "taskInstanceId", number, state, "workerId", "endedAt", "heartbeatAt")
     SELECT gen_random_uuid(), $1, t.id, 1, 'success', 'gone-worker', now() - interval '1 day', now() - interval '1 day'
     FROM "TaskInstance" t WHERE t."workspaceId" = $1 AND t."taskId" = 'a'`,
    [workspaceId],
  );

  // Live work: a run whose worker died between its last completion and the run's end check.
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO "DagRun" (id, "workspaceId", "dagId", "dagVersionId", "runKey", state, "triggeredBy",
       "logicalDate", "queuedAt", "startedAt")
     VALUES (gen_random_uuid(), $1, $2, $3, 'left-running', 'running', 'manual', now(), now() - interval '1 hour',
             now() - interval '1 hour')
     RETURNING id`,
    [workspaceId, dagId, versionId],
  );
  leftRunning = rows[0]!.id;
  await sql.query(
    `INSERT INTO "TaskInstance" (id, "workspaceId", "runId", "taskId", state, "tryNumber", "endedAt")
     SELECT gen_random_uuid(), $1, $2, t.task, 'success', 1, now() - interval '1 hour'
     FROM unnest(ARRAY['a', 'b', 'c']) AS t(task)`,
    [workspaceId, leftRunning],
  );
});

afterAll(async () => {
  for (const table of engineTables) await sql.query(`ALTER TABLE "${table}" RESET (autovacuum_enabled)`);
});

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Join Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/** The statement's executed plan, planned as the engine plans it. */
async function executedPlan(statement: string, params: unknown[]) {
  const plan = await transaction(async (tx) => {
    await tx.query(maintenancePlanning);
    const { rows } = await tx.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`,
      params,
    );
    return rows[0]!["QUERY PLAN"][0].Plan;
  });
  const nodes = nodesOf(plan);
  return {
    nodes,
    indexes: new Set(nodes.map((n) => n["Index Name"]).filter(Boolean)),
    seqScans: nodes.filter((n) => n["Node Type"] === "Seq Scan").map((n) => n["Relation Name"]),
    /** Rows the plan touched: produced by any node, or read and thrown away. */
    rowsTouched: nodes.reduce(
      (sum, n) =>
        sum +
        n["Actual Rows"] * n["Actual Loops"] +
        (n["Rows Removed by Filter"] ?? 0) * n["Actual Loops"] +
        (n["Rows Removed by Join Filter"] ?? 0) * n["Actual Loops"] +
        (n["Rows Removed by Index Recheck"] ?? 0) * n["Actual Loops"],
      0,
    ),
  };
}

describe("maintenance plans under stale statistics", () => {
  it("starts from statistics that believe the tables nearly empty", async () => {
    const { rows } = await sql.query<{ relname: string; reltuples: number }>(
      `SELECT relname, reltuples::float8 AS reltuples FROM pg_class WHERE relname = ANY($1)`,
      [engineTables],
    );
    for (const row of rows) expect(row.reltuples, row.relname).toBeLessThan(100);
    const runs = await db.dagRun.count({ where: { workspaceId } });
    expect(runs).toBe(HISTORY + 1);
  });

  it("finds runs left running through the running-runs index, one probe of unfinished instances each", async () => {
    const plan = await executedPlan(runsLeftRunning, [30]);
    expect(plan.seqScans).toEqual([]);
    expect(plan.indexes).toContain("DagRun_running_idx");
    expect(plan.indexes).toContain("TaskInstance_unfinished_idx");
    expect(plan.rowsTouched).toBeLessThan(20);
  });

  it("finds startable queued runs through the queued-runs index", async () => {
    const plan = await executedPlan(workspacesWithStartableRuns, [30, monthStart(new Date())]);
    expect(plan.seqScans.filter((relation) => engineTables.includes(relation!))).toEqual([]);
    expect(plan.indexes).toContain("DagRun_queued_idx");
    expect(plan.rowsTouched).toBeLessThan(20);
  });

  it("finds lost attempts through the running-attempts index", async () => {
    const plan = await executedPlan(lostAttempts, [30]);
    expect(plan.seqScans.filter((relation) => engineTables.includes(relation!))).toEqual([]);
    expect(plan.indexes).toContain("TaskAttempt_running_idx");
    expect(plan.rowsTouched).toBeLessThan(20);
  });

  it("warns at worker start of tables autovacuum leaves alone, with the statement that fixes it", async () => {
    const problems = await autovacuumProblems(pgPool());
    for (const table of engineTables) {
      expect(problems).toContain(
        `autovacuum is off for "${table}": ALTER TABLE "${table}" RESET (autovacuum_enabled)`,
      );
    }
    await sql.query(`ALTER TABLE "DagRun" RESET (autovacuum_enabled)`);
    expect(await autovacuumProblems(pgPool())).not.toContainEqual(expect.stringContaining('"DagRun"'));
    await sql.query(`ALTER TABLE "DagRun" SET (autovacuum_enabled = false)`);
  });

  it("ends the run left running, and nothing of the history", async () => {
    await repairRuns();
    const run = await db.dagRun.findUniqueOrThrow({ where: { id: leftRunning }, select: { state: true } });
    expect(run.state).toBe("success");
    expect(await db.dagRun.count({ where: { workspaceId, state: "success" } })).toBe(HISTORY + 1);
  });
});
