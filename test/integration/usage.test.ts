// The usage report against what really happened (a DAG run by a worker, rows that exist), its
// zero-filled history, and quota alerts: announced once per level however many checkers race,
// to Owners and Admins only, in the app and by e-mail; notifications read by their own member only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { cancelRun } from "@/server/engine/operations";
import { triggerRun } from "@/server/engine/runs";
import { checkQuotaAlerts } from "@/server/notifications/quota-alerts";
import { quotaCatalog, quotaKeys } from "@/server/quotas/catalog";
import { openWorkspace } from "@/server/tenancy/door";
import type { Role } from "@/server/tenancy/roles";
import { createToken } from "@/server/tokens/service";
import { flushUsage, meter } from "@/server/usage/meter";
import { alertableQuotas, HISTORY_DAYS } from "@/server/usage/report";
import { takeDelivery } from "@/server/webhooks/limits";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { apiAs, codeOf, createUser } from "../support/factories";
import { jsonCaller } from "../support/rest";
import { type SmtpSink, startSmtpSink } from "../support/smtp-sink";

type Person = Awaited<ReturnType<typeof createUser>>;

const dayOf = (offsetDays: number) =>
  new Date(
    Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) +
      offsetDays * 86_400_000,
  );

async function addMember(owner: Person, role: Role): Promise<Person> {
  const person = await createUser(role.toLowerCase());
  await db.membership.create({ data: { workspaceId: owner.workspace.id, userId: person.user.id, role } });
  return person;
}

