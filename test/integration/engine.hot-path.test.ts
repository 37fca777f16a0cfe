// The engine's hot path (server/engine/complete.ts, migrations 20261122063000_engine_hot_path,
// 20261207150000_fair_share and 20261207233000_engine_one_call_hop): completions with nothing
// downstream, and successes with plain downstream tasks (a chain's hops), finish in one database
// call (baton_complete_attempts), which records them, advances their successors, gives every slot
// back (of the workspace and of its pools) and admits what is queued without passing a quota,
// handing the admitted tasks to the finishing slots. A slot that got none takes its next task from
// the job queue while the first job in line is its workspace's. Anything else takes the long way.
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { createPool } from "@/server/pools/service";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

beforeAll(() => startTestWorker(6));
afterAll(() => stopTestWorker());
afterEach(() => vi.restoreAllMocks());

/** Counts the engine's calls of each hot-path database function from now on (on any connection). */
function countCalls() {
  const query = pg.Client.prototype.query;
  const calls = { finish: 0, record: 0, claim: 0 };
  vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text?.includes("baton_complete_attempts(")) calls.finish++;
    if (text?.includes("baton_record_outcomes(")) calls.record++;
    if (text?.startsWith("SELECT * FROM baton_claim(")) calls.claim++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query);
  return calls;
}

/** The most attempts of the run that were running at the same moment. */
function mostAtOnce(run: Awaited<ReturnType<typeof waitForRun>>): number {
  const edges = run.taskInstances.flatMap((ti) =>
    ti.attempts.flatMap((a) => [
      { at: a.startedAt.getTime(), d: 1 },
      { at: a.endedAt!.getTime(), d: -1 },
    ]),
  );
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const e of edges) {
    now += e.d;
    most = Math.max(most, now);
  }
  return most;
}

const independent = (count: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: count }, (_, i) => ({
    id: `t${i}`,
    operator: "test",
    config: { durationMs: 20 },
    ...extra,
  }));

async function heldSlots(workspaceId: string) {
  return db.taskInstance.count({ where: { workspaceId, state: { in: ["scheduled", "running"] } } });
}

