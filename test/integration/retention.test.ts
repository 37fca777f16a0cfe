// Retention removes exactly what is past each workspace's retention, in batches, while runs keep
// executing; it measures storage into the day's usage and keeps graphile-worker's tables lean.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { clearTasks } from "@/server/engine/operations";
import { triggerRun } from "@/server/engine/runs";
import { applyRetention } from "@/server/retention/purge";
import { cleanWorkerTables } from "@/server/retention/worker-tables";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { createWebhook } from "@/server/webhooks/endpoints";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

const DAY = 86_400_000;
const MINUTE = 60_000;
const RUN_DAYS = 10;
const LOG_DAYS = 3;
const TASKS = 3;

let scope: WorkspaceScope;
/** The owner of `scope`'s workspace, asking the run page's API. */
let owner: Awaited<ReturnType<typeof createUser>>;
/** Another workspace on the default retention (90 days), whose old rows must all stay. */
let other: WorkspaceScope;

const dag = {
  id: "work",
  tasks: Array.from({ length: TASKS }, (_, i) => ({
    id: `t${i}`,
    operator: "test",
    config: { output: { rows: i, note: "kept in the task's output" } },
  })),
};

async function finishedRun(target: WorkspaceScope, endedAt: Date): Promise<string> {
  const { id } = await triggerRun(target, { dagKey: dag.id });
  expect((await waitForRun(id)).state).toBe("success");
  // Logs are written in chunks as attempts run; every attempt's chunk is in before we move on.
  await expect
    .poll(() => db.taskLog.count({ where: { attempt: { taskInstance: { runId: id } } } }), {
      timeout: 20_000,
    })
    .toBeGreaterThanOrEqual(TASKS);
  await db.dagRun.update({ where: { id }, data: { endedAt } });
  return id;
}

async function deliveries(endpointId: string, workspaceId: string, receivedAt: Date, n: number) {
  await db.webhookDelivery.createMany({
    data: Array.from({ length: n }, () => ({
      id: randomUUID(),
      workspaceId,
      endpointId,
      receivedAt,
      body: '{"event":"push"}',
      bodyBytes: 16,
      statusCode: 202,
      result: "accepted",
    })),
  });
}

const logsOf = (runId: string) => db.taskLog.count({ where: { attempt: { taskInstance: { runId } } } });

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  owner = await createUser("kept");
  scope = await workspaceScope(owner.workspace.id);
  other = await workspaceScope((await createUser("other")).workspace.id);
  await db.workspace.update({
    where: { id: scope.workspace.id },
    data: { runRetentionDays: RUN_DAYS, logRetentionDays: LOG_DAYS },
  });
  await storeDag(scope, dag);
  await storeDag(other, dag);
  await storeDag(scope, {
    id: "long",
    tasks: [
      { id: "first", operator: "test", config: { durationMs: 300 } },
      { id: "second", operator: "test", config: { durationMs: 300 }, dependsOn: ["first"] },
      { id: "third", operator: "test", config: { durationMs: 300 }, dependsOn: ["second"] },
    ],
  });
  await startTestWorker(4);
});
afterAll(() => stopTestWorker());

