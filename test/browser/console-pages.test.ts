// The console pages platform.test.ts does not walk, in a real Chromium: Users (disable, enable,
// reset link, sessions), the installation's Audit log (filter, search), Alerts (a tenant at a
// limit, failing webhooks), a workspace's Activity (live figures, charts) and Data (export, erase).
// One administrator, signed in once; each test sets up its own tenant.
import { randomUUID } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { generateKey } from "@/server/secrets/crypto";
import { flushUsage, meter } from "@/server/usage/meter";
import { createWebhook } from "@/server/webhooks/endpoints";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { baton } from "../support/cli";
import { storeDag, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

let app: App;
let browser: Browser;
let admin: Awaited<ReturnType<typeof createUser>>;
let boss: Awaited<ReturnType<typeof newPerson>>;
let page: Page;
/** Requests the tests make fail on purpose; any other console error fails the file. */
const expectedErrors: RegExp[] = [];

const dag = { id: "work", tasks: [{ id: "t", operator: "test", config: { output: { ok: true } } }] };

beforeAll(async () => {
  // Shared by this process (webhook secrets) and the app it starts.
  process.env.BATON_MASTER_KEYS ??= `1:${generateKey()}`;
  admin = await createUser("admin");
  const granted = await baton(["admin", "grant", admin.email]);
  expect(granted, granted.stderr).toMatchObject({ code: 0 });
  app = await startApp();
  browser = await launchBrowser();
  boss = await newPerson(browser, app);
  page = boss.page;
  await page.setViewportSize({ width: 1440, height: 960 });
  await signIn(page, admin);
});

afterAll(async () => {
  const unexpected = boss?.consoleErrors.filter((e) => !expectedErrors.some((pattern) => pattern.test(e)));
  await browser?.close();
  await app?.stop();
  expect(unexpected ?? []).toEqual([]);
});

it("Users: an administrator finds an account, disables it with a reason, enables it, hands over a reset link", async () => {
  const tenant = await createUser("disable-me");
  await page.goto("/admin/users");
  await page.getByLabel("Search").fill(tenant.email);
  const row = page.getByRole("table", { name: "Users" }).getByRole("row").filter({ hasText: tenant.email });
  await expect
    .poll(() => page.getByRole("table", { name: "Users" }).getByRole("row").count(), { timeout: 30_000 })
    .toBe(2);

  await row.getByRole("button", { name: "Disable" }).click();
  const disable = page.getByRole("dialog", { name: `Disable ${tenant.email}?` });
  // No reason, no disabling.
  expect(await disable.getByRole("button", { name: "Disable" }).isDisabled()).toBe(true);
  await disable.getByLabel("Reason (kept in the audit log)").fill("Chargeback");
  await disable.getByRole("button", { name: "Disable" }).click();
  await row.getByRole("button", { name: "Enable" }).waitFor();
  expect((await db.user.findUniqueOrThrow({ where: { id: tenant.user.id } })).disabledAt).not.toBeNull();
  await screenshot(page, "console-users-disabled");

  await row.getByRole("button", { name: "Enable" }).click();
  await page
    .getByRole("dialog", { name: `Enable ${tenant.email}?` })
    .getByRole("button", { name: "Enable" })
    .click();
  await row.getByRole("button", { name: "Disable" }).waitFor();
  expect((await db.user.findUniqueOrThrow({ where: { id: tenant.user.id } })).disabledAt).toBeNull();

  await row.getByRole("button", { name: "Reset password" }).click();
  await page
    .getByRole("dialog", { name: `Reset the password of ${tenant.email}?` })
    .getByRole("button", { name: "Make a reset link" })
    .click();
  await page.getByText(`Password reset link for ${tenant.email}`).waitFor();
  expect(await page.getByLabel("Reset link").inputValue()).toMatch(/\/reset-password/);

  await row.getByRole("button", { name: "Revoke sessions" }).click();
  await page
    .getByRole("dialog", { name: `End every session of ${tenant.email}?` })
    .getByRole("button", { name: "End sessions" })
    .click();
  await expect
    .poll(
      () =>
        db.auditEvent.count({
          where: { workspaceId: null, action: "platform.user.revoke_sessions", target: tenant.email },
        }),
      { timeout: 30_000 },
    )
    .toBe(1);
  await screenshot(page, "console-users");
});

it("Audit: the installation's log shows the administrator's actions, narrowed by kind and search", async () => {
  const tenant = await createUser("audited");
  await admin.api.platform.disableUser({ userId: tenant.user.id, reason: "Abuse report 42" });
  await page.goto("/admin/audit");
  const log = page.getByRole("table", { name: "Installation audit log" });
  await log.waitFor();
  await page.getByLabel("Events").selectOption("platform.user.");
  await page.getByLabel("Search").fill(tenant.email);
  const rows = log.getByRole("row");
  // The header and the one event on that account.
  await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
  const row = rows.filter({ hasText: tenant.email });
  expect(await row.getByText("platform.user.disable").isVisible()).toBe(true);
  expect(await row.getByText(admin.email).isVisible()).toBe(true);
  await screenshot(page, "console-audit");

  // Another kind of event: nothing on that account.
  await page.getByLabel("Events").selectOption("platform.plan.");
  await page.getByText("No events match").waitFor();
});

it("Alerts: a tenant at its member quota and a tenant whose webhooks keep failing are listed", async () => {
  const full = await createUser("at-limit");
  const broken = await createUser("broken-hooks");
  // Effective quotas live on the workspace row: one member of one.
  await db.workspace.update({ where: { id: full.workspace.id }, data: { maxMembers: 1 } });
  const scope = await workspaceScope(broken.workspace.id);
  await storeDag(scope, dag);
  const hook = await createWebhook(scope, {
    dagId: dag.id,
    name: "hook",
    authMode: "token",
    baseUrl: "http://x",
  });
  await db.webhookDelivery.createMany({
    data: [...Array(11).fill("unauthorized"), "accepted"].map((result) => ({
      id: randomUUID(),
      workspaceId: broken.workspace.id,
      endpointId: hook.id,
      body: "{}",
      statusCode: result === "accepted" ? 202 : 401,
      result,
    })),
  });

  await page.goto("/admin/alerts");
  const limits = page.getByRole("table", { name: "Tenants at a limit" });
  const fullRow = limits
    .getByRole("row")
    .filter({ hasText: full.workspace.name })
    .filter({ hasText: "maxMembers" });
  await fullRow.getByText("Reached").waitFor();
  expect(await fullRow.getByText("1 of 1").isVisible()).toBe(true);

  const hooks = page.getByRole("table", { name: "Failing webhooks" });
  const hookRow = hooks.getByRole("row").filter({ hasText: broken.workspace.name });
  await hookRow.getByText("11 of 12").waitFor();
  expect(await hookRow.getByText("unauthorized 11").isVisible()).toBe(true);
  await screenshot(page, "console-alerts");

  // The workspace link leads to its console page.
  await hookRow.getByRole("link", { name: broken.workspace.name }).click();
  await page.waitForURL(new RegExp(`/admin/workspaces/${broken.workspace.slug}$`));
});

it("Activity: a workspace's live figures and its last 30 days", async () => {
  const busy = await createUser("busy");
  meter(busy.workspace.id, { taskRuns: 7, runs: 3 });
  await flushUsage();
  const scope = await workspaceScope(busy.workspace.id);
  await storeDag(scope, dag);
  // A queued run (no worker serves this app's database): the live figures count it.
  await db.dagRun.create({
    data: {
      workspaceId: busy.workspace.id,
      dagId: (await scope.db.dag.findFirstOrThrow({ where: { key: dag.id } })).id,
      dagVersionId: (await db.dagVersion.findFirstOrThrow({ where: { workspaceId: busy.workspace.id } })).id,
      runKey: "manual-1",
      state: "queued",
      triggeredBy: "manual",
      logicalDate: new Date(),
    },
  });

  await page.goto(`/admin/workspaces/${busy.workspace.slug}`);
  const queuedRuns = page
    .locator("div")
    .filter({ has: page.locator("dt", { hasText: /^Queued runs$/ }) })
    .last();
  await expect.poll(() => queuedRuns.locator("dd").textContent(), { timeout: 30_000 }).toBe("1");
  const chart = page.locator("figure").filter({ hasText: "Task runs" }).first();
  await chart.waitFor();
  expect(await chart.textContent()).toContain("7");
  for (const title of ["Task-seconds", "Runs started", "Storage"]) {
    expect(await page.locator("figure").filter({ hasText: title }).count()).toBeGreaterThan(0);
  }
  await screenshot(page, "console-activity");
});

it("Data: an administrator downloads a workspace's archive, then erases it after typing its name", async () => {
  const leaving = await createUser("leaving");
  await storeDag(await workspaceScope(leaving.workspace.id), dag);
  await page.goto(`/admin/workspaces/${leaving.workspace.slug}`);

  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: 60_000 }),
    page.getByRole("button", { name: "Export data" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^${leaving.workspace.slug}.*\\.zip$`));
  const bytes = await download.createReadStream().then(async (stream) => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  });
  // A ZIP (local file header "PK\x03\x04") naming the DAG's version file.
  expect(bytes.subarray(0, 4).toString("latin1")).toBe("PK\u0003\u0004");
  expect(bytes.toString("latin1")).toContain(`dags/${dag.id}/v1.json`);

  await page.getByRole("button", { name: "Erase workspace" }).click();
  const dialog = page.getByRole("dialog", { name: `Erase ${leaving.workspace.name}?` });
  expect(await dialog.getByRole("button", { name: "Erase" }).isDisabled()).toBe(true);
  await dialog.getByLabel(`Type ${leaving.workspace.slug} to confirm`).fill(leaving.workspace.slug);
  await screenshot(page, "console-erase-confirm");
  await dialog.getByRole("button", { name: "Erase" }).click();
  await page.waitForURL(/\/admin$/);
  expect(await db.workspace.findUnique({ where: { id: leaving.workspace.id } })).toBeNull();
  expect(
    await db.auditEvent.count({
      where: { workspaceId: null, action: "platform.workspace.erase", actorLabel: admin.email },
    }),
  ).toBeGreaterThan(0);
});
