// Alert rules on real runs, with a local webhook receiver: N consecutive failures alert once and a
// success sends "resolved"; a hundred runs failing at once send one message (the incident counts
// them); muting records without sending; in-app notifications reach members; tasks running longer
// than usual and webhook endpoints refusing deliveries fire and resolve; rules are checked when
// saved; the REST API lists rules and alerts.

import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkWorkspaceAlerts } from "@/server/alerts/evaluate";
import { createAlertRule } from "@/server/alerts/rules";
import { sweepAlertRules } from "@/server/alerts/sweep";
import { problemsOf } from "@/server/api/trpc";
import { unwrap } from "@/server/client";
import { createConnection } from "@/server/config/connections";
import type { DagDocument } from "@/server/dags/definition";
import { pushDag } from "@/server/dags/service";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { generateKey } from "@/server/secrets/crypto";
import { openWorkspace, type WorkspaceScope } from "@/server/tenancy/door";
import { createToken } from "@/server/tokens/service";
import { createWebhook } from "@/server/webhooks/endpoints";
import { receiveWebhook } from "@/server/webhooks/receive";
import { alertJobsDone, queuedJobs } from "../support/alerts";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { codeOf, createUser } from "../support/factories";
import { sendJson, startTestServer, type TestServer } from "../support/http-server";
import { restClient } from "../support/rest";
import { until } from "../support/until";

process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let owner: Awaited<ReturnType<typeof createUser>>;
let scope: WorkspaceScope;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    "/hook": (_req, res) => sendJson(res, 200, { ok: true }),
    "/storm": (_req, res) => sendJson(res, 200, { ok: true }),
  });
  owner = await createUser("alerts");
  await db.workspace.update({
    where: { id: owner.workspace.id },
    data: { maxConcurrentTasks: 50, maxConcurrentRuns: 50 },
  });
  scope = await openWorkspace(owner.caller, owner.workspace.slug, "tokens:manage");
  await startTestWorker(8);
});
afterAll(async () => {
  await stopTestWorker();
  await server.close();
});

const push = (document: DagDocument) => pushDag(scope, { document });
const failing = (id: string): DagDocument => ({
  id,
  maxActiveRuns: 100,
  tasks: [{ id: "load", operator: "test", config: { outcome: "fail" } }],
});
const passing = (id: string): DagDocument => ({
  id,
  maxActiveRuns: 100,
  tasks: [{ id: "load", operator: "test" }],
});

async function run(dagKey: string) {
  return waitForRun((await triggerRun(scope, { dagKey })).id);
}

const webhook = (path: string) => ({ channel: "webhook" as const, url: `${server.url}${path}` });
const bodies = (path: string) =>
  server.to(path).map((r) => JSON.parse(r.body) as { event: string; alert: Record<string, unknown> });

describe("consecutive failures", () => {
  it("alert once when the streak reaches N, and send resolved on the next success", async () => {
    await push(failing("flaky"));
    const rule = await createAlertRule(scope, {
      name: "flaky keeps failing",
      kind: "consecutive_failures",
      dagId: "flaky",
      settings: { count: 3 },
      channels: [webhook("/hook")],
      throttleMinutes: 60,
      enabled: true,
    });
    const flaky = () => bodies("/hook").filter((b) => (b.alert.dag as { id: string } | null)?.id === "flaky");

    for (let i = 0; i < 2; i++) expect((await run("flaky")).state).toBe("failed");
    await alertJobsDone();
    expect(flaky()).toEqual([]);

    const third = await run("flaky");
    await until("the firing", () => flaky().length === 1);
    for (let i = 0; i < 2; i++) await run("flaky");
    await alertJobsDone();
    expect(flaky().map((b) => b.event)).toEqual(["alert.firing"]);
    expect(flaky()[0]!.alert).toMatchObject({
      type: "firing",
      runId: third.id,
      title: "[Baton] flaky failed 3 times in a row",
      trigger: { failedTasks: [{ taskId: "load" }] },
    });
    expect((flaky()[0]!.alert.trigger as { failedRuns: string[] }).failedRuns).toHaveLength(3);

    await push(passing("flaky"));
    const fixed = await run("flaky");
    expect(fixed.state).toBe("success");
    await until("the resolution", () => flaky().length === 2);
    await alertJobsDone();
    expect(flaky().map((b) => b.event)).toEqual(["alert.firing", "alert.resolved"]);
    expect(flaky()[1]!.alert).toMatchObject({ type: "resolved", runId: fixed.id });

    const incidents = await db.alertIncident.findMany({ where: { ruleId: rule.id } });
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ events: 3, notified: true, resolvedAt: expect.any(Date) });
    const listed = await owner.api.alerts.list({ workspace: owner.workspace.slug, ruleId: rule.id });
    expect(listed.items.map((a) => [a.type, a.state])).toEqual([
      ["resolved", "sent"],
      ["firing", "sent"],
    ]);
  });
});

