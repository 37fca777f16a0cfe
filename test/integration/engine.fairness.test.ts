// Fair dispatch, asserted by order rather than time: a quiet workspace's task starts long before
// a noisy neighbour's backlog of hundreds drains, and no workspace ever runs more tasks at once
// than its quota allows. With every core spun by a CPU hog beside it: the heartbeats hold, so no
// healthy attempt is taken for lost, and every run ends.
//
// Nothing here is timed: the waits are bounds against a hang only, far above what a machine shared
// with the whole suite and the hog needs (a 2,000-task backlog under a 240 s bound failed in CI
// under load). The backlog is as large as the proof needs: the quiet task must start while more
// than half of it still waits, whatever the machine's speed.
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startCpuHog } from "../support/cpu-hog";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

const NOISY_QUOTA = 3;
const BACKLOG = 500;
/** A bound against a hang, not an expectation (see above); the test's own is three of them. */
const HANG_MS = 300_000;

let noisy: WorkspaceScope;
let stopHog: () => Promise<void>;
let quiet: WorkspaceScope;

beforeAll(async () => {
  noisy = await workspaceScope((await createUser("noisy")).workspace.id, { maxConcurrentTasks: NOISY_QUOTA });
  quiet = await workspaceScope((await createUser("quiet")).workspace.id, { maxConcurrentTasks: NOISY_QUOTA });
  await storeDag(noisy, {
    id: "backlog",
    tasks: Array.from({ length: BACKLOG }, (_, i) => ({
      id: `t${i}`,
      operator: "test",
      config: { durationMs: 5 },
    })),
  });
  await storeDag(quiet, { id: "small", tasks: [{ id: "only", operator: "noop" }] });
  await startTestWorker(4);
  stopHog = startCpuHog();
});
afterAll(async () => {
  await stopHog();
  await stopTestWorker();
});

/** The most attempts of a workspace that overlapped in time. */
async function maxConcurrency(workspaceId: string): Promise<number> {
  const attempts = await db.taskAttempt.findMany({
    where: { workspaceId },
    select: { startedAt: true, endedAt: true },
  });
  const events = attempts.flatMap((a) => [
    { at: a.startedAt.getTime(), delta: 1 },
    { at: (a.endedAt ?? new Date()).getTime(), delta: -1 },
  ]);
  // Ends before starts at the same millisecond: touching intervals do not overlap.
  events.sort((x, y) => x.at - y.at || x.delta - y.delta);
  let current = 0;
  let peak = 0;
  for (const e of events) {
    current += e.delta;
    peak = Math.max(peak, current);
  }
  return peak;
}

it("starts a quiet workspace's task before a noisy backlog drains, within quotas", async () => {
  const backlogRun = await triggerRun(noisy, { dagKey: "backlog" });
  // Let the backlog get going, then submit the quiet workspace's run.
  await expect
    .poll(() => db.taskInstance.count({ where: { runId: backlogRun.id, state: "success" } }), {
      timeout: HANG_MS,
    })
    .toBeGreaterThan(20);
  const quietRun = await triggerRun(quiet, { dagKey: "small" });
  const done = await waitForRun(quietRun.id, HANG_MS);
  expect(done.state).toBe("success");
  const quietStart = done.taskInstances[0]!.attempts[0]!.startedAt;

  const stillWaiting = await db.taskInstance.count({
    where: {
      runId: backlogRun.id,
      OR: [{ state: { in: ["none", "queued", "scheduled"] } }, { startedAt: { gt: quietStart } }],
    },
  });
  // Most of the backlog had not started when the quiet task did.
  expect(stillWaiting).toBeGreaterThan(BACKLOG / 2);

  const backlog = await waitForRun(backlogRun.id, HANG_MS);
  expect(backlog.state).toBe("success");
  // No attempt was given up as lost: every task ran once.
  expect(backlog.taskInstances.filter((t) => t.attempts.length !== 1).map((t) => t.attempts)).toEqual([]);
  expect(await maxConcurrency(noisy.workspace.id)).toBeLessThanOrEqual(NOISY_QUOTA);
  // Slots are counted from the instances holding them (dispatch.ts): none is left holding one.
  expect(
    await db.taskInstance.count({
      where: { workspaceId: noisy.workspace.id, state: { in: ["scheduled", "running"] } },
    }),
  ).toBe(0);
}, 900_000);
