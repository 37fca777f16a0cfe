// Suspending a workspace on a real worker: schedules, webhooks, manual and API triggers, DAG
// triggers and backfills start nothing while it lasts (each saying why), a task already running
// finishes while its queued successor waits, and resuming lets everything through again, with
// the schedules' missed ticks created once each (all of them with catch-up, else the latest).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST } from "@/app/api/hooks/[endpointId]/route";
import { pushDag, setPaused } from "@/server/dags/service";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { WorkspaceSuspendedError } from "@/server/quotas/errors";
import { resumeWorkspace, suspendWorkspace } from "@/server/quotas/suspension";
import { backfillStep, createBackfill } from "@/server/schedules/backfill";
import { createScheduledRuns, runScheduler } from "@/server/schedules/scheduler";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { createDagTrigger, fireDagTriggers } from "@/server/triggers/dag-triggers";
import { startTestWorker, stopTestWorker, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

let owner: Awaited<ReturnType<typeof createUser>>;
let scope: WorkspaceScope;
let admin: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  owner = await createUser("suspended");
  admin = await createUser("platform");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 20 });
  await startTestWorker(6);
});
afterAll(async () => {
  await db.dag.updateMany({ data: { nextRunAt: null, paused: true } });
  await stopTestWorker();
});

const actor = () => ({ kind: "user" as const, userId: admin.user.id, label: admin.email });
const noop = [{ id: "t", operator: "noop" }];
/** Hourly logical dates 00:00 to 04:00 of 2025-01-01: five ticks, all long due. */
const hourly = (id: string, catchup: boolean) => ({
  id,
  schedule: { type: "interval" as const, every: "1h" },
  startDate: "2025-01-01T00:00:00Z",
  endDate: "2025-01-01T04:00:00Z",
  catchup,
  tasks: noop,
});
const dagRow = (key: string) => db.dag.findFirstOrThrow({ where: { workspaceId: scope.workspace.id, key } });
const runsOf = (key: string) =>
  db.dagRun.findMany({
    where: { workspaceId: scope.workspace.id, dag: { key } },
    orderBy: { logicalDate: "asc" },
  });
const hours = (runs: { logicalDate: Date }[]) => runs.map((r) => r.logicalDate.toISOString().slice(11, 16));