describe("slots taking their next task in the finishing call", () => {
  it("run a fan-out mostly without the job queue, each task once", async () => {
    const { workspace } = await createUser("hot-take");
    const scope = await workspaceScope(workspace.id, { maxConcurrentTasks: 100 });
    await storeDag(scope, { id: "wide", tasks: independent(48) });
    const calls = countCalls();
    const run = await waitForRun((await triggerRun(scope, { dagKey: "wide" })).id);
    expect(run.state).toBe("success");
    expect(run.taskInstances.map((ti) => ti.attempts.length)).toEqual(Array(48).fill(1));
    // Claims on their own are only for the jobs the queue handed out; the rest were taken.
    expect(calls.claim).toBeLessThan(48 / 4);
    const jobs = await db.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
       WHERE t.identifier = 'engine:run-task@shared' AND j.payload->>'workspaceId' = $1`,
      workspace.id,
    );
    expect(jobs[0]!.n).toBe(0);
  });

  it("stop taking when another workspace's job is first in line", async () => {
    const busy = await workspaceScope((await createUser("hot-busy")).workspace.id, {
      maxConcurrentTasks: 200,
    });
    const quiet = await workspaceScope((await createUser("hot-quiet")).workspace.id, {
      maxConcurrentTasks: 5,
    });
    await storeDag(busy, { id: "backlog", tasks: independent(150) });
    await storeDag(quiet, { id: "one", tasks: independent(1) });
    const backlog = (await triggerRun(busy, { dagKey: "backlog" })).id;
    await expect
      .poll(() => db.taskInstance.count({ where: { runId: backlog, state: "success" } }), { timeout: 10_000 })
      .toBeGreaterThan(10);
    const one = await waitForRun((await triggerRun(quiet, { dagKey: "one" })).id);
    const started = one.taskInstances[0]!.attempts[0]!.startedAt.getTime();
    const busyRun = await waitForRun(backlog);
    const busyStarts = busyRun.taskInstances.map((ti) => ti.attempts[0]!.startedAt.getTime());
    // The quiet workspace's task started while most of the backlog still waited.
    expect(busyStarts.filter((at) => at > started).length).toBeGreaterThan(50);
  });
});

describe("a chain's hops", () => {
  it("each complete in one call, the successor running on the finishing slot", async () => {
    const { workspace } = await createUser("hot-chain");
    const scope = await workspaceScope(workspace.id, { maxConcurrentTasks: 10 });
    const tasks = Array.from({ length: 8 }, (_, i) => ({
      id: `c${i}`,
      operator: "test",
      config: { durationMs: 5 },
      dependsOn: i ? [`c${i - 1}`] : [],
    }));
    await storeDag(scope, { id: "chain", tasks });
    const calls = countCalls();
    const run = await waitForRun((await triggerRun(scope, { dagKey: "chain" })).id);
    expect(run.state).toBe("success");
    expect(run.taskInstances.map((ti) => [ti.taskId, ti.state, ti.attempts.length]).sort()).toEqual(
      tasks.map((t) => [t.id, "success", 1]),
    );
    expect(calls.finish).toBeGreaterThanOrEqual(8);
    expect(calls.record).toBe(0);
    // Only the first task was claimed on its own: every successor was handed over in the call.
    expect(calls.claim).toBe(1);
    const workers = new Set(run.taskInstances.map((ti) => ti.attempts[0]!.workerId));
    expect(workers.size).toBe(1);
    expect(await heldSlots(workspace.id)).toBe(0);
  });

  it("take the long way when a task fails, its successor ending upstream_failed", async () => {
    const { workspace } = await createUser("hot-chain-fail");
    const scope = await workspaceScope(workspace.id, { maxConcurrentTasks: 10 });
    await storeDag(scope, {
      id: "broken",
      tasks: [
        { id: "a", operator: "test", config: {} },
        { id: "b", operator: "test", config: { outcome: "fail" }, dependsOn: ["a"] },
        { id: "c", operator: "test", config: {}, dependsOn: ["b"] },
      ],
    });
    const calls = countCalls();
    const run = await waitForRun((await triggerRun(scope, { dagKey: "broken" })).id);
    expect(run.state).toBe("failed");
    const states = Object.fromEntries(run.taskInstances.map((ti) => [ti.taskId, ti.state]));
    expect(states).toEqual({ a: "success", b: "failed", c: "upstream_failed" });
    expect(calls.record).toBeGreaterThanOrEqual(1);
    expect(await heldSlots(workspace.id)).toBe(0);
  });
});

describe("completions with nothing downstream", () => {
  it("finish in one call each when nothing waits, and the run ends", async () => {
    const { workspace } = await createUser("hot-fan");
    const scope = await workspaceScope(workspace.id, { maxConcurrentTasks: 50 });
    await storeDag(scope, { id: "fan", tasks: independent(12) });
    const calls = countCalls();
    const run = await waitForRun((await triggerRun(scope, { dagKey: "fan" })).id);
    expect(run.state).toBe("success");
    expect(run.taskInstances.every((ti) => ti.state === "success")).toBe(true);
    expect(calls.finish).toBeGreaterThan(0);
    expect(calls.record).toBe(0);
    expect(await heldSlots(workspace.id)).toBe(0);
  });

  it("admit queued work in that call too, without passing the quota", async () => {
    const { workspace } = await createUser("hot-capped");
    const scope = await workspaceScope(workspace.id, { maxConcurrentTasks: 1 });
    await storeDag(scope, { id: "capped", tasks: independent(4) });
    const calls = countCalls();
    const run = await waitForRun((await triggerRun(scope, { dagKey: "capped" })).id);
    expect(run.state).toBe("success");
    expect(run.taskInstances.every((ti) => ti.state === "success")).toBe(true);
    // Each completion admitted the next task in its one call, and its slot ran it.
    expect(calls.finish).toBeGreaterThanOrEqual(4);
    expect(calls.record).toBe(0);
    expect(calls.claim).toBe(1);
    expect(mostAtOnce(run)).toBe(1);
    expect(await heldSlots(workspace.id)).toBe(0);
  });

  it("give their pool's slots back and admit what waits for them, in the one call", async () => {
    const { workspace } = await createUser("hot-pool");
    const scope = await workspaceScope(workspace.id, { maxConcurrentTasks: 50 });
    await createPool(scope, { name: "wide", slots: 6 });
    await createPool(scope, { name: "narrow", slots: 2 });
    await storeDag(scope, { id: "wide", tasks: independent(6, { pool: "wide" }) });
    await storeDag(scope, { id: "narrow", tasks: independent(6, { pool: "narrow" }) });
    const calls = countCalls();
    // Nothing waits for the wide pool: its tasks finish in one call each.
    const wide = await waitForRun((await triggerRun(scope, { dagKey: "wide" })).id);
    expect(calls.finish).toBeGreaterThan(0);
    expect(calls.record).toBe(0);
    // Tasks wait for the narrow one: each finishing call admits the next, two at a time.
    const narrow = await waitForRun((await triggerRun(scope, { dagKey: "narrow" })).id);
    expect(calls.record).toBe(0);
    expect([wide.state, narrow.state]).toEqual(["success", "success"]);
    expect(mostAtOnce(narrow)).toBeLessThanOrEqual(2);
    const pools = await db.pool.findMany({
      where: { workspaceId: workspace.id },
      select: { admitted: true },
    });
    expect(pools.map((p) => p.admitted)).toEqual([0, 0]);
    expect(await heldSlots(workspace.id)).toBe(0);
  });
});
