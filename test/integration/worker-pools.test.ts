// Dedicated worker pools: the platform console assigns a workspace, or one of its named pools, to a
// worker pool; its tasks then run only on workers serving that pool (BATON_WORKER_POOLS), and a
// shared worker never runs them, nor a dedicated worker anyone else's. While no live worker serves
// the pool, its tasks wait and say so, in the run, the workspace's pools and the console.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { getRun } from "@/server/engine/queries";
import { triggerRun } from "@/server/engine/runs";
import { createPool } from "@/server/pools/service";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { baton } from "../support/cli";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { codeOf, createUser } from "../support/factories";
import { killWorkerProcesses, startWorkerProcess } from "../support/worker-processes";

type Person = Awaited<ReturnType<typeof createUser>>;

let admin: Person;
let acme: Person;
let other: Person;
let acmeScope: WorkspaceScope;
let otherScope: WorkspaceScope;

const wide = (id: string, count: number, extra: Record<string, unknown> = {}) => ({
  id,
  tasks: Array.from({ length: count }, (_, i) => ({
    id: `t${i}`,
    operator: "test",
    config: { durationMs: 20 },
    ...extra,
  })),
});

/** The worker process that held each attempt's slot, by the slot ids workers register. */
async function workersOf(runId: string): Promise<Set<string>> {
  const rows = await db.$queryRawUnsafe<Array<{ pools: string[] }>>(
    `SELECT DISTINCT k.pools FROM "TaskAttempt" a JOIN "TaskInstance" t ON t.id = a."taskInstanceId"
     LEFT JOIN "Worker" k ON a."workerId" = ANY(k."lockIds") WHERE t."runId" = $1::uuid`,
    runId,
  );
  return new Set(rows.map((r) => (r.pools ?? ["(no registered worker)"]).join(",")));
}

beforeAll(async () => {
  admin = await createUser("admin");
  acme = await createUser("acme");
  other = await createUser("other");
  expect(await baton(["admin", "grant", admin.email])).toMatchObject({ code: 0 });
  acmeScope = await workspaceScope(acme.workspace.id, { maxConcurrentTasks: 50 });
  otherScope = await workspaceScope(other.workspace.id, { maxConcurrentTasks: 50 });
  await startTestWorker(3); // the shared pool's worker, in this process
});
afterAll(async () => {
  killWorkerProcesses();
  await stopTestWorker();
});

