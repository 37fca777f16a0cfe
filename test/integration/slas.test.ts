// SLAs on real runs: checks scheduled at the deadlines as the run goes (created, started, a task
// ready, a task started), none left once a run succeeds in time, and a late run recording exactly
// one miss and sending exactly one notification per channel (a local SMTP sink and a local webhook
// receiver). A deadline "comes" by moving the run's start back and making its check due; the check
// itself, the miss, the alert and its delivery are the product's own path.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlertRule } from "@/server/alerts/rules";
import { createConnection } from "@/server/config/connections";
import type { DagDocument } from "@/server/dags/definition";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { generateKey } from "@/server/secrets/crypto";
import { dueAt, nextTimeOfDay } from "@/server/slas/plan";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { alertJobsDone, passDeadline, slaChecksOf } from "../support/alerts";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { sendJson, startTestServer, type TestServer } from "../support/http-server";
import { type SmtpSink, startSmtpSink } from "../support/smtp-sink";
import { until } from "../support/until";

process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let owner: Awaited<ReturnType<typeof createUser>>;
let scope: WorkspaceScope;
let server: TestServer;
let smtp: SmtpSink;
/** The run of "nightly", which missed its SLA. */
let lateRunId: string;

beforeAll(async () => {
  server = await startTestServer({ "/alerts": (_req, res) => sendJson(res, 200, { ok: true }) });
  smtp = await startSmtpSink();
  owner = await createUser("slas");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 20 });
  await createConnection(scope, {
    name: "mail",
    type: "smtp",
    config: { host: "127.0.0.1", port: smtp.port, from: "Baton <baton@example.com>" },
  });
  await createAlertRule(scope, {
    name: "SLA misses",
    kind: "sla_miss",
    channels: [
      { channel: "email", connection: "mail", to: ["oncall@example.com"] },
      { channel: "webhook", url: `${server.url}/alerts` },
    ],
    throttleMinutes: 60,
    enabled: true,
  });
  await startTestWorker(4);
});
afterAll(async () => {
  await stopTestWorker();
  await server.close();
  await smtp.close();
});

async function start(document: DagDocument) {
  await storeDag(scope, document);
  return (await triggerRun(scope, { dagKey: document.id })).id;
}

