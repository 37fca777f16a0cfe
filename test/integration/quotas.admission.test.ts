// Monthly quotas are reserved at admission: a run that starts reserves one task run per task of
// its DAG version under the workspace's run-gate lock, so starts that race, or queued runs let go
// together when a quota is raised, never take the workspace past its quota. No worker runs here:
// the started runs stay running, holding their reservations, which is the window that overshot.
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { kickWorkspace } from "@/server/engine/operations";
import { triggerRun } from "@/server/engine/runs";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { flushUsage } from "@/server/usage/meter";
import { storeDag, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

const today = () => new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const month = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" }).format(
  new Date(),
);

async function newWorkspace(name: string, data: Parameters<typeof db.workspace.update>[0]["data"]) {
  const { workspace } = await createUser(name);
  await db.workspace.update({ where: { id: workspace.id }, data: { maxConcurrentRuns: 100, ...data } });
  const scope = await workspaceScope(workspace.id);
  await storeDag(scope, { id: "work", maxActiveRuns: 100, tasks: [{ id: "t", operator: "test" }] });
  return scope;
}

async function setTaskRuns(scope: WorkspaceScope, taskRuns: number) {
  await flushUsage();
  await db.usageDay.deleteMany({ where: { workspaceId: scope.workspace.id } });
  await db.usageDay.create({ data: { workspaceId: scope.workspace.id, day: today(), taskRuns } });
}

const statesOf = async (ids: string[]) =>
  (await db.dagRun.findMany({ where: { id: { in: ids } }, select: { state: true } })).map((r) => r.state);

beforeAll(() => flushUsage());

describe("monthly quotas reserved at admission", () => {
  it("20 simultaneous triggers at N-1 used: exactly one starts, the others are refused saying why", async () => {
    const scope = await newWorkspace("race", { maxTaskRunsPerMonth: 30, overQuotaPolicy: "refuse" });
    await setTaskRuns(scope, 29);
    const runs = await Promise.all(Array.from({ length: 20 }, () => triggerRun(scope, { dagKey: "work" })));
    const ids = runs.map((r) => r.id);
    const states = await statesOf(ids);
    expect(states.filter((s) => s === "running")).toHaveLength(1);
    expect(states.filter((s) => s === "failed")).toHaveLength(19);
    const refused = await db.dagRun.findFirstOrThrow({ where: { id: { in: ids }, state: "failed" } });
    expect(refused.stateReason).toBe(
      `Refused: this workspace used 30 of its 30 task runs for ${month} (1 of them reserved by runs in progress) (plan quota maxTaskRunsPerMonth); a platform administrator can raise the quota or move the workspace to a larger plan`,
    );
  });

  it("a multi-task run reserves a task run per task: at N-3 used, the next start is held", async () => {
    const scope = await newWorkspace("wide", { maxTaskRunsPerMonth: 10, overQuotaPolicy: "queue" });
    await storeDag(scope, {
      id: "three",
      maxActiveRuns: 10,
      tasks: [
        { id: "a", operator: "test" },
        { id: "b", operator: "test", dependsOn: ["a"] },
        { id: "c", operator: "test", dependsOn: ["b"] },
      ],
    });
    await setTaskRuns(scope, 7);
    const first = await triggerRun(scope, { dagKey: "three" });
    const second = await triggerRun(scope, { dagKey: "work" });
    expect(await statesOf([first.id])).toEqual(["running"]);
    expect(await db.dagRun.findUniqueOrThrow({ where: { id: second.id } })).toMatchObject({
      state: "queued",
      stateReason: expect.stringContaining("10 of its 10 task runs"),
    });
  });

  it("raising a quota by one lets exactly one queued run start, not every run queued", async () => {
    const scope = await newWorkspace("raise", { maxTaskRunsPerMonth: 33, overQuotaPolicy: "queue" });
    await setTaskRuns(scope, 33);
    const queued = [];
    for (let i = 0; i < 3; i++) queued.push((await triggerRun(scope, { dagKey: "work" })).id);
    expect(await statesOf(queued)).toEqual(["queued", "queued", "queued"]);

    await db.workspace.update({ where: { id: scope.workspace.id }, data: { maxTaskRunsPerMonth: 34 } });
    await kickWorkspace(scope.workspace.id);
    const states = await statesOf(queued);
    expect(states.filter((s) => s === "running")).toHaveLength(1);
    expect(states.filter((s) => s === "queued")).toHaveLength(2);
    // A second look starts nothing more: the started run holds its reservation.
    await kickWorkspace(scope.workspace.id);
    expect((await statesOf(queued)).filter((s) => s === "running")).toHaveLength(1);
  });
});
