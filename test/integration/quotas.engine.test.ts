// The engine's quotas at their boundaries, on a real worker: concurrent runs per workspace (N
// running, the next queued saying why, started when any run of the workspace ends), both monthly
// quotas under both policies (N-1 used: the run starts; N used: refused, or queued until the quota
// is raised or the month turns), concurrent tasks across several workspaces at once (never
// exceeded, all finish), and the usage meter agreeing with the attempts, runs and deliveries.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST } from "@/app/api/hooks/[endpointId]/route";
import type { DagDocument } from "@/server/dags/definition";
import { db } from "@/server/db/client";
import { cancelRun, kickWorkspace } from "@/server/engine/operations";
import { repairRuns } from "@/server/engine/reaper";
import { triggerRun } from "@/server/engine/runs";
import { startAllDeliveryRuns } from "@/server/engine/webhook-runs";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { flushUsage } from "@/server/usage/meter";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { logOf } from "../support/operators";

beforeAll(() => startTestWorker(10));
afterAll(() => stopTestWorker());

async function newWorkspace(name: string, quotas: Parameters<typeof db.workspace.update>[0]["data"] = {}) {
  const { workspace } = await createUser(name);
  await db.workspace.update({ where: { id: workspace.id }, data: { maxConcurrentTasks: 20, ...quotas } });
  return workspaceScope(workspace.id);
}

const task = (id: string, config: Record<string, unknown> = {}) => ({ id, operator: "test", config });
const runOf = (id: string) => db.dagRun.findUniqueOrThrow({ where: { id } });
const month = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" }).format(
  new Date(),
);
const today = () => new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);

/** Sets the workspace's usage of the month to exactly these counts (as flushed meters would). */
async function setUsage(scope: WorkspaceScope, usage: { taskRuns?: number; taskSeconds?: number }) {
  await flushUsage();
  await db.usageDay.deleteMany({ where: { workspaceId: scope.workspace.id } });
  await db.usageDay.create({ data: { workspaceId: scope.workspace.id, day: today(), ...usage } });
}

describe("concurrent runs per workspace", () => {
  it("runs N at once; the next waits queued saying why and starts when a run of any DAG ends", async () => {
    const scope = await newWorkspace("runs", { maxConcurrentRuns: 2 });
    const slow = (id: string): DagDocument => ({
      id,
      maxActiveRuns: 5,
      tasks: [task("wait", { durationMs: 60_000 })],
    });
    await storeDag(scope, slow("slow_a"));
    await storeDag(scope, slow("slow_b"));

    const first = await triggerRun(scope, { dagKey: "slow_a" });
    const second = await triggerRun(scope, { dagKey: "slow_b" });
    const third = await triggerRun(scope, { dagKey: "slow_a" });
    expect((await runOf(first.id)).state).toBe("running");
    expect((await runOf(second.id)).state).toBe("running");
    expect(await runOf(third.id)).toMatchObject({
      state: "queued",
      stateReason: "Queued: this workspace already has 2 runs running (plan quota maxConcurrentRuns)",
    });

    // A run of the other DAG ends: the workspace-wide start picks the queued run up.
    await cancelRun(scope, second.id);
    await expect.poll(async () => (await runOf(third.id)).state, { timeout: 20_000 }).toBe("running");
    expect((await runOf(third.id)).stateReason).toBeNull();
    await cancelRun(scope, first.id);
    await cancelRun(scope, third.id);
  });
});