describe("a workspace assigned to a dedicated pool", () => {
  it("waits, saying so, while no worker serves the pool, then runs only on the pool's workers", async () => {
    await admin.api.platform.assignWorkerPool({
      workspace: acme.workspace.slug,
      workerPool: "dedicated:acme",
    });
    // The workspace's log names the role; the installation's log names the administrator.
    const [event] = await db.auditEvent.findMany({
      where: { workspaceId: acme.workspace.id, action: "platform.workspace.worker_pool" },
    });
    expect(event).toMatchObject({
      actorLabel: "Platform administrator",
      metadata: { from: null, to: "dedicated:acme" },
    });
    const [installation] = await db.auditEvent.findMany({
      where: { workspaceId: null, action: "platform.workspace.worker_pool" },
    });
    expect(installation).toMatchObject({ actorLabel: admin.email, metadata: { to: "dedicated:acme" } });

    await storeDag(acmeScope, wide("fan", 12));
    await storeDag(otherScope, wide("fan", 12));
    const acmeRun = await triggerRun(acmeScope, { dagKey: "fan" });
    const otherRun = await triggerRun(otherScope, { dagKey: "fan" });
    expect((await waitForRun(otherRun.id)).state).toBe("success");

    // Nothing ran acme's tasks on the shared worker: they wait, and say why.
    const waiting = await getRun(acmeScope, acmeRun.id);
    expect(waiting.tasks.every((t) => t.state === "queued")).toBe(true);
    expect(waiting.tasks[0]!.waitingFor).toBe("no live worker serves worker pool dedicated:acme");
    const pools = await acme.api.pools.list({ workspace: acme.workspace.slug });
    expect(pools.workerPools).toEqual([
      { name: "dedicated:acme", workers: 0, slots: 0, running: 0, waiting: true },
    ]);
    const console = await admin.api.platform.workerPools();
    expect(console.pools.find((p) => p.name === "dedicated:acme")).toMatchObject({
      workers: 0,
      slots: 0,
      waiting: 1,
      workspaces: [acme.workspace.slug],
    });

    // A worker serving the pool starts: acme's tasks run there, and only there.
    await startWorkerProcess({ BATON_WORKER_POOLS: "dedicated:acme", WORKER_CONCURRENCY: "2" });
    expect((await waitForRun(acmeRun.id, 60_000)).state).toBe("success");
    expect(await workersOf(acmeRun.id)).toEqual(new Set(["dedicated:acme"]));
    expect(await workersOf(otherRun.id)).toEqual(new Set(["shared"]));

    // Both kinds of workers running: each workspace's tasks stay on their own.
    const [again, otherAgain] = await Promise.all([
      triggerRun(acmeScope, { dagKey: "fan" }),
      triggerRun(otherScope, { dagKey: "fan" }),
    ]);
    expect((await waitForRun(again.id, 60_000)).state).toBe("success");
    expect((await waitForRun(otherAgain.id, 60_000)).state).toBe("success");
    expect(await workersOf(again.id)).toEqual(new Set(["dedicated:acme"]));
    expect(await workersOf(otherAgain.id)).toEqual(new Set(["shared"]));
    expect((await acme.api.pools.list({ workspace: acme.workspace.slug })).workerPools).toEqual([
      { name: "dedicated:acme", workers: 1, slots: 2, running: 0, waiting: false },
    ]);
  }, 120_000);

  it("runs a named pool assigned to a pool of its own there, and the rest on the workspace's", async () => {
    await createPool(otherScope, { name: "gpu", slots: 4 });
    await admin.api.platform.assignWorkerPool({
      workspace: other.workspace.slug,
      pool: "gpu",
      workerPool: "gpu",
    });
    await storeDag(otherScope, {
      id: "mixed",
      tasks: [
        ...wide("x", 4, { pool: "gpu" }).tasks.map((t) => ({ ...t, id: `gpu${t.id}` })),
        ...wide("x", 4).tasks,
      ],
    });
    const run = await triggerRun(otherScope, { dagKey: "mixed" });
    await expect
      .poll(
        async () => (await getRun(otherScope, run.id)).tasks.filter((t) => t.state === "success").length,
        {
          timeout: 30_000,
        },
      )
      .toBe(4);
    const waiting = (await getRun(otherScope, run.id)).tasks.filter((t) => t.state === "queued");
    expect(waiting.map((t) => t.taskId).sort()).toEqual(["gput0", "gput1", "gput2", "gput3"]);
    expect(waiting[0]!.waitingFor).toBe("no live worker serves worker pool gpu");

    await startWorkerProcess({ BATON_WORKER_POOLS: "gpu", WORKER_CONCURRENCY: "2" });
    expect((await waitForRun(run.id, 60_000)).state).toBe("success");
    const byPool = await db.$queryRawUnsafe<Array<{ taskId: string; pools: string[] }>>(
      `SELECT t."taskId", k.pools FROM "TaskAttempt" a JOIN "TaskInstance" t ON t.id = a."taskInstanceId"
       JOIN "Worker" k ON a."workerId" = ANY(k."lockIds") WHERE t."runId" = $1::uuid ORDER BY t."taskId"`,
      run.id,
    );
    for (const row of byPool) expect(row.pools).toEqual(row.taskId.startsWith("gpu") ? ["gpu"] : ["shared"]);
    expect(byPool).toHaveLength(8);
  }, 120_000);
});

describe("assigning worker pools", () => {
  it("is for platform administrators, and refuses bad pool names and unknown pools by field", async () => {
    expect(
      await codeOf(acme.api.platform.assignWorkerPool({ workspace: acme.workspace.slug, workerPool: "gpu" })),
    ).toBe("FORBIDDEN");
    const bad = await admin.api.platform
      .assignWorkerPool({ workspace: acme.workspace.slug, workerPool: "Not A Pool" })
      .catch((error) => error);
    expect(bad).toMatchObject({ code: "BAD_REQUEST" });
    expect(bad.message).toMatch(/worker pool name/);
    expect(
      await codeOf(
        admin.api.platform.assignWorkerPool({
          workspace: acme.workspace.slug,
          pool: "nope",
          workerPool: "gpu",
        }),
      ),
    ).toBe("NOT_FOUND");
    expect(
      await codeOf(
        admin.api.platform.assignWorkerPool({ workspace: "no-such-workspace", workerPool: "gpu" }),
      ),
    ).toBe("NOT_FOUND");
    // Back to shared: the workspace's page says so.
    await admin.api.platform.assignWorkerPool({ workspace: acme.workspace.slug, workerPool: null });
    expect((await admin.api.platform.workspace({ workspace: acme.workspace.slug })).workerPool).toBeNull();
  });
});