describe("throttling", () => {
  it("sends one message for a hundred runs failing at once, and counts them", async () => {
    await push(failing("storm"));
    const rule = await createAlertRule(scope, {
      name: "storm fails",
      kind: "run_failed",
      dagId: "storm",
      channels: [webhook("/storm")],
      throttleMinutes: 60,
      enabled: true,
    });
    const ids = await Promise.all(
      Array.from({ length: 100 }, async () => (await triggerRun(scope, { dagKey: "storm" })).id),
    );
    await until(
      "the hundred runs to end",
      async () => (await db.dagRun.count({ where: { id: { in: ids }, state: "failed" } })) === 100,
      120_000,
    );
    await until("the hundred events", async () => {
      const incident = await db.alertIncident.findFirst({ where: { ruleId: rule.id } });
      return incident?.events === 100;
    });
    await alertJobsDone(60_000);
    expect(server.to("/storm")).toHaveLength(1);
    expect(await db.alert.count({ where: { ruleId: rule.id } })).toBe(1);
    expect(await db.alertIncident.count({ where: { ruleId: rule.id } })).toBe(1);
  });
});

describe("muting", () => {
  it("records what a muted rule would send without sending it, until unmuted", async () => {
    await push(failing("quiet"));
    const rule = await createAlertRule(scope, {
      name: "quiet fails",
      kind: "run_failed",
      dagId: "quiet",
      channels: [webhook("/hook")],
      throttleMinutes: 1,
      enabled: true,
    });
    const before = server.to("/hook").length;
    const muted = await owner.api.alerts.mute({
      workspace: owner.workspace.slug,
      ruleId: rule.id,
      minutes: 30,
    });
    expect(muted.muted).toBe(true);
    await run("quiet");
    await until("the muted alert", async () => (await db.alert.count({ where: { ruleId: rule.id } })) === 1);
    await alertJobsDone();
    expect(server.to("/hook").length).toBe(before);
    const [alert] = (await owner.api.alerts.list({ workspace: owner.workspace.slug, ruleId: rule.id })).items;
    expect(alert).toMatchObject({ type: "firing", state: "muted", deliveries: [{ state: "muted" }] });

    // Unmuted: the next failure is sent (the muted message does not count for the throttle).
    await owner.api.alerts.unmute({ workspace: owner.workspace.slug, ruleId: rule.id });
    await run("quiet");
    await until("the sent alert", () => server.to("/hook").length === before + 1);
  });
});

describe("in-app", () => {
  it("notifies the members of the roles named", async () => {
    await push(failing("inapp"));
    await createAlertRule(scope, {
      name: "inapp fails",
      kind: "run_failed",
      dagId: "inapp",
      channels: [{ channel: "in_app", roles: ["OWNER"] }],
      throttleMinutes: 60,
      enabled: true,
    });
    const failed = await run("inapp");
    const notification = await until(
      "the notification",
      async () =>
        (await db.notification.findFirst({ where: { userId: owner.user.id, kind: "alert" } })) ?? undefined,
    );
    expect(notification).toMatchObject({
      title: "inapp failed",
      link: `/w/${owner.workspace.slug}/runs/${failed.id}`,
    });
    expect(notification.body).toContain("- load: The test task failed");
  });
});