describe("monthly quotas", () => {
  const cases = [
    { quota: "maxTaskRunsPerMonth", limit: 5, usage: "taskRuns", unit: "task runs", shown: "5" },
    {
      quota: "maxTaskSecondsPerMonth",
      limit: 1_000,
      usage: "taskSeconds",
      unit: "task-seconds",
      shown: "1,000",
    },
  ] as const;

  for (const c of cases) {
    it(`${c.quota}, refuse: N-1 used starts the run; N used refuses the next, saying so`, async () => {
      const scope = await newWorkspace("refuse", { [c.quota]: c.limit, overQuotaPolicy: "refuse" });
      await storeDag(scope, { id: "work", tasks: [task("t", { durationMs: 300 })] });
      await setUsage(scope, { [c.usage]: c.limit - 1 });
      const allowed = await triggerRun(scope, { dagKey: "work" });
      expect((await runOf(allowed.id)).state).toBe("running");

      await setUsage(scope, { [c.usage]: c.limit });
      const refused = await triggerRun(scope, { dagKey: "work" });
      // The allowed run, if still running, holds a reservation of one task run.
      const used = c.quota === "maxTaskRunsPerMonth" ? `(${c.shown}|${c.limit + 1})` : c.shown;
      const reserved =
        c.quota === "maxTaskRunsPerMonth" ? String.raw`( \(1 of them reserved by runs in progress\))?` : "";
      expect(await runOf(refused.id)).toMatchObject({
        state: "failed",
        stateReason: expect.stringMatching(
          new RegExp(
            `^Refused: this workspace used ${used} of its ${c.shown} ${c.unit} for ${month}${reserved} \\(plan quota ${c.quota}\\); a platform administrator can raise the quota or move the workspace to a larger plan$`,
          ),
        ),
      });
      expect((await runOf(refused.id)).endedAt).not.toBeNull();
      // Its tasks never ran.
      expect(await db.taskAttempt.count({ where: { taskInstance: { runId: refused.id } } })).toBe(0);
      // A run already running is never stopped by the quota.
      expect((await waitForRun(allowed.id)).state).toBe("success");
    });

    it(`${c.quota}, queue: N used keeps the next run queued until the quota is raised`, async () => {
      const scope = await newWorkspace("queue", { [c.quota]: c.limit, overQuotaPolicy: "queue" });
      await storeDag(scope, { id: "work", tasks: [task("t")] });
      await setUsage(scope, { [c.usage]: c.limit - 1 });
      const allowed = await triggerRun(scope, { dagKey: "work" });
      expect((await waitForRun(allowed.id)).state).toBe("success");

      await setUsage(scope, { [c.usage]: c.limit });
      const held = await triggerRun(scope, { dagKey: "work" });
      expect(await runOf(held.id)).toMatchObject({
        state: "queued",
        stateReason: `Queued: this workspace used ${c.shown} of its ${c.shown} ${c.unit} for ${month} (plan quota ${c.quota}); the run starts when the month turns or the quota is raised (a platform administrator can raise the quota or move the workspace to a larger plan)`,
      });
      // Another run's end looks again, and still holds it.
      await kickWorkspace(scope.workspace.id);
      expect((await runOf(held.id)).state).toBe("queued");

      await db.workspace.update({ where: { id: scope.workspace.id }, data: { [c.quota]: c.limit + 1 } });
      await kickWorkspace(scope.workspace.id);
      const done = await waitForRun(held.id);
      expect(done.state).toBe("success");
      expect(done.stateReason).toBeNull();
    });
  }

  it("queue: the reaper's repair pass starts runs held over quota once the month has turned", async () => {
    const scope = await newWorkspace("rollover", { maxTaskRunsPerMonth: 3, overQuotaPolicy: "queue" });
    await storeDag(scope, { id: "work", tasks: [task("t")] });
    await setUsage(scope, { taskRuns: 3 });
    const held = await triggerRun(scope, { dagKey: "work" });
    expect((await runOf(held.id)).state).toBe("queued");
    // Still this month: the repair pass leaves it alone (queued a while ago, as it looks for).
    await db.dagRun.update({ where: { id: held.id }, data: { queuedAt: new Date(Date.now() - 120_000) } });
    await repairRuns();
    expect((await runOf(held.id)).state).toBe("queued");

    // The usage now belongs to last month.
    const lastMonth = new Date(Date.UTC(today().getUTCFullYear(), today().getUTCMonth() - 1, 15));
    await db.usageDay.updateMany({ where: { workspaceId: scope.workspace.id }, data: { day: lastMonth } });
    await repairRuns();
    expect((await waitForRun(held.id)).state).toBe("success");
  });
});

describe("the log cap", () => {
  it("cuts an attempt's log at maxLogBytesPerAttempt with a marker naming the quota", async () => {
    const scope = await newWorkspace("logs", { maxLogBytesPerAttempt: 10 });
    await storeDag(scope, { id: "chatty", tasks: [task("t", { durationMs: 1 })] });
    const run = await triggerRun(scope, { dagKey: "chatty" });
    expect((await waitForRun(run.id)).state).toBe("success");
    const log = await logOf(scope, run.id, "t");
    expect(log).toBe(
      "… log cut: this attempt reached its limit of 10 bytes (plan quota maxLogBytesPerAttempt); later lines were dropped\n",
    );
  });
});