describe("retention:purge", () => {
  it("deletes exactly the runs, logs and deliveries past retention, in batches, while a run executes", async () => {
    const now = new Date();
    const at = (ms: number) => new Date(now.getTime() - ms);
    const runPast = [];
    for (let i = 0; i < 3; i++) runPast.push(await finishedRun(scope, at(RUN_DAYS * DAY + MINUTE)));
    const runWithin = [];
    for (let i = 0; i < 2; i++) runWithin.push(await finishedRun(scope, at(RUN_DAYS * DAY - MINUTE)));
    const logPast = await finishedRun(scope, at(LOG_DAYS * DAY + MINUTE));
    const logWithin = await finishedRun(scope, at(LOG_DAYS * DAY - MINUTE));
    const otherOld = await finishedRun(other, at(RUN_DAYS * DAY + DAY));

    const endpoint = await createWebhook(scope, {
      dagId: dag.id,
      name: "hook",
      authMode: "token",
      baseUrl: "http://x",
    });
    await deliveries(endpoint.id, scope.workspace.id, at(RUN_DAYS * DAY + MINUTE), 5);
    await deliveries(endpoint.id, scope.workspace.id, at(RUN_DAYS * DAY - MINUTE), 3);
    const otherEndpoint = await createWebhook(other, {
      dagId: dag.id,
      name: "hook",
      authMode: "token",
      baseUrl: "http://x",
    });
    await deliveries(otherEndpoint.id, other.workspace.id, at(RUN_DAYS * DAY + DAY), 2);

    const logChunksDue = (await Promise.all([...runPast, ...runWithin, logPast].map(logsOf))).reduce(
      (a, b) => a + b,
    );

    // A run that executes throughout the purge, in the same workspace.
    const long = await triggerRun(scope, { dagKey: "long" });
    await expect
      .poll(() => db.dagRun.findUniqueOrThrow({ where: { id: long.id } }).then((r) => r.state), {
        timeout: 20_000,
      })
      .toBe("running");

    const lines: string[] = [];
    const report = await applyRetention({ now, batchSize: 2, pauseMs: 5, log: (line) => lines.push(line) });

    const mine = report.workspaces.find((w) => w.workspaceId === scope.workspace.id)!;
    expect(mine).toMatchObject({
      runs: 3,
      taskInstances: 3 * TASKS,
      // The runs past run retention lost their logs first, with those past log retention.
      logRuns: 3 + 2 + 1,
      logChunks: logChunksDue,
      deliveries: 5,
    });
    // Batches of 2: several statements for each kind of row.
    expect(report.statements).toBeGreaterThanOrEqual(
      Math.ceil(logChunksDue / 2) + Math.ceil((3 * TASKS) / 2) + 2 + Math.ceil(5 / 2) + 3,
    );
    expect(lines.join("\n")).toContain(`workspace ${scope.workspace.id}: deleted 3 run(s)`);

    const runs = await db.dagRun.findMany({
      where: { workspaceId: scope.workspace.id },
      select: { id: true, logsPurgedAt: true },
    });
    const kept = new Map(runs.map((r) => [r.id, r]));
    for (const id of runPast) expect(kept.has(id)).toBe(false);
    expect(await db.taskInstance.count({ where: { runId: { in: runPast } } })).toBe(0);
    expect(await db.taskAttempt.count({ where: { taskInstance: { runId: { in: runPast } } } })).toBe(0);
    for (const id of [...runWithin, logPast]) {
      expect(kept.get(id)?.logsPurgedAt).not.toBeNull();
      expect(await logsOf(id)).toBe(0);
      // The run keeps its task instances and their outputs; only the logs went.
      const outputs = await db.taskInstance.findMany({ where: { runId: id }, select: { output: true } });
      expect(outputs.filter((t) => t.output !== null)).toHaveLength(TASKS);
    }
    expect(kept.get(logWithin)?.logsPurgedAt).toBeNull();
    expect(await logsOf(logWithin)).toBeGreaterThanOrEqual(TASKS);
    // The run page's API says when the logs went, and under which retention.
    const workspace = scope.workspace.slug;
    expect(await owner.api.runs.get({ workspace, runId: logPast })).toMatchObject({
      logsPurgedAt: kept.get(logPast)?.logsPurgedAt,
      logRetentionDays: LOG_DAYS,
    });
    expect(await owner.api.runs.get({ workspace, runId: logWithin })).toMatchObject({
      logsPurgedAt: null,
      logRetentionDays: null,
    });
    expect(await db.webhookDelivery.count({ where: { workspaceId: scope.workspace.id } })).toBe(3);

    // Another workspace's retention is its own: its ten-day-old rows stay.
    expect(await db.dagRun.count({ where: { id: otherOld } })).toBe(1);
    expect(await logsOf(otherOld)).toBeGreaterThanOrEqual(TASKS);
    expect(await db.webhookDelivery.count({ where: { workspaceId: other.workspace.id } })).toBe(2);

    // The run that executed meanwhile finished, untouched.
    const ended = await waitForRun(long.id);
    expect(ended.state).toBe("success");
    expect(ended.taskInstances.map((t) => t.state)).toEqual(["success", "success", "success"]);

    // Nothing is left to do: a second pass deletes nothing.
    const again = await applyRetention({ now, batchSize: 2, pauseMs: 0 });
    expect(again.workspaces.find((w) => w.workspaceId === scope.workspace.id)).toMatchObject({
      runs: 0,
      logRuns: 0,
      deliveries: 0,
    });
  });

  it("purges again the logs of a run cleared and run again after its logs went", async () => {
    const now = new Date();
    const at = (ms: number) => new Date(now.getTime() - ms);
    const id = await finishedRun(scope, at(LOG_DAYS * DAY + MINUTE));
    await applyRetention({ now, batchSize: 10, pauseMs: 0 });
    expect(await logsOf(id)).toBe(0);

    // Cleared and run again: the new attempt writes a log.
    await clearTasks(scope, { runId: id, taskIds: ["t0"], downstream: false });
    expect((await waitForRun(id)).state).toBe("success");
    await expect.poll(() => logsOf(id), { timeout: 20_000 }).toBeGreaterThan(0);
    // Time passes: the purge was long ago, the re-run ended past log retention too.
    await db.dagRun.update({
      where: { id },
      data: { logsPurgedAt: at(LOG_DAYS * DAY + 2 * MINUTE), endedAt: at(LOG_DAYS * DAY + MINUTE) },
    });
    const report = await applyRetention({ now, batchSize: 10, pauseMs: 0 });
    expect(report.workspaces.find((w) => w.workspaceId === scope.workspace.id)).toMatchObject({ logRuns: 1 });
    expect(await logsOf(id)).toBe(0);
    const run = await db.dagRun.findUniqueOrThrow({ where: { id } });
    expect(run.logsPurgedAt!.getTime()).toBeGreaterThan(run.endedAt!.getTime());
  });

  it("measures each workspace's storage into today's usage", async () => {
    const now = new Date();
    await applyRetention({ now, pauseMs: 0 });
    for (const target of [scope, other]) {
      const [expected] = await db.$queryRaw<{ bytes: bigint }[]>`
        SELECT (SELECT COALESCE(sum(octet_length(text)), 0) FROM "TaskLog" WHERE "workspaceId" = ${target.workspace.id}::uuid)
             + (SELECT COALESCE(sum(octet_length(output::text)), 0) FROM "TaskInstance" WHERE "workspaceId" = ${target.workspace.id}::uuid)
             + (SELECT COALESCE(sum(octet_length(body)), 0) FROM "WebhookDelivery" WHERE "workspaceId" = ${target.workspace.id}::uuid)
             AS bytes`;
      const day = await db.usageDay.findUniqueOrThrow({
        where: {
          workspaceId_day: {
            workspaceId: target.workspace.id,
            day: new Date(now.toISOString().slice(0, 10)),
          },
        },
      });
      expect(expected!.bytes).toBeGreaterThan(0n);
      expect(day.storageBytes).toBe(BigInt(expected!.bytes));
    }
  });

  it("deletes permanently failed jobs and unused task identifiers, keeping the workers' own", async () => {
    await db.$executeRaw`SELECT graphile_worker.add_job('retention-test:gone', '{}'::json, max_attempts := 1)`;
    await db.$executeRaw`SELECT graphile_worker.add_job('retention-test:kept', '{}'::json, max_attempts := 1)`;
    await db.$executeRaw`SELECT graphile_worker.permanently_fail_jobs(ARRAY(
      SELECT j.id FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
      WHERE t.identifier LIKE 'retention-test:%'), 'test')`;
    await cleanWorkerTables(["retention-test:kept"]);
    const identifiers = await db.$queryRaw<{ identifier: string }[]>`
      SELECT identifier FROM graphile_worker._private_tasks WHERE identifier LIKE 'retention-test:%' ORDER BY 1`;
    expect(identifiers.map((r) => r.identifier)).toEqual(["retention-test:kept"]);
    const jobs = await db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
      WHERE t.identifier LIKE 'retention-test:%'`;
    expect(jobs[0]!.n).toBe(0n);
  });
});