describe("the minute's check", () => {
  it("alerts on a task running longer than usual, and resolves when it ends", async () => {
    await push({ id: "usual", tasks: [{ id: "work", operator: "test" }] });
    for (let i = 0; i < 3; i++) await run("usual");
    const rule = await createAlertRule(scope, {
      name: "slow work",
      kind: "task_long_running",
      settings: { factor: 2, minSamples: 3 },
      channels: [webhook("/hook")],
      throttleMinutes: 60,
      enabled: true,
    });
    await push({ id: "usual", tasks: [{ id: "work", operator: "test", config: { durationMs: 3000 } }] });
    const slow = await triggerRun(scope, { dagKey: "usual" });
    await until("the task to run", async () =>
      Boolean(await db.taskInstance.findFirst({ where: { runId: slow.id, state: "running" } })),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await checkWorkspaceAlerts(scope);
    const [firing] = await db.alert.findMany({ where: { ruleId: rule.id } });
    expect(firing).toMatchObject({ type: "firing", runId: slow.id, dagKey: "usual" });
    expect(firing!.title).toBe("[Baton] usual: task work is running longer than usual");
    expect(firing!.trigger).toMatchObject({
      factor: 2,
      tasks: [{ taskId: "work", runId: slow.id, samples: 3 }],
    });

    await checkWorkspaceAlerts(scope); // still running: counted, not sent again
    expect(await db.alert.count({ where: { ruleId: rule.id } })).toBe(1);
    await waitForRun(slow.id);
    await checkWorkspaceAlerts(scope);
    const types = (
      await db.alert.findMany({ where: { ruleId: rule.id }, orderBy: { createdAt: "asc" } })
    ).map((a) => a.type);
    expect(types).toEqual(["firing", "resolved"]);
  });

  it("alerts on a webhook endpoint refusing deliveries, and resolves when one is accepted", async () => {
    await push(passing("hooked"));
    const endpoint = await createWebhook(scope, {
      dagId: "hooked",
      name: "ci",
      authMode: "token",
      baseUrl: "http://x",
    });
    const rule = await createAlertRule(scope, {
      name: "refusals",
      kind: "webhook_refusing",
      dagId: "hooked",
      settings: { refusals: 3, windowMinutes: 10 },
      channels: [webhook("/hook")],
      throttleMinutes: 60,
      enabled: true,
    });
    const deliver = (token: string) =>
      receiveWebhook(
        new Request(`http://x/api/hooks/${endpoint.id}`, {
          method: "POST",
          headers: { "x-baton-token": token, "content-type": "application/json" },
          body: "{}",
        }),
        endpoint.id,
      );
    for (let i = 0; i < 2; i++) expect((await deliver("wrong")).status).toBe(401);
    await checkWorkspaceAlerts(scope);
    expect(await db.alert.count({ where: { ruleId: rule.id } })).toBe(0);
    expect((await deliver("wrong")).status).toBe(401);
    await checkWorkspaceAlerts(scope);
    const [firing] = await db.alert.findMany({ where: { ruleId: rule.id } });
    expect(firing).toMatchObject({ type: "firing", dagKey: "hooked" });
    expect(firing!.title).toBe("[Baton] Webhook ci of hooked is refusing deliveries");
    expect(firing!.trigger).toMatchObject({ refused: 3, latest: { status: 401, result: "unauthorized" } });

    expect((await deliver(endpoint.secret!)).status).toBe(202);
    await checkWorkspaceAlerts(scope);
    expect((await db.alert.findMany({ where: { ruleId: rule.id } })).map((a) => a.type).sort()).toEqual([
      "firing",
      "resolved",
    ]);
    // The sweep queues the check of every workspace with such rules.
    await sweepAlertRules();
    expect((await queuedJobs(["alerts:check"])).map((j) => j.payload.workspaceId)).toContain(
      scope.workspace.id,
    );
  });
});

describe("rules", () => {
  it("are checked when saved: the fields at fault are named", async () => {
    const base = { workspace: owner.workspace.slug, name: "x", kind: "run_failed" as const };
    const problems = async (promise: Promise<unknown>) =>
      promise.then(
        () => [],
        (error: TRPCError) => problemsOf(error).map((p) => p.path),
      );
    await createConnection(scope, {
      name: "chat",
      type: "slack",
      config: { webhookUrl: "https://hooks.example.com/x" },
    });
    expect(
      await problems(
        owner.api.alerts.createRule({
          ...base,
          channels: [
            { channel: "email", to: ["a@example.com"], connection: "chat" },
            { channel: "slack", connection: "nope" },
          ],
        }),
      ),
    ).toEqual(["channels.0.connection", "channels.1.connection"]);
    expect(
      await problems(
        owner.api.alerts.createRule({ ...base, settings: { count: 3 }, channels: [webhook("/hook")] }),
      ),
    ).toEqual(["settings.count"]);
    expect(
      await problems(
        owner.api.alerts.createRule({ ...base, dagId: "missing", channels: [webhook("/hook")] }),
      ),
    ).toEqual(["dagId"]);
    expect(await problems(owner.api.alerts.createRule({ ...base, channels: [] }))).toEqual(["channels"]);
  });

  it("are limited by the plan's maxAlertRules", async () => {
    const other = await createUser("alerts-quota");
    await db.workspace.update({ where: { id: other.workspace.id }, data: { maxAlertRules: 1 } });
    const create = (name: string) =>
      other.api.alerts.createRule({
        workspace: other.workspace.slug,
        name,
        kind: "run_failed",
        channels: [{ channel: "in_app" }],
      });
    await create("one");
    await expect(create("two")).rejects.toThrow(
      /1 of 1 alert rules allowed by its plan \(quota maxAlertRules\)/,
    );
    expect(await codeOf(create("one"))).toBe("CONFLICT");
  });

  it("are managed over REST, and the alerts they sent listed", async () => {
    const { token } = await createToken(scope, { name: "alerts", role: "EDITOR" });
    const api = restClient(token);
    const created = await unwrap(
      api.POST("/alert-rules", {
        body: {
          name: "rest rule",
          kind: "consecutive_failures",
          settings: { count: 5 },
          channels: [{ channel: "in_app" }],
          throttleMinutes: 30,
        },
      }),
    );
    expect(created).toMatchObject({ dagId: null, settings: { count: 5 }, muted: false, enabled: true });
    const muted = await unwrap(
      api.PUT("/alert-rules/{ruleId}/mute", {
        params: { path: { ruleId: created.id } },
        body: { minutes: 15 },
      }),
    );
    expect(muted.muted).toBe(true);
    const changed = await unwrap(
      api.PATCH("/alert-rules/{ruleId}", {
        params: { path: { ruleId: created.id } },
        body: { enabled: false },
      }),
    );
    expect(changed).toMatchObject({ enabled: false, muted: true });
    const rules = await unwrap(api.GET("/alert-rules"));
    expect(rules.items.map((r) => r.name)).toContain("rest rule");
    const alerts = await unwrap(api.GET("/alerts", { params: { query: { dagId: "flaky" } } }));
    expect(alerts.items.map((a) => a.type)).toEqual(["resolved", "firing"]);
    await unwrap(api.DELETE("/alert-rules/{ruleId}", { params: { path: { ruleId: created.id } } }));
    expect(
      (await api.GET("/alert-rules/{ruleId}", { params: { path: { ruleId: created.id } } })).response.status,
    ).toBe(404);
  });
});
