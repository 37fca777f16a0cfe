// No healthy attempt is taken for lost under load: a worker's heartbeat comes from a thread and a
// database connection of its own (server/engine/heartbeat-thread.ts), so neither an event loop
// blocked for longer than the grace nor a connection pool drained by long statements stops it,
// while another worker's reaper watches with a short grace.
import { afterAll, beforeAll, expect, it } from "vitest";
import { env } from "@/server/config";
import { pgPool } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { killWorkerProcesses, startWorkerProcess } from "../support/worker-processes";

const GRACE_SECONDS = 5;
/** Longer than the grace, and than the grace plus a reaper's round. */
const STALL_MS = 9_000;

let scope: WorkspaceScope;

beforeAll(async () => {
  process.env.BATON_LOST_ATTEMPT_SECONDS = String(GRACE_SECONDS);
  scope = await workspaceScope((await createUser("steady")).workspace.id);
  await storeDag(scope, {
    id: "long",
    tasks: [{ id: "only", operator: "test", config: { durationMs: STALL_MS + 3_000 } }],
  });
  await startTestWorker(2);
  // A second worker whose reaper looks every 300 ms with the same short grace.
  await startWorkerProcess({ BATON_LOST_ATTEMPT_SECONDS: String(GRACE_SECONDS), BATON_REAP_EVERY_MS: "300" });
});
afterAll(async () => {
  killWorkerProcesses();
  await stopTestWorker();
  delete process.env.BATON_LOST_ATTEMPT_SECONDS;
});

/** Triggers the long task, waits until it runs here, then does `stall` while it runs. */
async function stallDuringTask(stall: () => Promise<void> | void) {
  const run = await triggerRun(scope, { dagKey: "long" });
  await expect
    .poll(
      async () =>
        (await pgPool().query(`SELECT state FROM "TaskInstance" WHERE "runId" = $1`, [run.id])).rows[0]
          ?.state,
      {
        timeout: 30_000,
      },
    )
    .toBe("running");
  await stall();
  const done = await waitForRun(run.id, 60_000);
  return done.taskInstances[0]!;
}

it("holds while the worker's event loop is blocked for longer than the grace", async () => {
  expect(env.BATON_LOST_ATTEMPT_SECONDS).toBe(GRACE_SECONDS);
  const task = await stallDuringTask(() => {
    const until = Date.now() + STALL_MS;
    while (Date.now() < until) {
      // The main thread computes and answers nothing, as under a flood of synchronous work.
    }
  });
  expect(task.attempts.map((a) => [a.state, a.error])).toEqual([["success", null]]);
  expect(task.state).toBe("success");
}, 90_000);

it("holds while every connection of the worker's pool is taken by long statements", async () => {
  const task = await stallDuringTask(async () => {
    const size = env.BATON_DB_POOL_SIZE;
    await Promise.all(
      Array.from({ length: size }, () => pgPool().query(`SELECT pg_sleep($1)`, [STALL_MS / 1000])),
    );
  });
  expect(task.attempts.map((a) => [a.state, a.error])).toEqual([["success", null]]);
  expect(task.state).toBe("success");
}, 90_000);
