// The platform console in a real Chromium: a platform administrator finds a workspace, moves it
// to another plan, overrides a quota, and suspends it; a member of that workspace sees why, and
// cannot open the console.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { baton } from "../support/cli";
import { createUser } from "../support/factories";

let app: App;
let browser: Browser;
let admin: Awaited<ReturnType<typeof createUser>>;
let member: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  admin = await createUser("admin");
  member = await createUser("member");
  expect((await baton(["admin", "grant", admin.email])).code).toBe(0);
  const free = await db.plan.findUniqueOrThrow({ where: { key: "free" } });
  await db.plan.create({
    data: {
      ...free,
      key: "team",
      name: "Team",
      description: "For teams",
      maxMembers: 50,
      createdAt: undefined,
      updatedAt: undefined,
    },
  });
  app = await startApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

it("an administrator changes a workspace's plan and suspends it; its member sees the banner", async () => {
  const slug = member.workspace.slug;
  const boss = await newPerson(browser, app);
  await boss.page.setViewportSize({ width: 1440, height: 960 });
  await signIn(boss.page, admin);

  // The console is one click away from the top bar, for administrators.
  await boss.page.getByRole("link", { name: "Platform console" }).click();
  await boss.page.waitForURL(/\/admin$/);
  await boss.page.getByRole("table", { name: "Workspaces" }).waitFor();
  await boss.page.getByLabel("Search").fill(slug);
  const row = boss.page.getByRole("row").filter({ hasText: slug });
  await expect.poll(() => boss.page.getByRole("row").count(), { timeout: 30_000 }).toBe(2);
  expect(await row.getByText("Active").isVisible()).toBe(true);
  await screenshot(boss.page, "platform-workspaces");

  await row.getByRole("link", { name: member.workspace.name }).click();
  await boss.page.waitForURL(new RegExp(`/admin/workspaces/${slug}$`));

  // Another plan: its quotas become the workspace's.
  await boss.page.getByLabel("Plan", { exact: true }).selectOption("team");
  await boss.page.getByRole("button", { name: "Change plan" }).click();
  await boss.page.getByText("The workspace is now on the Team plan.").waitFor();
  const membersRow = boss.page
    .getByRole("table", { name: "Quotas" })
    .getByRole("row")
    .filter({ hasText: "Members" });
  await expect.poll(() => membersRow.getByRole("cell").last().textContent(), { timeout: 30_000 }).toBe("50");

  // An override: a refused value is explained next to its field, a valid one takes effect.
  const errorsBefore = boss.consoleErrors.length;
  await boss.page.getByLabel("Pools", { exact: true }).fill("-3");
  await boss.page.getByRole("button", { name: "Save overrides" }).click();
  await boss.page.getByText("Pools (maxPools) must be a whole number from 0 to 2147483647").first().waitFor();
  // The browser logs the refused request; that one is expected, anything else is not.
  expect(boss.consoleErrors.splice(errorsBefore)).toEqual([
    "Failed to load resource: the server responded with a status of 400 (Bad Request)",
  ]);
  await boss.page.getByLabel("Pools", { exact: true }).fill("");
  await boss.page.getByLabel("DAGs", { exact: true }).fill("7");
  await boss.page.getByRole("button", { name: "Save overrides" }).click();
  const dagsRow = boss.page
    .getByRole("table", { name: "Quotas" })
    .getByRole("row")
    .filter({ hasText: "Pushing a new DAG" });
  await expect.poll(() => dagsRow.getByRole("cell").last().textContent(), { timeout: 30_000 }).toMatch(/^7/);
  await screenshot(boss.page, "platform-workspace");

  // Suspension, confirmed in a dialog.
  await boss.page.getByLabel("Reason members will see").fill("Unpaid invoice");
  await boss.page.getByRole("button", { name: "Suspend workspace" }).click();
  const dialog = boss.page.getByRole("dialog", { name: `Suspend ${member.workspace.name}?` });
  await dialog.getByText("Unpaid invoice").waitFor();
  await screenshot(boss.page, "platform-suspend-confirm");
  await dialog.getByRole("button", { name: "Suspend" }).click();
  await boss.page.getByRole("button", { name: "Resume workspace" }).waitFor();
  await boss.page
    .getByRole("table", { name: "Recent audit events" })
    .getByText("platform.workspace.suspend")
    .waitFor();
  await screenshot(boss.page, "platform-workspace-suspended");

  // Editing the plan re-applies it to its workspaces (the override on DAGs stays on top).
  await boss.page.getByRole("link", { name: "Plans" }).click();
  await boss.page.getByRole("button", { name: "Edit Team" }).click();
  const edit = boss.page.getByRole("dialog", { name: "Edit the Team plan" });
  await edit.getByLabel("Members", { exact: true }).fill("60");
  await screenshot(boss.page, "platform-plan-edit");
  await edit.getByRole("button", { name: "Save plan" }).click();
  await boss.page.getByText("Saved the Team plan; its 1 workspace has the new quotas.").waitFor();
  await screenshot(boss.page, "platform-plans");

  const workspace = await db.workspace.findUniqueOrThrow({ where: { slug } });
  expect(workspace).toMatchObject({
    planKey: "team",
    maxMembers: 60,
    maxDags: 7,
    suspendedReason: "Unpaid invoice",
  });

  // The member sees why, and no way into the console.
  const them = await newPerson(browser, app);
  await them.page.setViewportSize({ width: 1440, height: 960 });
  await signIn(them.page, member);
  await them.page.goto(`/w/${slug}`);
  await them.page
    .getByText(
      "This workspace is suspended: Unpaid invoice. Runs, schedules and webhooks are stopped; contact your administrator.",
    )
    .waitFor();
  expect(await them.page.getByRole("link", { name: "Platform console" }).count()).toBe(0);
  await screenshot(them.page, "workspace-suspended-banner");
  const answer = await them.page.goto("/admin");
  expect(answer?.status()).toBe(403);
  await them.page.getByRole("heading", { name: "Not authorised" }).waitFor();
  expect(await them.page.getByRole("table").count()).toBe(0);
  await screenshot(them.page, "platform-not-authorised");

  // Chromium reports the console's 403 (the answer wanted) as a failed load; nothing else may fail.
  const unexpected = them.consoleErrors.filter((e) => !e.includes("status of 403 (Forbidden)"));
  expect([...boss.consoleErrors, ...unexpected]).toEqual([]);
});