async function deliver(id: string, secret: string) {
  const response = await POST(
    new Request(`http://hooks.example.com/api/hooks/${id}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-baton-token": secret },
      body: "{}",
    }),
    { params: Promise.resolve({ endpointId: id }) },
  );
  return { status: response.status, body: await response.json() };
}

describe("a suspended workspace", () => {
  it("starts nothing new, lets running tasks finish, and resumes without duplicate runs", async () => {
    const slug = owner.workspace.slug;
    await pushDag(scope, {
      document: {
        id: "long",
        maxActiveRuns: 1,
        tasks: [
          { id: "wait", operator: "test", config: { durationMs: 3_000 } },
          { id: "after", operator: "noop", dependsOn: ["wait"] },
        ],
      },
    });
    await pushDag(scope, { document: { id: "quick", tasks: noop } });
    await pushDag(scope, { document: { id: "followup", tasks: noop } });
    await pushDag(scope, { document: { id: "hooked", tasks: noop } });
    await createDagTrigger(scope, { dagId: "followup", upstreamDagId: "quick" });
    const hook = await owner.api.webhooks.create({
      workspace: slug,
      dagId: "hooked",
      name: "ci",
      authMode: "token",
    });
    const quick = await waitForRun((await triggerRun(scope, { dagKey: "quick" })).id);
    // Its trigger fires once now; firing again while suspended must add nothing.
    await expect.poll(async () => (await runsOf("followup")).length, { timeout: 20_000 }).toBe(1);
    const long = await triggerRun(scope, { dagKey: "long" });
    await expect
      .poll(
        () => db.taskInstance.findFirst({ where: { runId: long.id, taskId: "wait", state: "running" } }),
        {
          timeout: 20_000,
        },
      )
      .toBeTruthy();
    const second = await triggerRun(scope, { dagKey: "long" });
    const reasonOf = async (id: string) => (await db.dagRun.findUniqueOrThrow({ where: { id } })).stateReason;
    expect(await reasonOf(second.id)).toBe("Queued: DAG long already has 1 run running (its maxActiveRuns)");

    const suspension = await suspendWorkspace({
      workspaceId: scope.workspace.id,
      reason: "unpaid invoice",
      actor: actor(),
    });
    expect(suspension.suspendedReason).toBe("unpaid invoice");
    const message = /This workspace is suspended \(unpaid invoice\)/;
    // Runs already waiting say why they keep waiting.
    expect(await reasonOf(second.id)).toBe(
      "Queued: this workspace is suspended (unpaid invoice); the run starts once it is resumed",
    );

    // Schedules: not claimed, their cursor left where it was.
    await pushDag(scope, { document: hourly("catchup", true) });
    await pushDag(scope, { document: hourly("latest", false) });
    await pushDag(scope, {
      document: {
        ...hourly("filled", false),
        startDate: "2025-02-01T00:00:00Z",
        endDate: "2025-02-01T04:00:00Z",
      },
    });
    await setPaused(scope, { dagId: "filled", paused: true });
    await runScheduler();
    expect((await dagRow("catchup")).nextRunAt?.toISOString()).toBe("2025-01-01T01:00:00.000Z");
    expect((await dagRow("latest")).nextRunAt?.toISOString()).toBe("2025-01-01T01:00:00.000Z");

    // Ticks claimed just before the suspension are refused after it and handed back.
    const catchup = await dagRow("catchup");
    await db.dag.update({
      where: { id: catchup.id },
      data: {
        nextRunAt: new Date("2025-01-01T03:00:00Z"),
        lastScheduledEnd: new Date("2025-01-01T02:00:00Z"),
      },
    });
    const handedBack = await createScheduledRuns({
      workspaceId: scope.workspace.id,
      dagId: catchup.id,
      ticks: [
        ["2025-01-01T00:00:00.000Z", "2025-01-01T01:00:00.000Z"],
        ["2025-01-01T01:00:00.000Z", "2025-01-01T02:00:00.000Z"],
      ],
    });
    expect(handedBack).toMatchObject({ created: 0, suspended: [expect.anything(), expect.anything()] });
    expect(await dagRow("catchup")).toMatchObject({
      nextRunAt: new Date("2025-01-01T01:00:00Z"),
      lastScheduledEnd: new Date("2025-01-01T00:00:00Z"),
    });

    // Manual (tRPC) and API (engine) triggers: refused, naming the suspension and its reason.
    await expect(owner.api.runs.trigger({ workspace: slug, dagId: "quick" })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(message),
    });
    await expect(triggerRun(scope, { dagKey: "quick", triggeredBy: "api" })).rejects.toBeInstanceOf(
      WorkspaceSuspendedError,
    );

    // Webhooks: 503 (the sender retries later), the reason in the delivery log only.
    const refused = await deliver(hook.id, hook.secret!);
    expect(refused).toMatchObject({ status: 503, body: { error: { code: "SERVICE_UNAVAILABLE" } } });
    expect(refused.body.error.message).not.toMatch(message);
    const [logged] = (await owner.api.webhooks.deliveries({ workspace: slug, webhookId: hook.id })).items;
    expect(logged).toMatchObject({
      statusCode: 503,
      result: "suspended",
      message: expect.stringMatching(message),
    });

    // A DAG trigger firing now: refused, recorded on the trigger.
    const [fired] = await fireDagTriggers({
      runId: quick.id,
      workspaceId: scope.workspace.id,
      state: "success",
    });
    expect(fired?.error).toMatch(message);

    // Backfills pause: a step creates nothing and leaves the cursor.
    const backfill = await createBackfill(scope, {
      dagId: "filled",
      from: "2025-02-01T00:00:00Z",
      to: "2025-02-01T02:00:00Z",
    });
    await backfillStep(backfill.id, scope.workspace.id);
    expect(await db.backfill.findUniqueOrThrow({ where: { id: backfill.id } })).toMatchObject({
      state: "running",
      created: 0,
      cursor: new Date("2025-02-01T00:00:00Z"),
    });
    expect(await runsOf("filled")).toHaveLength(0);

    // The running task finishes; its successor is not admitted.
    await expect
      .poll(
        async () =>
          (await db.taskInstance.findFirstOrThrow({ where: { runId: long.id, taskId: "wait" } })).state,
        {
          timeout: 20_000,
        },
      )
      .toBe("success");
    const wait = await db.taskAttempt.findFirstOrThrow({
      where: { taskInstance: { runId: long.id, taskId: "wait" } },
    });
    expect(wait.endedAt!.getTime()).toBeGreaterThan(suspension.suspendedAt!.getTime());
    expect(
      await db.taskInstance.findFirstOrThrow({ where: { runId: long.id, taskId: "after" } }),
    ).toMatchObject({
      state: "queued",
    });
    expect((await db.dagRun.findUniqueOrThrow({ where: { id: long.id } })).state).toBe("running");
    expect(await runsOf("catchup")).toHaveLength(0);
    expect(await runsOf("latest")).toHaveLength(0);
    expect(await runsOf("followup")).toHaveLength(1);
    expect(await runsOf("hooked")).toHaveLength(0);

    await expect(resumeWorkspace({ workspaceId: scope.workspace.id, actor: actor() })).resolves.toMatchObject(
      {
        suspendedAt: null,
      },
    );

    // Everything goes on: the waiting task, the schedules' missed ticks, the backfill.
    expect((await waitForRun(long.id)).state).toBe("success");
    const secondDone = await waitForRun(second.id);
    expect(secondDone).toMatchObject({ state: "success", stateReason: null });
    await runScheduler();
    await expect
      .poll(async () => hours(await runsOf("catchup")), { timeout: 30_000 })
      .toEqual(["00:00", "01:00", "02:00", "03:00", "04:00"]);
    await expect.poll(async () => hours(await runsOf("latest")), { timeout: 30_000 }).toEqual(["04:00"]);
    await expect
      .poll(async () => (await db.backfill.findUniqueOrThrow({ where: { id: backfill.id } })).state, {
        timeout: 30_000,
      })
      .toBe("done");
    expect(await runsOf("filled")).toHaveLength(3);
    // Nothing is due twice: another pass, once its jobs are done, adds no run.
    await runScheduler();
    const pendingCreates = async () =>
      (
        await db.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'schedule:create-runs'`
      )[0]!.n;
    await expect.poll(pendingCreates, { timeout: 30_000 }).toBe(0);
    expect(await runsOf("catchup")).toHaveLength(5);
    expect(await runsOf("latest")).toHaveLength(1);

    // Manual triggers work again; the audit log says a platform administrator suspended and resumed, and why.
    const again = await owner.api.runs.trigger({ workspace: slug, dagId: "quick" });
    expect((await waitForRun(again.id)).state).toBe("success");
    const events = await db.auditEvent.findMany({
      where: { workspaceId: scope.workspace.id, action: { startsWith: "platform.workspace." } },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => [e.action, e.actorLabel, e.metadata])).toEqual([
      ["platform.workspace.suspend", "Platform administrator", { reason: "unpaid invoice" }],
      [
        "platform.workspace.resume",
        "Platform administrator",
        expect.objectContaining({ reason: "unpaid invoice" }),
      ],
    ]);
  }, 120_000);

  it("answers NOT_FOUND for an unknown workspace, and CONFLICT when resuming one not suspended", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    await expect(
      suspendWorkspace({ workspaceId: unknown, reason: "x", actor: actor() }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const other = await createUser("never-suspended");
    await expect(resumeWorkspace({ workspaceId: other.workspace.id, actor: actor() })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(
      suspendWorkspace({ workspaceId: scope.workspace.id, reason: "  ", actor: actor() }),
    ).rejects.toMatchObject({ code: "UNPROCESSABLE_CONTENT", problems: [{ path: "reason" }] });
  });
});
