// Pools: managing them (permissions, validation, REST), what the list shows, and what the
// dispatcher does when a pool's slots change or the pool goes away.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { systemScope, type WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, stopTestWorker, storeDag, waitForRun } from "../support/engine";
import { codeOf, createUser } from "../support/factories";
import { jsonCaller } from "../support/rest";

type User = Awaited<ReturnType<typeof createUser>>;
let owner: User;
let workspace: string;

async function join(role: "ADMIN" | "EDITOR" | "VIEWER") {
  const person = await createUser(role.toLowerCase());
  const invitation = await owner.api.members.invite({ workspace, email: person.email, role });
  await person.api.account.acceptInvitation({ secret: invitation.link.split("/invite/")[1]! });
  return person;
}

/** The field problems a call is refused with. */
async function problemsOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    const cause = (error as { cause?: { issues?: { path: string[] }[]; problems?: { path: string }[] } })
      .cause;
    return (cause?.problems ?? cause?.issues?.map((i) => ({ path: i.path.join(".") })) ?? []).map(
      (p) => p.path,
    );
  }
  throw new Error("expected the call to be refused");
}

beforeAll(async () => {
  owner = await createUser("pools");
  workspace = owner.workspace.slug;
});

describe("managing pools", () => {
  it("lets admins create, edit and delete pools, and everyone read them", async () => {
    const created = await owner.api.pools.create({
      workspace,
      name: "warehouse",
      slots: 2,
      description: "DW",
    });
    expect(created).toEqual({
      name: "warehouse",
      slots: 2,
      admitted: 0,
      queued: 0,
      description: "DW",
      workerPool: "shared",
      agents: false,
    });
    const viewer = await join("VIEWER");
    const editor = await join("EDITOR");
    const admin = await join("ADMIN");

    const listed = await viewer.api.pools.list({ workspace });
    expect(listed.items).toEqual([created]);
    expect(listed.quota).toEqual({ maxPools: 10, maxPoolSlots: 64 });
    // No worker runs in this file yet: the shared pool has no live worker, and the list says so.
    expect(listed.workerPools).toEqual([
      { name: "shared", workers: 0, slots: 0, running: 0, waiting: false },
    ]);
    for (const user of [viewer, editor]) {
      expect(await codeOf(user.api.pools.create({ workspace, name: "mine", slots: 1 }))).toBe("FORBIDDEN");
      expect(await codeOf(user.api.pools.update({ workspace, name: "warehouse", slots: 9 }))).toBe(
        "FORBIDDEN",
      );
      expect(await codeOf(user.api.pools.delete({ workspace, name: "warehouse" }))).toBe("FORBIDDEN");
    }

    expect(await admin.api.pools.update({ workspace, name: "warehouse", slots: 5 })).toMatchObject({
      slots: 5,
      description: "DW",
    });
    expect(await admin.api.pools.update({ workspace, name: "warehouse", description: "" })).toMatchObject({
      slots: 5,
      description: "",
    });
    await admin.api.pools.delete({ workspace, name: "warehouse" });
    expect((await owner.api.pools.list({ workspace })).items).toEqual([]);
    const actions = await db.auditEvent.findMany({
      where: { workspaceId: owner.workspace.id, action: { startsWith: "pool." } },
      select: { action: true },
      orderBy: { id: "asc" },
    });
    expect(actions.map((a) => a.action)).toEqual([
      "pool.create",
      "pool.update",
      "pool.update",
      "pool.delete",
    ]);
  });

  it("lets a pool above a lowered maxPoolSlots come down step by step, never grow", async () => {
    await owner.api.pools.create({ workspace, name: "legacy", slots: 4 });
    await db.workspace.update({ where: { slug: workspace }, data: { maxPoolSlots: 2 } });
    expect((await owner.api.pools.update({ workspace, name: "legacy", slots: 3 })).slots).toBe(3);
    await expect(owner.api.pools.update({ workspace, name: "legacy", slots: 4 })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("quota maxPoolSlots"),
    });
    expect((await owner.api.pools.update({ workspace, name: "legacy", slots: 2 })).slots).toBe(2);
    await db.workspace.update({ where: { slug: workspace }, data: { maxPoolSlots: 64 } });
    await owner.api.pools.delete({ workspace, name: "legacy" });
  });

  it("names the field of bad input, and refuses a taken name", async () => {
    expect(await problemsOf(owner.api.pools.create({ workspace, name: "Not A Name", slots: 1 }))).toEqual([
      "name",
    ]);
    expect(await problemsOf(owner.api.pools.create({ workspace, name: "ok", slots: -1 }))).toEqual(["slots"]);
    expect(await problemsOf(owner.api.pools.create({ workspace, name: "ok", slots: 1.5 }))).toEqual([
      "slots",
    ]);
    await owner.api.pools.create({ workspace, name: "taken", slots: 1 });
    expect(await problemsOf(owner.api.pools.create({ workspace, name: "taken", slots: 3 }))).toEqual([
      "name",
    ]);
    expect(await codeOf(owner.api.pools.update({ workspace, name: "missing", slots: 1 }))).toBe("NOT_FOUND");
    expect(await codeOf(owner.api.pools.delete({ workspace, name: "missing" }))).toBe("NOT_FOUND");
    await owner.api.pools.delete({ workspace, name: "taken" });
  });

  it("are reachable over REST", async () => {
    const { token } = await owner.api.tokens.create({ workspace, name: "pools", role: "ADMIN" });
    const call = jsonCaller(token);
    expect(await call("POST", "/pools", { name: "api", slots: 3 })).toMatchObject({
      status: 201,
      body: { name: "api", slots: 3 },
    });
    expect((await call("PATCH", "/pools/api", { slots: 4 })).body).toMatchObject({ slots: 4 });
    expect((await call("GET", "/pools")).body.items).toMatchObject([{ name: "api", slots: 4 }]);
    expect((await call("PATCH", "/pools/api", { slots: "many" })).status).toBe(400);
    expect((await call("DELETE", "/pools/api")).status).toBe(204);
  });
});