describe("usage summary", () => {
  let owner: Person;
  beforeAll(async () => {
    owner = await createUser("usage");
    await startTestWorker(4);
  });
  afterAll(() => stopTestWorker());

  it("counts what the worker ran and what exists", async () => {
    const workspace = owner.workspace.slug;
    const scope = await workspaceScope(owner.workspace.id);
    await storeDag(scope, {
      id: "small",
      tasks: [
        { id: "extract", operator: "test", config: { durationMs: 50 } },
        { id: "load", operator: "test", dependsOn: ["extract"], config: { durationMs: 50 } },
        {
          id: "check",
          operator: "test",
          dependsOn: ["extract"],
          retries: 1,
          retryDelaySeconds: 0,
          config: { outcome: "fail" },
        },
      ],
    });
    const run = await waitForRun((await triggerRun(scope, { dagKey: "small" })).id);
    expect(run.state).toBe("failed");
    await flushUsage();

    // DAGs: three pushed, one archived. Members: the owner and one pending invitation.
    await owner.api.dags.push({
      workspace,
      document: { id: "kept", tasks: [{ id: "t", operator: "noop" }] },
    });
    await owner.api.dags.push({ workspace, document: { id: "old", tasks: [{ id: "t", operator: "noop" }] } });
    await owner.api.dags.archive({ workspace, dagId: "old" });
    await owner.api.members.invite({ workspace, email: "invitee@example.com", role: "VIEWER" });
    await db.pool.createMany({
      data: [
        { workspaceId: owner.workspace.id, name: "warehouse", slots: 3 },
        { workspaceId: owner.workspace.id, name: "api", slots: 7 },
      ],
    });
    await takeDelivery(owner.workspace.id, 600);
    await takeDelivery(owner.workspace.id, 600);
    await db.usageDay.upsert({
      where: { workspaceId_day: { workspaceId: owner.workspace.id, day: dayOf(-1) } },
      create: { workspaceId: owner.workspace.id, day: dayOf(-1), storageBytes: 5_242_880n },
      update: { storageBytes: 5_242_880n },
    });

    const attempts = await db.taskAttempt.findMany({ where: { workspaceId: owner.workspace.id } });
    const seconds = attempts.reduce(
      (sum, a) => sum + (a.endedAt!.getTime() - a.startedAt.getTime()) / 1000,
      0,
    );
    const summary = await owner.api.usage.summary({ workspace });
    const used = Object.fromEntries(summary.quotas.map((q) => [q.key, q.used]));

    expect(summary.plan).toEqual({ key: "free", name: expect.any(String) });
    expect(summary.quotas.map((q) => q.key)).toEqual(quotaKeys);
    expect(attempts).toHaveLength(4); // extract, load, and check twice
    expect(used.maxTaskRunsPerMonth).toBe(4);
    // The meter times attempts in the worker; the rows' timestamps come from the database.
    expect(used.maxTaskSecondsPerMonth).toBeGreaterThan(0.1);
    expect(Math.abs(used.maxTaskSecondsPerMonth! - seconds)).toBeLessThan(0.5);
    expect(used.maxConcurrentTasks).toBe(0);
    expect(used.maxConcurrentRuns).toBe(0);
    expect(used.maxDags).toBe(2);
    expect(used.maxMembers).toBe(2);
    expect(used.maxPools).toBe(2);
    expect(used.maxPoolSlots).toBe(7);
    expect(used.webhookRateLimitPerMinute).toBe(2);
    for (const key of ["maxOutputBytes", "maxLogBytesPerAttempt", "logRetentionDays", "runRetentionDays"]) {
      const quota = summary.quotas.find((q) => q.key === key)!;
      expect(quota, key).toMatchObject({ used: null, level: null, kind: "limit" });
    }
    expect(summary.quotas.find((q) => q.key === "maxDags")).toMatchObject({ limit: 100, level: "ok" });
    expect(summary.storage).toEqual({ bytes: 5_242_880, measuredOn: dayOf(-1).toISOString().slice(0, 10) });

    const today = (await owner.api.usage.history({ workspace })).at(-1)!;
    expect(today).toMatchObject({ taskRuns: 4, runs: 1 });
  });

  it("counts running runs and their admitted tasks", async () => {
    const scope = await workspaceScope(owner.workspace.id);
    await storeDag(scope, {
      id: "waiting",
      tasks: [
        { id: "a", operator: "test", config: { durationMs: 60_000 } },
        { id: "b", operator: "test", config: { durationMs: 60_000 } },
      ],
    });
    const run = await triggerRun(scope, { dagKey: "waiting" });
    await expect
      .poll(() => db.taskInstance.count({ where: { runId: run.id, state: "running" } }), { timeout: 10_000 })
      .toBe(2);
    const summary = await owner.api.usage.summary({ workspace: owner.workspace.slug });
    const used = Object.fromEntries(summary.quotas.map((q) => [q.key, q.used]));
    expect(used.maxConcurrentRuns).toBe(1);
    expect(used.maxConcurrentTasks).toBe(2);
    await cancelRun(scope, run.id);
  });
});

describe("usage history", () => {
  it("has one entry per day of the last 30, oldest first, zeros where nothing was used", async () => {
    const owner = await createUser("history");
    const workspaceId = owner.workspace.id;
    await db.usageDay.createMany({
      data: [
        { workspaceId, day: dayOf(-3), taskRuns: 12, taskSeconds: 90.5, runs: 3, webhookDeliveries: 2 },
        { workspaceId, day: dayOf(-HISTORY_DAYS), taskRuns: 99 }, // one day too old
      ],
    });
    const history = await owner.api.usage.history({ workspace: owner.workspace.slug });
    expect(history).toHaveLength(HISTORY_DAYS);
    expect(history[0]!.day).toBe(
      dayOf(-(HISTORY_DAYS - 1))
        .toISOString()
        .slice(0, 10),
    );
    expect(history.at(-1)!.day).toBe(dayOf(0).toISOString().slice(0, 10));
    expect(history.at(-4)).toEqual({
      day: dayOf(-3).toISOString().slice(0, 10),
      taskRuns: 12,
      taskSeconds: 90.5,
      runs: 3,
      webhookDeliveries: 2,
    });
    expect(history.filter((d) => d.taskRuns > 0)).toHaveLength(1);
    expect(history[0]).toEqual({
      day: history[0]!.day,
      taskRuns: 0,
      taskSeconds: 0,
      runs: 0,
      webhookDeliveries: 0,
    });
  });
});