describe("SLA checks", () => {
  it("are scheduled at the deadlines, and none is left once the run succeeds in time", async () => {
    const runId = await start({
      id: "in_time",
      schedule: { type: "cron", cron: "0 6 * * *", timezone: "Europe/Paris" },
      sla: { finishBy: "23:59", maxDurationMinutes: 60, startWithinMinutes: 30 },
      tasks: [
        { id: "first", operator: "test", config: { durationMs: 1500 }, sla: { maxDurationMinutes: 10 } },
        {
          id: "second",
          operator: "test",
          dependsOn: ["first"],
          config: { durationMs: 1500 },
          sla: { startWithinMinutes: 5, finishBy: "23:58" },
        },
      ],
    });
    // The run's three checks, the first task's duration and the second task's finishBy; the second
    // task's start_within comes when it becomes ready.
    const run = await db.dagRun.findUniqueOrThrow({ where: { id: runId } });
    const checks = await until("the first task's check", async () => {
      const jobs = await slaChecksOf(runId);
      return jobs.some((job) => job.key?.endsWith(":task.first.max_duration")) && jobs;
    });
    const at = new Map(checks.map((job) => [job.key!.split(":")[2], job.runAt.getTime()]));
    expect([...at.keys()].filter((key) => key !== "task.second.start_within").sort()).toEqual([
      "dag.finish_by",
      "dag.max_duration",
      "dag.start_within",
      "task.first.max_duration",
      "task.second.finish_by",
    ]);
    await until("the second task's start check", async () =>
      (await slaChecksOf(runId)).some((job) => job.key?.endsWith(":task.second.start_within")),
    );
    const due = dueAt(run).getTime();
    expect(at.get("dag.finish_by")).toBe(nextTimeOfDay(new Date(due), "23:59", "Europe/Paris").getTime());
    expect(at.get("dag.start_within")! - due).toBeCloseTo(30 * 60_000, -3);
    expect(at.get("dag.max_duration")! - run.startedAt!.getTime()).toBeCloseTo(60 * 60_000, -3);

    const ended = await waitForRun(runId);
    expect(ended.state).toBe("success");
    expect(await slaChecksOf(runId)).toEqual([]);
    expect(await db.slaMiss.count({ where: { runId } })).toBe(0);
  });

  it("record exactly one miss and send exactly one notification per channel for a late run", async () => {
    const mailsBefore = smtp.messages.length;
    const hooksBefore = server.to("/alerts").length;
    const runId = await start({
      id: "nightly",
      sla: { maxDurationMinutes: 1 },
      tasks: [{ id: "load", operator: "test", config: { durationMs: 2500 } }],
    });
    lateRunId = runId;
    await until("the duration check", async () => (await slaChecksOf(runId)).length === 1);
    // The run has been going for 3 minutes when its check comes due: it is 2 minutes late.
    await passDeadline(runId, "dag.max_duration", { runStartedMinutesAgo: 3 });
    await until("the miss", async () => (await db.slaMiss.findFirst({ where: { runId } })) ?? undefined);
    const ended = await waitForRun(runId);
    expect(ended.state).toBe("success");
    await smtp.waitFor(mailsBefore + 1);
    await alertJobsDone();

    const misses = await db.slaMiss.findMany({ where: { runId } });
    expect(misses).toHaveLength(1);
    expect(misses[0]).toMatchObject({ kind: "max_duration", taskId: null, slaKey: "dag.max_duration" });
    expect(smtp.messages.slice(mailsBefore)).toHaveLength(1);
    const mail = smtp.messages.at(-1)!;
    expect(mail.to).toEqual(["oncall@example.com"]);
    expect(mail.data).toContain("nightly missed its SLA");
    expect(mail.data).toMatch(/succeed within 1 min of starting/);
    const hooks = server.to("/alerts").slice(hooksBefore);
    expect(hooks).toHaveLength(1);
    expect(JSON.parse(hooks[0]!.body)).toMatchObject({
      event: "alert.firing",
      alert: {
        type: "firing",
        rule: { name: "SLA misses", kind: "sla_miss" },
        dag: { id: "nightly" },
        runId,
        trigger: { slaMiss: { kind: "max_duration", taskId: null } },
      },
    });

    // Listed with how late: the run succeeded about two minutes after its deadline.
    const listed = await owner.api.slas.misses({ workspace: owner.workspace.slug, dagId: "nightly" });
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({ runId, kind: "max_duration", state: "success" });
    expect(listed.items[0]!.metAt).toEqual(ended.endedAt);
    expect(listed.items[0]!.lateSeconds).toBeGreaterThanOrEqual(115);
    expect(listed.items[0]!.lateSeconds).toBeLessThan(300);
    const alerts = await owner.api.alerts.list({ workspace: owner.workspace.slug, dagId: "nightly" });
    expect(alerts.items.map((a) => [a.type, a.state, a.deliveries.map((d) => d.state)])).toEqual([
      ["firing", "sent", ["sent", "sent"]],
    ]);
    // Checking again (a repeated job) records nothing more.
    const { checkSla } = await import("@/server/slas/check");
    await checkSla({ runId, workspaceId: scope.workspace.id, sla: "dag.max_duration" });
    expect(await db.slaMiss.count({ where: { runId } })).toBe(1);
  });

  it("keep a failed run's checks: not succeeding by the deadline is a miss", async () => {
    const runId = await start({
      id: "breaks",
      sla: { maxDurationMinutes: 5 },
      tasks: [{ id: "t", operator: "test", config: { outcome: "fail" } }],
    });
    expect((await waitForRun(runId)).state).toBe("failed");
    expect(await slaChecksOf(runId)).toHaveLength(1);
    await passDeadline(runId, "dag.max_duration", { runStartedMinutesAgo: 6 });
    const miss = await until(
      "the miss",
      async () => (await db.slaMiss.findFirst({ where: { runId } })) ?? undefined,
    );
    expect(miss.kind).toBe("max_duration");
    const [listed] = (await owner.api.slas.misses({ workspace: owner.workspace.slug, runId })).items;
    expect(listed).toMatchObject({ state: "failed", metAt: null });
  });

  it("check a task's duration from its start, and say which task missed", async () => {
    const runId = await start({
      id: "slow_task",
      tasks: [
        { id: "crunch", operator: "test", config: { durationMs: 2500 }, sla: { maxDurationMinutes: 2 } },
      ],
    });
    await until("the task's check", async () => (await slaChecksOf(runId)).length === 1);
    await passDeadline(runId, "task.crunch.max_duration", {
      taskStartedMinutesAgo: { taskId: "crunch", minutes: 3 },
    });
    const miss = await until(
      "the miss",
      async () => (await db.slaMiss.findFirst({ where: { runId } })) ?? undefined,
    );
    expect(miss).toMatchObject({ taskId: "crunch", kind: "max_duration" });
    expect((await waitForRun(runId)).state).toBe("success");
    expect(await slaChecksOf(runId)).toEqual([]);
    const listed = await owner.api.slas.misses({ workspace: owner.workspace.slug });
    expect(listed.items.find((m) => m.runId === runId)).toMatchObject({ taskId: "crunch", state: "success" });
  });

  it("are counted on the runs, for the runs grid and the run page", async () => {
    const inTime = await start({
      id: "grid",
      sla: { startWithinMinutes: 1 },
      tasks: [{ id: "t", operator: "noop" }],
    });
    await waitForRun(inTime);
    const listed = await owner.api.runs.list({ workspace: owner.workspace.slug });
    const counts = new Map(listed.items.map((r) => [r.id, r.slaMisses]));
    expect([counts.get(inTime), counts.get(lateRunId)]).toEqual([0, 1]);
    const late = await owner.api.runs.get({ workspace: owner.workspace.slug, runId: lateRunId });
    expect(late.slaMisses).toBe(1);
  });
});

describe("SLAs in the DAG document", () => {
  it("are refused with the field and the problem named", async () => {
    const result = await owner.api.dags
      .validate({
        workspace: owner.workspace.slug,
        document: {
          id: "bad_sla",
          sla: { finishBy: "25:00", maxDurationMinutes: 0 },
          tasks: [{ id: "t", operator: "noop", sla: {} }],
        },
      })
      .catch((error: { data?: { problems?: unknown } }) => error.data?.problems);
    expect(JSON.stringify(result)).toContain("sla.finishBy");
    expect(JSON.stringify(result)).toContain("sla.maxDurationMinutes");
    expect(JSON.stringify(result)).toContain("name at least one deadline");
  });
});
