// The usage page and the notification bell in a real Chromium: an Owner whose workspace ran past
// its monthly task-run quota sees the bars and the 30-day chart, and the quota alert in the bell.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { flushUsage } from "@/server/usage/meter";
import { usageSummary } from "@/server/usage/report";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

let app: App;
let browser: Browser;
let owner: Awaited<ReturnType<typeof createUser>>;
let quota: number;

beforeAll(async () => {
  owner = await createUser("owner");
  const workspaceId = owner.workspace.id;
  // Earlier days, for the chart (today's use comes from the run below).
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);
  const earlier = [
    { workspaceId, day: daysAgo(5), taskRuns: 2, taskSeconds: 5400, runs: 1 },
    { workspaceId, day: daysAgo(2), taskRuns: 1, taskSeconds: 1800, runs: 1 },
  ];
  await db.usageDay.createMany({ data: earlier });
  // The run's 3 task runs use up the month's quota (with the earlier days of this month).
  const month = new Date().toISOString().slice(0, 7);
  quota =
    3 + earlier.filter((d) => d.day.toISOString().startsWith(month)).reduce((n, d) => n + d.taskRuns, 0);
  await db.workspace.update({ where: { id: workspaceId }, data: { maxTaskRunsPerMonth: quota } });
  const scope = await workspaceScope(workspaceId);
  await storeDag(scope, {
    id: "nightly",
    tasks: [
      { id: "extract", operator: "test" },
      { id: "load", operator: "test", dependsOn: ["extract"] },
      { id: "report", operator: "test", dependsOn: ["load"] },
    ],
  });
  await startTestWorker(2);
  await waitForRun((await triggerRun(scope, { dagKey: "nightly" })).id);
  await flushUsage(); // writes the run's usage, which reaches the quota and notifies the owner
  app = await startApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await stopTestWorker();
  await browser?.close();
  await app?.stop();
});

it("shows each quota's use, the daily chart, and the quota alert in the bell", async () => {
  const { page, consoleErrors } = await newPerson(browser, app);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await signIn(page, owner);

  await page.goto(`/w/${owner.workspace.slug}/usage`);
  const taskRuns = page.locator('[data-quota="maxTaskRunsPerMonth"]');
  await taskRuns.waitFor();
  expect(await taskRuns.textContent()).toContain(`${quota} of ${quota}`);
  expect(await taskRuns.getByText("At limit").count()).toBe(1);
  expect(await taskRuns.locator('[data-level="at"]').count()).toBe(1);
  // A bar for every quota with a use; the caps are listed as values.
  const summary = await usageSummary(await workspaceScope(owner.workspace.id));
  const metered = summary.quotas.filter((q) => q.used !== null).map((q) => q.key);
  expect(metered.length).toBeGreaterThan(5);
  expect(await page.locator("[data-quota]").evaluateAll((bars) => bars.map((b) => b.dataset.quota))).toEqual(
    metered,
  );
  expect(await page.locator('[data-quota="maxDags"]').textContent()).toContain("1 of 100");
  await page.getByText("Output size per task").waitFor();
  await page.getByText("1 MiB", { exact: true }).waitFor();

  const chart = page.getByRole("img", { name: /^Task runs: 6 task runs over the last 30 days/ });
  await chart.waitFor();
  expect(await chart.locator("rect").count()).toBe(30);
  await page.getByRole("img", { name: /^Task-seconds: / }).waitFor();

  const bell = page.getByRole("button", { name: "Notifications, 1 unread" });
  await bell.click();
  const panel = page.getByRole("region", { name: "Notifications" });
  await panel.getByText("Task runs per month: limit reached").waitFor();
  await screenshot(page, "usage-page");

  await panel.getByRole("button", { name: "Mark read" }).click();
  await page.getByRole("button", { name: "Notifications", exact: true }).waitFor();
  expect(await panel.getByRole("button", { name: "Mark read" }).count()).toBe(0);
  expect(consoleErrors).toEqual([]);
});
