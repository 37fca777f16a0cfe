// Cancelling a run locks its unfinished instances in the order everything else that locks several
// of a run's instances does (advance.ts: task id order), so a cancel of a wide run never deadlocks
// with completions updating their downstream counters. Here a transaction stands in for such a
// completion: it holds one instance, the cancel waits for it, and the completion's next instance
// (later in task id order, but earlier in the table) must still be free.
import { beforeAll, describe, expect, it } from "vitest";
import { db, pgPool } from "@/server/db/client";
import { cancelRun } from "@/server/engine/operations";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { storeDag, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

let scope: WorkspaceScope;

const TASKS = 5_000;
const taskIds = Array.from({ length: TASKS }, (_, i) => `t${String(i + 1).padStart(4, "0")}`);

beforeAll(async () => {
  scope = await workspaceScope((await createUser("cancel-locks")).workspace.id);
  await storeDag(scope, {
    id: "wide",
    tasks: taskIds.map((id) => ({ id, operator: "noop", config: {} })),
  });
});

describe("cancelRun's lock order", () => {
  it("waits for an instance a completion holds without holding the one it takes next", async () => {
    const { id: runId } = await triggerRun(scope, { dagKey: "wide" });
    const first = taskIds[0]!; // the lowest task id: the first instance the cancel locks
    // Rows move as they change (each update writes a new row version wherever there is room), so
    // the table's order is not the run's task order; here it is the instances' ids, random. With
    // statistics that know the run is wide, the cheapest plan reads the table in its order.
    await db.$executeRawUnsafe('CLUSTER "TaskInstance" USING "TaskInstance_pkey"');
    await db.$executeRawUnsafe('ANALYZE "TaskInstance"');
    const [before] = await db.$queryRawUnsafe<{ taskId: string }[]>(
      `SELECT "taskId" FROM "TaskInstance" WHERE "runId" = $1::uuid AND "taskId" <> $2 ORDER BY id LIMIT 1`,
      runId,
      first,
    );
    const next = before!.taskId; // after the held one in task id order, before it in the table
    const completion = await pgPool().connect();
    let cancelled: Promise<void> | undefined;
    try {
      await completion.query("BEGIN");
      await completion.query(
        `SELECT 1 FROM "TaskInstance" WHERE "runId" = $1 AND "taskId" = $2 AND "mapIndex" = -1 FOR UPDATE`,
        [runId, first],
      );
      const { rows: pids } = await completion.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      cancelled = cancelRun(scope, runId);
      // The cancel reaches the instance held and waits for it.
      for (let tries = 0; ; tries++) {
        const waiting = await db.$queryRawUnsafe<{ n: number }[]>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))",
          pids[0]!.pid,
        );
        if (waiting[0]!.n > 0) break;
        if (tries > 600) throw new Error("the cancel never waited for the held instance");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // In an order of its own the cancel would hold this one already: NOWAIT would fail (55P03),
      // and waiting for it would be a deadlock.
      await completion.query(
        `SELECT 1 FROM "TaskInstance" WHERE "runId" = $1 AND "taskId" = $2 AND "mapIndex" = -1 FOR UPDATE NOWAIT`,
        [runId, next],
      );
      await completion.query("COMMIT");
    } catch (error) {
      await completion.query("ROLLBACK");
      await cancelled?.catch(() => {});
      throw error;
    } finally {
      completion.release();
    }
    await cancelled;
    const run = await db.dagRun.findUniqueOrThrow({
      where: { id: runId },
      select: { state: true, taskInstances: { select: { state: true } } },
    });
    expect(run.state).toBe("cancelled");
    expect(new Set(run.taskInstances.map((t) => t.state))).toEqual(new Set(["cancelled"]));
  }, 60_000);
});
