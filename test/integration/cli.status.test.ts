// `baton status`, the operator's view of an installation: live workers with their worker pools,
// slots and running attempts, each pool's queue, and the task that has waited longest. Real
// workers (one in this process serving `shared`, one process serving `gpu`), a workspace assigned
// to a pool no worker serves (its tasks wait), and a long task holding a shared slot.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { cancelRun } from "@/server/engine/operations";
import { triggerRun } from "@/server/engine/runs";
import type { InstallationStatus } from "@/server/observability/status";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { baton } from "../support/cli";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { until } from "../support/until";
import { killWorkerProcesses, startWorkerProcess } from "../support/worker-processes";

let acme: WorkspaceScope;
let other: WorkspaceScope;
let acmeSlug: string;
let waitingRunId: string;
let longRunId: string;

const status = async () => {
  const result = await baton(["--json", "status"]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as InstallationStatus;
};

beforeAll(async () => {
  const acmeUser = await createUser("acme");
  const otherUser = await createUser("other");
  acmeSlug = acmeUser.workspace.slug;
  acme = await workspaceScope(acmeUser.workspace.id, { maxConcurrentTasks: 50 });
  other = await workspaceScope(otherUser.workspace.id, { maxConcurrentTasks: 50 });
  // acme's tasks run only on workers serving dedicated:acme, and none does.
  await db.workspace.update({ where: { id: acme.workspace.id }, data: { workerPool: "dedicated:acme" } });
  await storeDag(acme, {
    id: "fan",
    tasks: ["a", "b", "c"].map((id) => ({ id, operator: "test", config: {} })),
  });
  await storeDag(other, {
    id: "long",
    tasks: [{ id: "sleep", operator: "test", config: { durationMs: 600_000 } }],
  });

  await startTestWorker(3); // shared
  await startWorkerProcess({ BATON_WORKER_POOLS: "gpu", WORKER_CONCURRENCY: "2" });
  waitingRunId = (await triggerRun(acme, { dagKey: "fan" })).id;
  longRunId = (await triggerRun(other, { dagKey: "long" })).id;
  await until("the long task to run", async () => {
    const running = await db.taskInstance.count({ where: { runId: longRunId, state: "running" } });
    const queued = await db.taskInstance.count({ where: { runId: waitingRunId, state: "queued" } });
    return running === 1 && queued === 3;
  });
}, 120_000);

afterAll(async () => {
  await cancelRun(other, longRunId).catch(() => {});
  killWorkerProcesses();
  await stopTestWorker();
});

describe("baton status", () => {
  it("lists the live workers with their pools, slots and running attempts", async () => {
    const { workers, goneWorkers } = await status();
    expect(goneWorkers).toBe(0);
    expect(workers.map((w) => ({ pools: w.pools, slots: w.slots, running: w.running }))).toEqual(
      expect.arrayContaining([
        { pools: ["shared"], slots: 3, running: 1 },
        { pools: ["gpu"], slots: 2, running: 0 },
      ]),
    );
    expect(workers).toHaveLength(2);
    expect(workers[0]!.name).toMatch(/^.+:\d+$/);
  });

  it("gives each worker pool's capacity and queue, with pools nobody serves", async () => {
    const { pools } = await status();
    const byName = Object.fromEntries(pools.map(({ oldestWaitingSince, ...p }) => [p.name, p]));
    expect(byName).toEqual({
      shared: {
        name: "shared",
        workers: 1,
        slots: 3,
        running: 1,
        queued: 0,
        scheduled: 0,
        waitingWorkspaces: 0,
      },
      gpu: { name: "gpu", workers: 1, slots: 2, running: 0, queued: 0, scheduled: 0, waitingWorkspaces: 0 },
      "dedicated:acme": {
        name: "dedicated:acme",
        workers: 0,
        slots: 0,
        running: 0,
        queued: 3,
        scheduled: 0,
        waitingWorkspaces: 1,
      },
    });
    expect(pools.find((p) => p.name === "dedicated:acme")!.oldestWaitingSince).not.toBeNull();
    expect(pools.find((p) => p.name === "shared")!.oldestWaitingSince).toBeNull();
  });

  it("names the task that has waited longest", async () => {
    const { oldestWaitingTask } = await status();
    const first = await db.taskInstance.findFirstOrThrow({
      where: { runId: waitingRunId },
      orderBy: { queuedAt: "asc" },
    });
    expect(oldestWaitingTask).toMatchObject({
      workspace: acmeSlug,
      dag: "fan",
      runId: waitingRunId,
      taskId: first.taskId,
      mapIndex: -1,
      state: "queued",
      pool: "dedicated:acme",
      since: first.queuedAt!.toISOString(),
    });
    expect(oldestWaitingTask!.waitingSeconds).toBeGreaterThanOrEqual(0);
  });

  it("prints the same as tables for a person", async () => {
    const result = await baton(["status"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/^Workers: 2 live\nNAME +POOLS +SLOTS +RUNNING +UP +HEARTBEAT\n/);
    expect(result.stdout).toMatch(/\n\S+ +shared +3 +1 +\S+ +\S+ ago\n/);
    expect(result.stdout).toMatch(/\n\S+ +gpu +2 +0 +/);
    expect(result.stdout).toMatch(/\ndedicated:acme +0 +0 +0 +3 +3 +0 +1 +\d+[smhd]/);
    expect(result.stdout).toContain(`Oldest waiting task: ${acmeSlug}/fan task `);
    expect(result.stdout).toMatch(/queued in pool dedicated:acme, waiting \d+[smhd]/);
  });

  it("shows the queue draining once a worker serves the pool, and no waiting task after", async () => {
    await startWorkerProcess({ BATON_WORKER_POOLS: "dedicated:acme", WORKER_CONCURRENCY: "2" });
    expect((await waitForRun(waitingRunId, 60_000)).state).toBe("success");
    const after = await status();
    expect(after.pools.find((p) => p.name === "dedicated:acme")).toMatchObject({
      workers: 1,
      slots: 2,
      queued: 0,
      scheduled: 0,
      waitingWorkspaces: 0,
      oldestWaitingSince: null,
    });
    expect(after.oldestWaitingTask).toBeNull();
    expect((await baton(["status"])).stdout).toContain("No task is waiting.");
  }, 90_000);
});
