// Operating plans and retention from the console: an archived plan is offered to no workspace
// (those on it keep it), "Run retention now" applies one workspace's retention at once and no
// other's, audited in both logs, and operator alerts list tenants at or near a quota and tenants
// whose webhooks keep failing.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemsOf } from "@/server/api/trpc";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { type Quotas, quotasOf } from "@/server/quotas/catalog";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { flushUsage, meter } from "@/server/usage/meter";
import { createWebhook } from "@/server/webhooks/endpoints";
import { baton } from "../support/cli";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { codeOf, createUser } from "../support/factories";

type Person = Awaited<ReturnType<typeof createUser>>;
let admin: Person;
let freeQuotas: Quotas;

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS ??= `1:${generateKey()}`;
  admin = await createUser("admin");
  freeQuotas = quotasOf(await db.plan.findUniqueOrThrow({ where: { key: "free" } }));
  const granted = await baton(["admin", "grant", admin.email]);
  expect(granted, granted.stderr).toMatchObject({ code: 0 });
  await startTestWorker();
});

afterAll(async () => {
  await stopTestWorker();
});

describe("plan archive", () => {
  it("offers an archived plan to no workspace, keeps those on it, and can bring it back", async () => {
    const key = `legacy-${Date.now().toString(36)}`;
    await admin.api.platform.createPlan({
      key,
      name: "Legacy",
      description: "",
      overQuotaPolicy: "refuse",
      quotas: { ...freeQuotas, maxDags: 77 },
    });
    const onIt = await createUser("legacy-customer");
    const newcomer = await createUser("newcomer");
    await admin.api.platform.changePlan({ workspace: onIt.workspace.slug, planKey: key });

    const archived = await admin.api.platform.archivePlan({ key, archived: true });
    expect(archived.archivedAt).not.toBeNull();
    // Those on it keep it and its quotas.
    expect(await admin.api.platform.workspace({ workspace: onIt.workspace.slug })).toMatchObject({
      plan: { key },
      effective: { maxDags: 77 },
    });
    // No one else is moved onto it: refused, naming the field.
    const refused = await admin.api.platform
      .changePlan({ workspace: newcomer.workspace.slug, planKey: key })
      .catch((e) => e);
    expect(refused.code).toBe("BAD_REQUEST");
    expect(problemsOf(refused)).toEqual([{ path: "planKey", message: expect.stringContaining("archived") }]);
    expect((await db.workspace.findUniqueOrThrow({ where: { id: newcomer.workspace.id } })).planKey).toBe(
      "free",
    );
    // Archiving twice records nothing more.
    await admin.api.platform.archivePlan({ key, archived: true });

    await admin.api.platform.archivePlan({ key, archived: false });
    await admin.api.platform.changePlan({ workspace: newcomer.workspace.slug, planKey: key });
    const events = await db.auditEvent.findMany({
      where: { workspaceId: null, target: key, action: { startsWith: "platform.plan.a" } },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => [e.action, e.actorLabel, e.metadata])).toEqual([
      ["platform.plan.archive", admin.email, { workspaces: 1 }],
    ]);
    const unarchived = await db.auditEvent.count({
      where: { workspaceId: null, target: key, action: "platform.plan.unarchive" },
    });
    expect(unarchived).toBe(1);
  });

  it("refuses to archive the plan new workspaces start on, or a plan that does not exist", async () => {
    const refused = await admin.api.platform.archivePlan({ key: "free", archived: true }).catch((e) => e);
    expect(refused.code).toBe("CONFLICT");
    expect(problemsOf(refused).map((p) => p.path)).toEqual(["key"]);
    expect((await db.plan.findUniqueOrThrow({ where: { key: "free" } })).archivedAt).toBeNull();
    expect(await codeOf(admin.api.platform.archivePlan({ key: "no-such-plan", archived: true }))).toBe(
      "NOT_FOUND",
    );
  });
});

const dag = { id: "work", tasks: [{ id: "t", operator: "test", config: { output: { ok: true } } }] };