it("an administrator gives a workspace a dedicated worker pool; without a worker, both sides see its tasks wait", async () => {
  const tenant = await createUser("tenant");
  const slug = tenant.workspace.slug;
  const boss = await newPerson(browser, app);
  await boss.page.setViewportSize({ width: 1440, height: 960 });
  await signIn(boss.page, admin);
  await boss.page.goto(`/admin/workspaces/${slug}`);

  const field = boss.page.getByLabel("Worker pool of the workspace");
  await field.fill("Not A Pool");
  await boss.page.getByRole("button", { name: "Assign" }).click();
  await boss.page
    .getByText(/Must be a worker pool name/)
    .first()
    .waitFor();
  await field.fill(`dedicated:${slug}`);
  await boss.page.getByRole("button", { name: "Assign" }).click();
  await boss.page
    .getByRole("table", { name: "Recent audit events" })
    .getByText("platform.workspace.worker_pool")
    .waitFor();
  expect((await db.workspace.findUniqueOrThrow({ where: { slug } })).workerPool).toBe(`dedicated:${slug}`);
  await screenshot(boss.page, "platform-workspace-worker-pool");

  await boss.page.getByRole("link", { name: "Worker pools" }).click();
  const row = boss.page
    .getByRole("table", { name: "Worker pools" })
    .getByRole("row")
    .filter({
      hasText: `dedicated:${slug}`,
    });
  await row.getByText("No live worker: its tasks wait").waitFor();
  expect(await row.getByRole("link", { name: slug }).isVisible()).toBe(true);
  await screenshot(boss.page, "platform-worker-pools");

  // The workspace's own Pools page says where its tasks run, and that nothing serves it yet.
  const them = await newPerson(browser, app);
  await them.page.setViewportSize({ width: 1440, height: 960 });
  await signIn(them.page, tenant);
  await them.page.goto(`/w/${slug}/pools`);
  const pool = them.page
    .getByRole("table", { name: "Worker pools" })
    .getByRole("row")
    .filter({
      hasText: `dedicated:${slug}`,
    });
  await pool.getByText("No live worker: its tasks wait").waitFor();
  await screenshot(them.page, "pools-worker-pools");

  // The refused name was the only failed request.
  expect(boss.consoleErrors).toEqual([
    "Failed to load resource: the server responded with a status of 400 (Bad Request)",
  ]);
  expect(them.consoleErrors).toEqual([]);
});
