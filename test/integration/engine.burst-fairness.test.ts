// Fairness in a burst (issue 26.4), asserted by order rather than time: while one workspace runs a
// long chain, many workspaces each trigger a one-task run together; once they are all triggered,
// the chain's next tasks wait behind their first tasks (a slot that finishes a chain task is not
// handed the chain's next one while a workspace holding no slot waits), so at most the chain task
// already admitted starts before the last of them. Before, the slot was handed the chain's next
// task every time and the newcomers shared the other slots: the chain ran about one task per
// newcomer meanwhile.
//
// The waits are bounds against a hang only, far above what a loaded machine needs.
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

const SLOTS = 2;
const NEWCOMERS = 16;
const CHAIN = 80;
const HANG_MS = 300_000;

let chain: WorkspaceScope;
let newcomers: WorkspaceScope[];

beforeAll(async () => {
  process.env.BATON_POOL_RESERVE = "0";
  chain = await workspaceScope((await createUser("chain")).workspace.id);
  await storeDag(chain, {
    id: "chain",
    tasks: Array.from({ length: CHAIN }, (_, i) => ({
      id: `t${i}`,
      operator: "test",
      config: { durationMs: 20 },
      ...(i > 0 ? { dependsOn: [`t${i - 1}`] } : {}),
    })),
  });
  newcomers = [];
  for (let i = 0; i < NEWCOMERS; i++) {
    const scope = await workspaceScope((await createUser(`newcomer${i}`)).workspace.id);
    await storeDag(scope, {
      id: "one",
      tasks: [{ id: "only", operator: "test", config: { durationMs: 20 } }],
    });
    newcomers.push(scope);
  }
  await startTestWorker(SLOTS);
});
afterAll(() => stopTestWorker());

it("starts every newcomer's first task before a running chain's next tasks", async () => {
  const chainRun = await triggerRun(chain, { dagKey: "chain" });
  await expect
    .poll(() => db.taskInstance.count({ where: { runId: chainRun.id, state: "success" } }), {
      timeout: HANG_MS,
    })
    .toBeGreaterThan(2);
  const runs = await Promise.all(newcomers.map((scope) => triggerRun(scope, { dagKey: "one" })));
  const done = await Promise.all(runs.map((run) => waitForRun(run.id, HANG_MS)));
  expect(done.map((run) => run.state)).toEqual(runs.map(() => "success"));

  // Database clocks on both sides: the last newcomer's run was queued, the last newcomer's task started.
  const triggered = await db.dagRun.aggregate({
    where: { id: { in: runs.map((r) => r.id) } },
    _max: { queuedAt: true },
  });
  const lastStart = new Date(
    Math.max(...done.map((run) => run.taskInstances[0]!.attempts[0]!.startedAt.getTime())),
  );
  const chainStartedMeanwhile = await db.taskAttempt.count({
    where: {
      taskInstance: { runId: chainRun.id },
      startedAt: { gt: triggered._max.queuedAt!, lt: lastStart },
    },
  });
  // At most three: a chain task admitted before the last newcomer came, one that waited in line
  // ahead of the last newcomers, and one handed to a slot once the last newcomer was admitted but
  // before it started. Handed the chain's next task every time, a slot kept running the chain
  // while the newcomers went through the other: about one chain task per newcomer.
  expect(chainStartedMeanwhile).toBeLessThanOrEqual(3);

  // And the chain still runs to its end: waiting in turn never leaves it behind.
  expect((await waitForRun(chainRun.id, HANG_MS)).state).toBe("success");
}, 900_000);
