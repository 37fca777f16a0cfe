// The trigger path (server/engine/runs.ts triggerRun): plain engine statements rather than scoped
// Prisma queries, with the run, its instances and its audit event committed together.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { openWorkspace, type WorkspaceScope } from "@/server/tenancy/door";
import { storeDag, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

let owner: Awaited<ReturnType<typeof createUser>>;
let scope: WorkspaceScope;
let other: WorkspaceScope;

const chain = (id: string) => ({
  id,
  tasks: ["a", "b", "c"].map((task, i) => ({
    id: task,
    operator: "noop",
    config: {},
    dependsOn: i > 0 ? [["a", "b"][i - 1]!] : [],
  })),
});

beforeAll(async () => {
  owner = await createUser("trigger");
  scope = await openWorkspace({ ...owner.caller, ip: "203.0.113.7" }, owner.workspace.slug, "runs:operate");
  other = await workspaceScope((await createUser("trigger-other")).workspace.id);
  await storeDag(scope, chain("work"));
  await storeDag(other, chain("theirs"));
});
afterAll(async () => {
  await db.workspace.update({ where: { id: owner.workspace.id }, data: { suspendedAt: null } });
});

describe("triggerRun", () => {
  it("creates the run with every instance and its audit event, naming the caller and its address", async () => {
    const { id, created } = await triggerRun(scope, { dagKey: "work", triggeredBy: "api" });
    expect(created).toBe(true);
    const run = await db.dagRun.findUniqueOrThrow({
      where: { id },
      select: { workspaceId: true, triggeredByLabel: true, taskInstances: { select: { taskId: true } } },
    });
    expect(run.workspaceId).toBe(owner.workspace.id);
    expect(run.triggeredByLabel).toBe(owner.email);
    expect(run.taskInstances.map((t) => t.taskId).sort()).toEqual(["a", "b", "c"]);
    const events = await db.auditEvent.findMany({
      where: { workspaceId: owner.workspace.id, action: "run.trigger", target: "work" },
    });
    expect(events.filter((e) => (e.metadata as { runId?: string }).runId === id)).toMatchObject([
      {
        actor: owner.user.id,
        actorLabel: owner.email,
        ip: "203.0.113.7",
        metadata: { runId: id, triggeredBy: "api" },
      },
    ]);
  });

  it("answers NOT_FOUND for another workspace's DAG and for no DAG, creating nothing", async () => {
    const before = await db.dagRun.count();
    await expect(triggerRun(scope, { dagKey: "theirs" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(triggerRun(other, { dagKey: "work" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(triggerRun(scope, { dagKey: "missing" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await db.dagRun.count()).toBe(before);
  });

  it("records one audit event for a repeated idempotency key", async () => {
    const first = await triggerRun(scope, { dagKey: "work", idempotencyKey: "once" });
    const again = await triggerRun(scope, { dagKey: "work", idempotencyKey: "once" });
    expect(again).toEqual({ id: first.id, created: false });
    const events = await db.auditEvent.findMany({
      where: { workspaceId: owner.workspace.id, action: "run.trigger" },
      select: { metadata: true },
    });
    expect(events.filter((e) => (e.metadata as { runId?: string }).runId === first.id)).toHaveLength(1);
  });

  it("refuses a suspended workspace with neither a run nor an audit event", async () => {
    await db.workspace.update({
      where: { id: owner.workspace.id },
      data: { suspendedAt: new Date(), suspendedReason: "test" },
    });
    const runs = await db.dagRun.count({ where: { workspaceId: owner.workspace.id } });
    const events = await db.auditEvent.count({
      where: { workspaceId: owner.workspace.id, action: "run.trigger" },
    });
    await expect(triggerRun(scope, { dagKey: "work" })).rejects.toThrow();
    expect(await db.dagRun.count({ where: { workspaceId: owner.workspace.id } })).toBe(runs);
    expect(
      await db.auditEvent.count({ where: { workspaceId: owner.workspace.id, action: "run.trigger" } }),
    ).toBe(events);
  });
});
