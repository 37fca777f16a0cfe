// The job catalog (server/jobs/catalog.ts): payloads built inside SQL statements (admission's
// run-task jobs, retries' requeue jobs, DAG-outcome jobs) match the catalog's schemas, as the
// handlers will parse them; `enqueue` refuses a payload its schema refuses; and jobs queued with
// the short field names of before are rewritten by the catalog's migration.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRow } from "@/server/engine/advance";
import { claim } from "@/server/engine/claim";
import { complete } from "@/server/engine/complete";
import { triggerRun } from "@/server/engine/runs";
import { sql } from "@/server/engine/sql";
import { registerWorker, unregisterWorker } from "@/server/engine/worker-registry";
import { enqueue, jobCatalog, jobNameOf } from "@/server/jobs/catalog";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { createDagTrigger } from "@/server/triggers/dag-triggers";
import { storeDag, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

interface QueuedJob {
  identifier: string;
  payload: unknown;
}

async function queuedJobs(): Promise<QueuedJob[]> {
  const { rows } = await sql.query<QueuedJob>(
    `SELECT t.identifier, j.payload FROM graphile_worker._private_jobs j
     JOIN graphile_worker._private_tasks t ON t.id = j.task_id ORDER BY j.id`,
  );
  return rows;
}

/** Each job's payload parsed with its catalog schema; the problems, by identifier. */
function problemsOf(jobs: QueuedJob[]): string[] {
  return jobs.flatMap((job) => {
    const name = jobNameOf(job.identifier);
    if (!name) return [`${job.identifier}: not in the catalog`];
    const parsed = jobCatalog[name].safeParse(job.payload);
    return parsed.success ? [] : [`${job.identifier}: ${parsed.error.message}`];
  });
}

let scope: WorkspaceScope;

beforeAll(async () => {
  scope = await workspaceScope((await createUser("jobs")).workspace.id);
  // A worker registered for the shared pool, so that admission has slots to admit to; none runs
  // the jobs: the test reads them.
  await registerWorker({ id: crypto.randomUUID(), pools: ["shared"], slots: 4 });
});
afterAll(() => unregisterWorker());

describe("payloads built in SQL", () => {
  /** Claims the run's instance of `taskId` as a worker would, and records `outcome` for it. */
  async function finish(runId: string, taskId: string, outcome: Parameters<typeof complete>[0]["outcome"]) {
    const { rows } = await sql.query<RunRow & { instanceId: string }>(
      `SELECT r.id, r."workspaceId", r."dagId", r."dagVersionId", r.params, t.id AS "instanceId"
       FROM "DagRun" r JOIN "TaskInstance" t ON t."runId" = r.id WHERE r.id = $1 AND t."taskId" = $2`,
      [runId, taskId],
    );
    const { instanceId, ...run } = rows[0]!;
    const attempt = await claim({
      taskInstanceId: instanceId,
      workspaceId: scope.workspace.id,
      workerId: "w",
    });
    await complete({ run, attempt: attempt!, outcome });
  }

  it("match the catalog's schemas, as the handlers parse them", async () => {
    await storeDag(scope, {
      id: "flaky",
      tasks: [{ id: "flaky", operator: "test", retries: 1, retryDelaySeconds: 600 }],
    });
    await storeDag(scope, { id: "upstream", tasks: [{ id: "only", operator: "noop" }] });
    await storeDag(scope, { id: "downstream", tasks: [{ id: "only", operator: "noop" }] });
    await createDagTrigger(scope, { dagId: "downstream", upstreamDagId: "upstream", on: ["success"] });

    // Admission adds run-task jobs in SQL (no worker runs them here); a retryable failure adds a
    // requeue job in SQL; a run ending adds its outcome's job in SQL.
    const flaky = await triggerRun(scope, { dagKey: "flaky" });
    await finish(flaky.id, "flaky", { state: "failed", error: "boom", retryable: true });
    const upstream = await triggerRun(scope, { dagKey: "upstream" });
    await finish(upstream.id, "only", { state: "success", output: 1 });
    await expect
      .poll(async () => (await queuedJobs()).map((j) => j.identifier), { timeout: 10_000 })
      .toContain("triggers:dag-outcome");

    const jobs = await queuedJobs();
    expect(new Set(jobs.map((j) => j.identifier))).toEqual(
      new Set(["engine:run-task@shared", "engine:requeue-task", "triggers:dag-outcome", "engine:start-runs"]),
    );
    expect(problemsOf(jobs)).toEqual([]);
  });
});

describe("enqueue", () => {
  it("refuses a payload the catalog refuses, naming the field", async () => {
    await expect(
      enqueue(sql, "engine:timeout-run", { runId: "not-a-uuid", workspaceId: scope.workspace.id }),
    ).rejects.toThrow(/runId/);
    await expect(
      // @ts-expect-error: the short names of before are no payload of this job.
      enqueue(sql, "engine:start-runs", { w: scope.workspace.id }),
    ).rejects.toThrow(/workspaceId/);
  });
});

describe("the catalog's migration", () => {
  it("rewrites jobs queued with the short field names of before", async () => {
    await sql.query(`DELETE FROM graphile_worker._private_jobs`);
    const [w, ti, run, dag, id] = Array.from({ length: 5 }, () => crypto.randomUUID());
    const old: Array<[string, object]> = [
      ["engine:run-task", { ti, w }],
      ["engine:requeue-task", { ti, w, n: 2 }],
      ["engine:timeout-run", { run, w }],
      ["engine:start-runs", { w }],
      ["engine:run-callbacks", { run, w, state: "failed", only: [1], round: 2 }],
      ["schedule:create-runs", { w, dag, ticks: [["2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"]] }],
      ["backfill:step", { w, id }],
      ["triggers:dag-outcome", { run, w, state: "success" }],
    ];
    for (const [name, payload] of old) {
      await sql.query(`SELECT graphile_worker.add_job($1, $2::json)`, [name, JSON.stringify(payload)]);
    }
    const migration = readFileSync("prisma/migrations/20261207123700_job_catalog/migration.sql", "utf8");
    await sql.query(migration);

    const jobs = await queuedJobs();
    expect(problemsOf(jobs)).toEqual([]);
    expect(jobs.map((j) => j.identifier)).toEqual([
      "engine:run-task@shared",
      ...old.slice(1).map(([name]) => name),
    ]);
    expect(jobs.map((j) => j.payload)).toEqual([
      { taskInstanceId: ti, workspaceId: w },
      { taskInstanceId: ti, workspaceId: w, tryNumber: 2 },
      { runId: run, workspaceId: w },
      { workspaceId: w },
      { runId: run, workspaceId: w, state: "failed", only: [1], round: 2 },
      { workspaceId: w, dagId: dag, ticks: [["2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"]] },
      { workspaceId: w, backfillId: id },
      { runId: run, workspaceId: w, state: "success" },
    ]);
  });
});
