// Task groups through a real push and run: the dependencies a group stands for order the run, and
// a group's defaults (here retries) reach its tasks in the engine.
import { afterAll, beforeAll, expect, it } from "vitest";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, statesOf, stopTestWorker, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

let scope: WorkspaceScope;
let owner: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  owner = await createUser("groups-engine");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 20 });
  await startTestWorker(4);
});
afterAll(() => stopTestWorker());

it("runs a group's tasks after its dependencies, its dependents after its leaves, with its defaults", async () => {
  await owner.api.dags.push({
    workspace: owner.workspace.slug,
    message: "grouped",
    document: {
      id: "grouped_run",
      groups: [{ id: "extract", dependsOn: ["start"], defaults: { retries: 2, retryDelaySeconds: 0 } }],
      tasks: [
        { id: "start", operator: "test", config: { durationMs: 200 } },
        { id: "extract.flaky", operator: "test", config: { failTimes: 2, output: "orders" } },
        { id: "extract.refunds", operator: "test", config: { output: "refunds" } },
        {
          id: "extract.combine",
          operator: "test",
          dependsOn: ["extract.refunds"],
          config: { output: "{{ tasks.extract.refunds.output }}+" },
        },
        {
          id: "load",
          operator: "test",
          dependsOn: ["extract"],
          config: { output: "{{ tasks.extract.flaky.output }} {{ tasks.extract.combine.output }}" },
        },
        // Outside the group: no retries, so one failed attempt ends it.
        { id: "outside", operator: "test", config: { failTimes: 1 } },
      ],
    },
  });
  const { id } = await triggerRun(scope, { dagKey: "grouped_run" });
  const result = await waitForRun(id, 60_000);
  expect(statesOf(result)).toEqual({
    start: "success",
    "extract.flaky": "success",
    "extract.refunds": "success",
    "extract.combine": "success",
    load: "success",
    outside: "failed",
  });
  const task = (taskId: string) => result.taskInstances.find((t) => t.taskId === taskId)!;
  expect(task("extract.flaky").attempts.map((a) => a.state)).toEqual(["failed", "failed", "success"]);
  expect(task("outside").attempts).toHaveLength(1);
  const ended = (taskId: string) => task(taskId).endedAt!.getTime();
  const started = (taskId: string) => task(taskId).attempts[0]!.startedAt!.getTime();
  for (const root of ["extract.flaky", "extract.refunds"])
    expect(started(root)).toBeGreaterThanOrEqual(ended("start"));
  expect(started("extract.combine")).toBeGreaterThanOrEqual(ended("extract.refunds"));
  for (const leaf of ["extract.flaky", "extract.combine"])
    expect(started("load")).toBeGreaterThanOrEqual(ended(leaf));
  expect(task("load").output).toBe("orders refunds+");
});