describe("quota alerts", () => {
  let sink: SmtpSink;
  let owner: Person;
  let admin: Person;
  let editor: Person;
  let operator: Person;
  let viewer: Person;

  beforeAll(async () => {
    sink = await startSmtpSink();
    process.env.BATON_SMTP_URL = `smtp://127.0.0.1:${sink.port}`;
    owner = await createUser("alerted");
    admin = await addMember(owner, "ADMIN");
    editor = await addMember(owner, "EDITOR");
    operator = await addMember(owner, "OPERATOR");
    viewer = await addMember(owner, "VIEWER");
    await db.workspace.update({ where: { id: owner.workspace.id }, data: { maxTaskRunsPerMonth: 10 } });
  });
  afterAll(async () => {
    delete process.env.BATON_SMTP_URL;
    await sink?.close();
  });

  const alerts = () =>
    db.quotaAlert.findMany({ where: { workspaceId: owner.workspace.id }, orderBy: { threshold: "asc" } });
  const notificationsOf = (person: Person) =>
    person.api.notifications.list({ workspace: owner.workspace.slug });
  /** Adds task runs to this month's usage without a flush (so that no check runs with it). */
  const addTaskRuns = (taskRuns: number) =>
    db.usageDay.upsert({
      where: { workspaceId_day: { workspaceId: owner.workspace.id, day: dayOf(0) } },
      create: { workspaceId: owner.workspace.id, day: dayOf(0), taskRuns },
      update: { taskRuns: { increment: taskRuns } },
    });

  it("checks the catalogue's monthly and total quotas", () => {
    const kinds = new Set(["monthly", "total"]);
    expect([...alertableQuotas].sort()).toEqual(
      quotaKeys.filter((k) => kinds.has(quotaCatalog[k].kind)).sort(),
    );
  });

  it("stays quiet below 80%", async () => {
    meter(owner.workspace.id, { taskRuns: 7 });
    await flushUsage();
    expect(await alerts()).toEqual([]);
    expect((await notificationsOf(owner)).notifications).toEqual([]);
  });

  it("announces 80% once to each owner and admin, however many checkers race", async () => {
    meter(owner.workspace.id, { taskRuns: 1 }); // 8 of 10
    await flushUsage();
    await addTaskRuns(1); // 9 of 10: still the 80% level
    await Promise.all(Array.from({ length: 6 }, () => checkQuotaAlerts([owner.workspace.id])));
    expect((await alerts()).map((a) => [a.quota, a.threshold, a.period])).toEqual([
      ["maxTaskRunsPerMonth", 80, new Date().toISOString().slice(0, 7)],
    ]);
    for (const manager of [owner, admin]) {
      const { notifications, unread } = await notificationsOf(manager);
      expect(notifications).toHaveLength(1);
      expect(unread).toBe(1);
      expect(notifications[0]).toMatchObject({
        kind: "quota_alert",
        title: "Task runs per month: 80% of the quota used",
        link: `/w/${owner.workspace.slug}/usage`,
        readAt: null,
      });
      expect(notifications[0]!.body).toContain("8 of 10 this month");
    }
    for (const member of [editor, operator, viewer]) {
      expect(await notificationsOf(member)).toEqual({ notifications: [], unread: 0 });
    }
    const mails = await sink.waitFor(2);
    expect(mails.flatMap((m) => m.to).sort()).toEqual([admin.email, owner.email].sort());
    expect(mails[0]!.data).toContain("has used 8 of 10 this month.");
  });

  it("announces 100% once more, with concurrent checkers", async () => {
    await addTaskRuns(1); // 10 of 10
    await Promise.all(Array.from({ length: 6 }, () => checkQuotaAlerts([owner.workspace.id])));
    await checkQuotaAlerts([owner.workspace.id]);
    expect((await alerts()).map((a) => a.threshold)).toEqual([80, 100]);
    for (const manager of [owner, admin]) {
      const { notifications } = await notificationsOf(manager);
      expect(notifications.map((n) => n.title)).toEqual([
        "Task runs per month: limit reached",
        "Task runs per month: 80% of the quota used",
      ]);
    }
    expect(await db.notification.count({ where: { workspaceId: owner.workspace.id } })).toBe(4);
    expect(await sink.waitFor(4)).toHaveLength(4);
    expect((await notificationsOf(viewer)).notifications).toEqual([]);
  });

  it("announces a total quota when a DAG push reaches it", async () => {
    await db.workspace.update({ where: { id: owner.workspace.id }, data: { maxDags: 1 } });
    await owner.api.dags.push({
      workspace: owner.workspace.slug,
      document: { id: "only", tasks: [{ id: "t", operator: "noop" }] },
    });
    const titles = (await notificationsOf(admin)).notifications.map((n) => n.title);
    expect(titles[0]).toBe("DAGs: limit reached");
  });

  it("lets each member mark only their own notifications read", async () => {
    const workspace = owner.workspace.slug;
    const mine = (await notificationsOf(owner)).notifications;
    const theirs = (await notificationsOf(admin)).notifications;
    expect(await codeOf(admin.api.notifications.markRead({ workspace, notificationId: mine[0]!.id }))).toBe(
      "NOT_FOUND",
    );
    await owner.api.notifications.markRead({ workspace, notificationId: mine[0]!.id });
    await owner.api.notifications.markRead({ workspace, notificationId: mine[0]!.id }); // again: fine
    expect(await owner.api.notifications.unreadCount({ workspace })).toEqual({ unread: mine.length - 1 });
    expect(await admin.api.notifications.unreadCount({ workspace })).toEqual({ unread: theirs.length });

    expect(await admin.api.notifications.markAllRead({ workspace })).toEqual({ marked: theirs.length });
    expect(await admin.api.notifications.unreadCount({ workspace })).toEqual({ unread: 0 });
    expect(await owner.api.notifications.unreadCount({ workspace })).toEqual({ unread: mine.length - 1 });
    expect((await notificationsOf(owner)).notifications[0]!.readAt).toBeInstanceOf(Date);
  });

  it("refuses bad ids by field, and API tokens, which have no notifications", async () => {
    const workspace = owner.workspace.slug;
    await expect(
      owner.api.notifications.markRead({ workspace, notificationId: "nope" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("notificationId"),
    });
    const scope = await openWorkspace(owner.caller, workspace, "tokens:manage");
    const token = await createToken(scope, { name: "ci", role: "ADMIN" });
    const tokenCaller = apiAs({
      kind: "token",
      tokenId: token.id,
      creatorId: owner.user.id,
      workspaceId: owner.workspace.id,
      workspaceSlug: workspace,
      apiRateLimitPerMinute: 1200,
      role: "ADMIN",
      name: "ci",
    });
    expect(await codeOf(tokenCaller.notifications.list({ workspace }))).toBe("FORBIDDEN");
    expect(await tokenCaller.usage.summary({ workspace })).toMatchObject({ plan: { key: "free" } });

    // The REST spelling, with a Viewer token.
    const viewerToken = await createToken(scope, { name: "dashboard", role: "VIEWER" });
    const get = (path: string) => jsonCaller(viewerToken.token)("GET", path);
    const summary = await get("/usage");
    expect(summary.status).toBe(200);
    expect(summary.body.quotas.find((q: { key: string }) => q.key === "maxTaskRunsPerMonth")).toMatchObject({
      used: 10,
      limit: 10,
      level: "at",
    });
    const history = await get("/usage/history");
    expect(history.status).toBe(200);
    expect(history.body).toHaveLength(HISTORY_DAYS);
  });
});
