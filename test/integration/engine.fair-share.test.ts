// Fair share of live capacity (server/engine/dispatch.ts, fair-share.ts), asserted by order and
// slot counts rather than time: a hostile workspace running CPU-bound code at the largest cpuMs,
// with a 5,000-task backlog and a quota above the pool's size, holds no more than the pool's
// slots less its reserve, and a quiet workspace's task starts while every hostile task still
// runs; backlogged workspaces hold slots in proportion to their plans' weights; a slot freed by a
// workspace over its share goes to the waiting one; shares add up to the slots shared.
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { cancelRun } from "@/server/engine/operations";
import { getRun } from "@/server/engine/queries";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

const SLOTS = 4;
const RESERVE = 1;

/** Slots each workspace holds now (scheduled or running instances admitted to a worker pool). */
async function held(scopes: WorkspaceScope[]): Promise<number[]> {
  const rows = await db.taskInstance.groupBy({
    by: ["workspaceId"],
    where: {
      workspaceId: { in: scopes.map((s) => s.workspace.id) },
      state: { in: ["scheduled", "running"] },
      workerPool: { not: null },
    },
    _count: { _all: true },
  });
  return scopes.map((s) => rows.find((r) => r.workspaceId === s.workspace.id)?._count._all ?? 0);
}

async function newWorkspace(name: string, settings: { maxConcurrentTasks: number; shareWeight?: number }) {
  const { workspace } = await createUser(name);
  await db.workspace.update({ where: { id: workspace.id }, data: settings });
  return workspaceScope(workspace.id);
}

const runs: Array<{ scope: WorkspaceScope; id: string }> = [];
async function trigger(scope: WorkspaceScope, dagKey: string) {
  const run = await triggerRun(scope, { dagKey });
  runs.push({ scope, id: run.id });
  return run;
}

beforeAll(async () => {
  process.env.BATON_POOL_RESERVE = String(RESERVE);
  await startTestWorker(SLOTS);
});
afterEach(async () => {
  // Whatever still runs (the hostile backlogs) is cancelled: its sandboxes stop.
  for (const run of runs.splice(0)) await cancelRun(run.scope, run.id).catch(() => {});
});
afterAll(() => stopTestWorker());

describe("a hostile neighbour", () => {
  it("leaves the reserve to a quiet workspace, whose task starts while every CPU-bound task still runs", async () => {
    const hostile = await newWorkspace("hostile", { maxConcurrentTasks: 16 });
    const quiet = await newWorkspace("quiet", { maxConcurrentTasks: 16 });
    await storeDag(hostile, {
      id: "spin",
      tasks: Array.from({ length: 5_000 }, (_, i) => ({
        id: `t${i}`,
        operator: "code",
        config: { source: "for (;;) {}", limits: { cpuMs: 60_000 } },
      })),
    });
    await storeDag(quiet, { id: "small", tasks: [{ id: "only", operator: "noop" }] });

    const spin = await trigger(hostile, "spin");
    // The hostile workspace fills the pool but its reserve, whatever its quota and backlog.
    await expect
      .poll(() => db.taskInstance.count({ where: { runId: spin.id, state: "running" } }), { timeout: 30_000 })
      .toBe(SLOTS - RESERVE);
    expect(await held([hostile])).toEqual([SLOTS - RESERVE]);
    const reason = (await getRun(hostile, spin.id)).tasks.find((t) => t.state === "queued")?.waitingFor;
    expect(reason).toMatch(/worker pool shared has no slot free for this workspace/);

    const small = await trigger(quiet, "small");
    const done = await waitForRun(small.id, 30_000);
    expect(done.state).toBe("success");
    const quietStart = done.taskInstances[0]!.attempts[0]!.startedAt;

    // Order: no hostile task had ended (each spins for a minute), so the quiet task did not wait
    // for one: it ran on the reserve.
    const hostileAttempts = await db.taskAttempt.findMany({
      where: { taskInstance: { runId: spin.id } },
      select: { startedAt: true, endedAt: true, state: true },
    });
    expect(hostileAttempts).toHaveLength(SLOTS - RESERVE);
    expect(hostileAttempts.every((a) => a.state === "running" && a.endedAt === null)).toBe(true);
    expect(hostileAttempts.every((a) => a.startedAt < quietStart)).toBe(true);
    // Slot counts: the hostile workspace never held more, and the rest of its backlog waits.
    expect(await held([hostile])).toEqual([SLOTS - RESERVE]);
    expect(await db.taskInstance.count({ where: { runId: spin.id, state: "queued" } })).toBe(
      5_000 - (SLOTS - RESERVE),
    );
  }, 120_000);
});