describe("pools and the dispatcher", () => {
  let scope: WorkspaceScope;
  beforeAll(async () => {
    scope = await systemScope(owner.workspace.id);
    await startTestWorker(4);
  });
  afterAll(() => stopTestWorker());

  const independentTasks = (pool: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      operator: "test",
      pool,
      config: { durationMs: 50 },
    }));

  it("holds a pool's tasks at 0 slots, lists them as queued, and admits them as slots are added", async () => {
    await owner.api.pools.create({ workspace, name: "narrow", slots: 0 });
    await storeDag(scope, {
      id: "narrowed",
      tasks: [...independentTasks("narrow", 3), { id: "free", operator: "test", pool: "wide_open" }],
    });
    const run = await triggerRun(scope, { dagKey: "narrowed" });
    await expect
      .poll(async () => (await owner.api.pools.list({ workspace })).items[0]?.queued, { timeout: 20_000 })
      .toBe(3);
    // The task in a pool without a row ran (no limit of its own).
    await expect
      .poll(
        () => db.taskInstance.findFirst({ where: { runId: run.id, taskId: "free" } }).then((t) => t?.state),
        {
          timeout: 20_000,
        },
      )
      .toBe("success");

    // A pool whose tasks hold slots cannot be deleted (one is marked running by hand here).
    const held = await db.taskInstance.findFirstOrThrow({ where: { runId: run.id, taskId: "t0" } });
    await db.taskInstance.update({ where: { id: held.id }, data: { state: "running" } });
    expect(await owner.api.pools.delete({ workspace, name: "narrow" }).catch((e: Error) => e.message)).toBe(
      'Pool "narrow" has 1 task instance running; delete it once they finish (set its slots to 0 to admit no more meanwhile)',
    );
    await db.taskInstance.update({ where: { id: held.id }, data: { state: "queued" } });

    await owner.api.pools.update({ workspace, name: "narrow", slots: 1 });
    const ended = await waitForRun(run.id);
    expect(ended.state).toBe("success");
    // One slot: the pool's attempts never overlapped.
    const attempts = ended.taskInstances
      .filter((t) => t.pool === "narrow")
      .map((t) => t.attempts[0]!)
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    for (let i = 1; i < attempts.length; i++) {
      expect(attempts[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(attempts[i - 1]!.endedAt!.getTime());
    }
    expect((await owner.api.pools.list({ workspace })).items[0]).toMatchObject({ admitted: 0, queued: 0 });
  });

  it("lists pool names in use without a pool, and runs a deleted pool's waiting tasks without a limit", async () => {
    await owner.api.pools.create({ workspace, name: "closed", slots: 0 });
    await storeDag(scope, { id: "closed_dag", tasks: independentTasks("closed", 2) });
    const run = await triggerRun(scope, { dagKey: "closed_dag" });
    await expect
      .poll(
        async () =>
          (await owner.api.pools.list({ workspace })).items.find((p) => p.name === "closed")?.queued,
        {
          timeout: 20_000,
        },
      )
      .toBe(2);
    await owner.api.pools.delete({ workspace, name: "closed" });
    expect((await waitForRun(run.id)).state).toBe("success");

    // Unlimited pool names show while their tasks wait or run.
    await owner.api.pools.create({ workspace, name: "gate", slots: 0 });
    await storeDag(scope, {
      id: "behind_gate",
      tasks: [
        { id: "gate", operator: "test", pool: "gate" },
        { id: "after", operator: "test", pool: "unmanaged", dependsOn: ["gate"] },
      ],
    });
    const gated = await triggerRun(scope, { dagKey: "behind_gate" });
    await expect
      .poll(
        async () => (await owner.api.pools.list({ workspace })).items.find((p) => p.name === "gate")?.queued,
        { timeout: 20_000 },
      )
      .toBe(1);
    const instance = await db.taskInstance.findFirstOrThrow({ where: { runId: gated.id, taskId: "after" } });
    await db.taskInstance.update({ where: { id: instance.id }, data: { state: "queued" } });
    expect((await owner.api.pools.list({ workspace })).unlimited).toEqual([
      { name: "unmanaged", queued: 1, running: 0, workerPool: "shared" },
    ]);
    await db.taskInstance.update({ where: { id: instance.id }, data: { state: "none" } });
    await owner.api.pools.update({ workspace, name: "gate", slots: 1 });
    expect((await waitForRun(gated.id)).state).toBe("success");
    expect((await owner.api.pools.list({ workspace })).unlimited).toEqual([]);
  });
});
