// The engine's hot path (server/engine/complete.ts, migration 20261122063000_engine_hot_path):
// completions with nothing downstream finish in one database call (baton_finish_attempts), which
// declines when work is queued in the workspace so that the long way admits it; either way every
// slot, of the workspace and of its pools, is given back and no quota is passed.
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
  const calls = { finish: 0, record: 0 };
  vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text?.includes("baton_finish_attempts(")) calls.finish++;
    if (text?.includes("baton_record_outcomes(")) calls.record++;
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

  it("take the long way when work is queued, admitting it without passing the quota", async () => {
    const { workspace } = await createUser("hot-capped");
    const scope = await workspaceScope(workspace.id, { maxConcurrentTasks: 1 });
    await storeDag(scope, { id: "capped", tasks: independent(4) });
    const calls = countCalls();
    const run = await waitForRun((await triggerRun(scope, { dagKey: "capped" })).id);
    expect(run.state).toBe("success");
    expect(run.taskInstances.every((ti) => ti.state === "success")).toBe(true);
    // The first completion tried the one call, which declined (work was queued); the long way
    // recorded it and admitted the next task.
    expect(calls.finish).toBeGreaterThan(0);
    expect(calls.record).toBeGreaterThan(0);
    expect(mostAtOnce(run)).toBe(1);
    expect(await heldSlots(workspace.id)).toBe(0);
  });

  it("give their pool's slots back, in the one call and the long way", async () => {
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
    // Tasks wait for the narrow one: the long way admits them two at a time.
    const narrow = await waitForRun((await triggerRun(scope, { dagKey: "narrow" })).id);
    expect(calls.record).toBeGreaterThan(0);
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