describe("concurrent tasks across workspaces", () => {
  it("never exceeds any workspace's quota while all of them run many tasks at once, and all finish", async () => {
    const quotas = [2, 3, 5];
    const scopes = await Promise.all(quotas.map((_, i) => newWorkspace(`tasks${i}`)));
    for (const [i, scope] of scopes.entries()) {
      await db.workspace.update({
        where: { id: scope.workspace.id },
        data: { maxConcurrentTasks: quotas[i] },
      });
      await storeDag(scope, {
        id: "wide",
        tasks: Array.from({ length: 24 }, (_, k) => task(`t${k}`, { durationMs: 40 + (k % 4) * 30 })),
      });
    }
    const ids = scopes.map((s) => s.workspace.id);
    const runs = await Promise.all(scopes.map((scope) => triggerRun(scope, { dagKey: "wide" })));

    // Sample admitted (scheduled or running) instances per workspace until every run has ended.
    const peak = new Map<string, number>();
    let samples = 0;
    for (;;) {
      const counts = await db.taskInstance.groupBy({
        by: ["workspaceId"],
        where: { workspaceId: { in: ids }, state: { in: ["scheduled", "running"] } },
        _count: { _all: true },
      });
      for (const c of counts) peak.set(c.workspaceId, Math.max(peak.get(c.workspaceId) ?? 0, c._count._all));
      samples++;
      const open = await db.dagRun.count({ where: { id: { in: runs.map((r) => r.id) }, endedAt: null } });
      if (open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(samples).toBeGreaterThan(1);
    for (const [i, id] of ids.entries()) expect(peak.get(id) ?? 0).toBeLessThanOrEqual(quotas[i]!);

    for (const [i, run] of runs.entries()) {
      const done = await waitForRun(run.id);
      expect(done.state).toBe("success");
      // From the attempts' own times too: never more overlapping than the quota.
      const attempts = done.taskInstances.flatMap((t) => t.attempts);
      const events = attempts.flatMap((a) => [
        { at: a.startedAt.getTime(), delta: 1 },
        { at: a.endedAt!.getTime(), delta: -1 },
      ]);
      events.sort((x, y) => x.at - y.at || x.delta - y.delta);
      let current = 0;
      let most = 0;
      for (const e of events) {
        current += e.delta;
        most = Math.max(most, current);
      }
      expect(most).toBeLessThanOrEqual(quotas[i]!);
      // Slots are counted from the instances holding them (engine/dispatch.ts): none is left holding one.
      expect(
        await db.taskInstance.count({
          where: { workspaceId: ids[i]!, state: { in: ["scheduled", "running"] } },
        }),
      ).toBe(0);
    }
  }, 120_000);
});

describe("metering", () => {
  it("counts task runs, task-seconds and runs as the attempts and runs show", async () => {
    const scope = await newWorkspace("meter");
    await storeDag(scope, {
      id: "metered",
      tasks: [
        task("a", { durationMs: 120 }),
        task("b", { durationMs: 60 }),
        { ...task("flaky", { failTimes: 1, durationMs: 80 }), retries: 1, retryDelaySeconds: 0 },
        { ...task("bad", { outcome: "fail", durationMs: 30 }), dependsOn: ["a"] },
      ],
    });
    const runs = [
      await triggerRun(scope, { dagKey: "metered" }),
      await triggerRun(scope, { dagKey: "metered" }),
    ];
    for (const run of runs) await waitForRun(run.id);
    await flushUsage();

    const attempts = await db.taskAttempt.findMany({
      where: { workspaceId: scope.workspace.id, state: { in: ["success", "failed"] } },
      select: { startedAt: true, endedAt: true },
    });
    const usage = await db.usageDay.aggregate({
      where: { workspaceId: scope.workspace.id },
      _sum: { taskRuns: true, taskSeconds: true, runs: true },
    });
    // Two runs of four tasks, one of which fails once before succeeding.
    expect(attempts).toHaveLength(10);
    expect(usage._sum.taskRuns).toBe(10);
    expect(usage._sum.runs).toBe(2);
    const seconds = attempts.reduce(
      (sum, a) => sum + (a.endedAt!.getTime() - a.startedAt.getTime()) / 1000,
      0,
    );
    // The meter reads the attempts' own records, to the microsecond (the rows keep milliseconds).
    expect(Math.abs(usage._sum.taskSeconds! - seconds)).toBeLessThan(0.01 * attempts.length);
  });

  it("counts webhook deliveries that started a run, not repeats or refusals", async () => {
    process.env.BATON_MASTER_KEYS ??= `1:${generateKey()}`;
    const owner = await createUser("hooks");
    const scope = await workspaceScope(owner.workspace.id);
    await storeDag(scope, { id: "hooked", tasks: [task("t")] });
    const hook = await owner.api.webhooks.create({
      workspace: owner.workspace.slug,
      dagId: "hooked",
      name: "ci",
      authMode: "token",
    });
    const deliver = async (headers: Record<string, string>) =>
      (
        await POST(
          new Request(`http://hooks.example.com/api/hooks/${hook.id}`, {
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
            body: "{}",
          }),
          { params: Promise.resolve({ endpointId: hook.id }) },
        )
      ).status;
    const token = { "x-baton-token": hook.secret! };
    expect(await deliver({ ...token, "idempotency-key": "one" })).toBe(202);
    expect(await deliver({ ...token, "idempotency-key": "one" })).toBe(202); // a repeat
    expect(await deliver({ ...token })).toBe(202);
    expect(await deliver({ "x-baton-token": "wrong" })).toBe(401);
    // Counted when the engine turns the accepted deliveries into runs.
    await startAllDeliveryRuns();
    await flushUsage();
    const usage = await db.usageDay.aggregate({
      where: { workspaceId: scope.workspace.id },
      _sum: { webhookDeliveries: true },
    });
    expect(usage._sum.webhookDeliveries).toBe(2);
  });
});
