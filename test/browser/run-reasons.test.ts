// Why a run or a task waits, or why a run never started, shown where people look, in a real
// Chromium: a run refused over the monthly task-run quota says so on its page, in the DAG's run
// list and on the grid; a run queued behind maxConcurrentRuns says so too; a ready task with no
// worker to run it says what it waits for on the run page and in its panel.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { storeDag, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

let app: App;
let browser: Browser;
let owner: Awaited<ReturnType<typeof createUser>>;
let refusedId: string;
let runningId: string;
let queuedId: string;
const month = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" }).format(
  new Date(),
);

beforeAll(async () => {
  owner = await createUser("owner");
  const workspaceId = owner.workspace.id;
  // The month's task runs are used up; the plan refuses runs over it. One run at a time.
  await db.workspace.update({
    where: { id: workspaceId },
    data: { maxTaskRunsPerMonth: 30, overQuotaPolicy: "refuse", maxConcurrentRuns: 1 },
  });
  await db.usageDay.create({
    data: { workspaceId, day: new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`), taskRuns: 30 },
  });
  const scope = await workspaceScope(workspaceId);
  await storeDag(scope, { id: "nightly", tasks: [{ id: "extract", operator: "test" }] });
  refusedId = (await triggerRun(scope, { dagKey: "nightly" })).id;
  // Back under the quota: one run starts (no worker runs its task), the next waits for it.
  await db.usageDay.deleteMany({ where: { workspaceId } });
  runningId = (await triggerRun(scope, { dagKey: "nightly" })).id;
  queuedId = (await triggerRun(scope, { dagKey: "nightly" })).id;
  app = await startApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

it("shows why a run was refused, why one waits and what a ready task waits for", async () => {
  const refusal = `Refused: this workspace used 30 of its 30 task runs for ${month} (plan quota maxTaskRunsPerMonth)`;
  expect((await db.dagRun.findUniqueOrThrow({ where: { id: refusedId } })).state).toBe("failed");
  const { page, consoleErrors } = await newPerson(browser, app);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await signIn(page, owner);

  // The refused run's page: the reason the API gives, word for word.
  await page.goto(`/w/${owner.workspace.slug}/runs/${refusedId}`);
  const banner = page.getByRole("alert").filter({ hasText: "Not started" });
  await banner.waitFor();
  expect(await banner.locator("[data-run-reason]").textContent()).toContain(refusal);
  await screenshot(page, "run-refused-over-quota");

  // The queued run's page says what it waits for.
  await page.goto(`/w/${owner.workspace.slug}/runs/${queuedId}`);
  await page.getByText("Waiting to start").waitFor();
  await page
    .getByText("Queued: this workspace already has 1 run running (plan quota maxConcurrentRuns)")
    .waitFor();

  // The running run's ready task waits for a worker: on the page, and in its panel.
  await page.goto(`/w/${owner.workspace.slug}/runs/${runningId}`);
  const waiting = page.getByRole("status").filter({ hasText: "Tasks ready but waiting" });
  await waiting.waitFor();
  const reason = (await waiting.locator("[data-task-reason]").textContent()) ?? "";
  expect(reason).toMatch(/worker/);
  await waiting.getByRole("button", { name: "extract" }).click();
  await page.getByRole("complementary", { name: "Task extract" }).getByText(reason).waitFor();

  // The DAG page: the run list says why, and the grid's column says it too.
  await page.goto(`/w/${owner.workspace.slug}/dags/nightly`);
  await page.getByText(refusal).first().waitFor();
  expect(
    await page.locator(`a[href$="/runs/${refusedId}"][aria-label*="plan quota maxTaskRunsPerMonth"]`).count(),
  ).toBeGreaterThan(0);
  expect(consoleErrors).toEqual([]);
});