describe("backlogged workspaces", () => {
  it("hold slots by weight, and a slot freed over a share goes to the waiting workspace", async () => {
    const light = await newWorkspace("light", { maxConcurrentTasks: 100, shareWeight: 1 });
    const heavy = await newWorkspace("heavy", { maxConcurrentTasks: 100, shareWeight: 2 });
    for (const scope of [light, heavy]) {
      await storeDag(scope, {
        id: "backlog",
        tasks: Array.from({ length: 300 }, (_, i) => ({
          id: `t${i}`,
          operator: "test",
          config: { durationMs: 150 },
        })),
      });
    }
    // The light workspace comes first and takes the pool but its reserve.
    const first = await trigger(light, "backlog");
    await expect
      .poll(() => db.taskInstance.count({ where: { runId: first.id, state: "running" } }), {
        timeout: 30_000,
      })
      .toBe(SLOTS - RESERVE);
    const second = await trigger(heavy, "backlog");

    // Once the light workspace's first tasks have ended, the slots but the reserve are shared by
    // weight: the heavy one (weight 2 of 3) reaches 3 × 2/3 = 2 and the light one keeps
    // 3 × 1/3 = 1, and the reserve stays free.
    const firstWave = await db.taskInstance.findMany({
      where: { runId: first.id, state: "running" },
      select: { id: true },
    });
    await expect
      .poll(
        () =>
          db.taskInstance.count({
            where: { id: { in: firstWave.map((t) => t.id) }, state: { in: ["scheduled", "running"] } },
          }),
        { timeout: 30_000 },
      )
      .toBe(0);
    const samples: number[][] = [];
    while (samples.length < 40) {
      const [l, h] = await held([light, heavy]);
      samples.push([l!, h!]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const [l, h] of samples) {
      expect(l).toBeLessThanOrEqual(1);
      expect(h).toBeLessThanOrEqual(2);
      expect(l! + h!).toBeLessThanOrEqual(SLOTS - RESERVE);
    }
    // The heavy workspace got the slots the light one freed while it was over its share.
    expect(Math.max(...samples.map(([, h]) => h!))).toBe(2);
    const heavyStarted = await db.taskAttempt.count({ where: { taskInstance: { runId: second.id } } });
    expect(heavyStarted).toBeGreaterThan(0);
  }, 120_000);
});

describe("shares", () => {
  it("add up to the slots shared: weights 1, 1, 2, 2, 4 on 9 slots get 1, 1, 2, 2, 3", async () => {
    // Rounded up, these shares were 1, 1, 2, 2, 4: one slot more than there is, so one workspace
    // stayed short while the others re-took the slots they freed.
    const weights = [1, 1, 2, 2, 4];
    const scopes: WorkspaceScope[] = [];
    for (const [i, weight] of weights.entries()) {
      scopes.push(await newWorkspace(`sharer${i}`, { maxConcurrentTasks: 100, shareWeight: weight }));
    }
    // A pool of its own (10 slots, reserve 1) where all five wait, in a transaction that is rolled
    // back: no worker's sweep sees the waits. Holding no slot yet, each one's allowance is its share.
    const pool = "apportioned";
    const rollback = new Error("rollback");
    const shares: number[] = [];
    await db
      .$transaction(
        async (tx) => {
          await tx.worker.create({
            data: { id: randomUUID(), name: "test:apportioned", pools: [pool], slots: 10, lockIds: [] },
          });
          await tx.poolWait.createMany({
            data: scopes.map((scope) => ({ workerPool: pool, workspaceId: scope.workspace.id })),
          });
          for (const [i, scope] of scopes.entries()) {
            const [row] = await tx.$queryRaw<Array<{ allowance: number }>>`
              SELECT baton_allowance(${scope.workspace.id}::uuid, ${weights[i]}::int, ${pool}, ${RESERVE}::int, 60) AS allowance`;
            shares.push(row!.allowance);
          }
          throw rollback;
        },
        { timeout: 60_000 },
      )
      .catch((error: unknown) => {
        if (error !== rollback) throw error;
      });
    expect(shares).toEqual([1, 1, 2, 2, 3]);
  });
});