describe("run retention now", () => {
  async function oldRun(scope: WorkspaceScope) {
    const { id } = await triggerRun(scope, { dagKey: dag.id });
    expect((await waitForRun(id)).state).toBe("success");
    await db.dagRun.update({ where: { id }, data: { endedAt: new Date(Date.now() - 5 * 86_400_000) } });
    return id;
  }

  it("deletes what is past the workspace's retention at once, in that workspace only, audited", async () => {
    const target = await createUser("retained");
    const bystander = await createUser("bystander");
    const scopes = [await workspaceScope(target.workspace.id), await workspaceScope(bystander.workspace.id)];
    for (const scope of scopes) {
      await db.workspace.update({
        where: { id: scope.workspace.id },
        data: { runRetentionDays: 2, logRetentionDays: 1 },
      });
      await storeDag(scope, dag);
    }
    const [gone, kept] = [await oldRun(scopes[0]!), await oldRun(scopes[1]!)];
    const fresh = (await triggerRun(scopes[0]!, { dagKey: dag.id })).id;
    expect((await waitForRun(fresh)).state).toBe("success");

    const removed = await admin.api.platform.runRetention({ workspace: target.workspace.slug });
    expect(removed).toMatchObject({ runs: 1, taskInstances: 1, logRuns: 1, deliveries: 0 });
    expect(await db.dagRun.findUnique({ where: { id: gone } })).toBeNull();
    expect(await db.dagRun.findUnique({ where: { id: fresh } })).not.toBeNull();
    // Another workspace's old run waits for the hourly job.
    expect(await db.dagRun.findUnique({ where: { id: kept } })).not.toBeNull();

    const events = await db.auditEvent.findMany({
      where: { target: target.workspace.slug, action: "platform.workspace.retention" },
      orderBy: { workspaceId: "asc" },
    });
    expect(events.map((e) => [e.workspaceId, e.actorLabel])).toEqual(
      expect.arrayContaining([
        [target.workspace.id, "Platform administrator"],
        [null, admin.email],
      ]),
    );
    expect(events[0]!.metadata).toMatchObject({ runs: 1 });
    expect(await codeOf(admin.api.platform.runRetention({ workspace: "no-such-workspace" }))).toBe(
      "NOT_FOUND",
    );
  });
});

describe("operator alerts", () => {
  async function failedDeliveries(scope: WorkspaceScope, endpointId: string, results: string[]) {
    await db.webhookDelivery.createMany({
      data: results.map((result) => ({
        id: randomUUID(),
        workspaceId: scope.workspace.id,
        endpointId,
        body: "{}",
        statusCode: result === "accepted" ? 202 : 401,
        result,
      })),
    });
  }

  it("lists tenants at or near a quota, and tenants whose webhooks keep failing", async () => {
    const full = await createUser("full");
    const near = await createUser("near");
    const calm = await createUser("calm");
    for (const person of [full, near, calm])
      await db.workspace.update({ where: { id: person.workspace.id }, data: { maxTaskRunsPerMonth: 10 } });
    meter(full.workspace.id, { taskRuns: 10 });
    meter(near.workspace.id, { taskRuns: 8 });
    meter(calm.workspace.id, { taskRuns: 7 });
    await flushUsage();

    const broken = await workspaceScope(full.workspace.id);
    const flaky = await workspaceScope(calm.workspace.id);
    for (const scope of [broken, flaky]) await storeDag(scope, dag);
    const brokenHook = await createWebhook(broken, {
      dagId: dag.id,
      name: "hook",
      authMode: "token",
      baseUrl: "http://x",
    });
    const flakyHook = await createWebhook(flaky, {
      dagId: dag.id,
      name: "hook",
      authMode: "token",
      baseUrl: "http://x",
    });
    // 12 of 14 refused: listed. 3 of 23: a few bad requests, not a broken integration.
    await failedDeliveries(broken, brokenHook.id, [
      ...Array(11).fill("unauthorized"),
      "invalid",
      "accepted",
      "accepted",
    ]);
    await failedDeliveries(flaky, flakyHook.id, [
      ...Array(3).fill("unauthorized"),
      ...Array(20).fill("accepted"),
    ]);

    const alerts = await admin.api.platform.alerts();
    const runsAlerts = alerts.quotas.filter(
      (a) =>
        a.quota === "maxTaskRunsPerMonth" && [full, near, calm].some((p) => p.workspace.id === a.workspaceId),
    );
    expect(runsAlerts).toEqual([
      expect.objectContaining({ slug: full.workspace.slug, used: 10, limit: 10, level: "reached" }),
      expect.objectContaining({ slug: near.workspace.slug, used: 8, limit: 10, level: "near" }),
    ]);
    expect(alerts.webhooks.filter((w) => [full, calm].some((p) => p.workspace.id === w.workspaceId))).toEqual(
      [
        expect.objectContaining({
          slug: full.workspace.slug,
          failed: 12,
          total: 14,
          results: { unauthorized: 11, invalid: 1 },
        }),
      ],
    );
    // Not for tenants: their own API refuses them (platform.test.ts checks every procedure).
    expect(await codeOf(full.api.platform.alerts())).toBe("FORBIDDEN");
  });
});
