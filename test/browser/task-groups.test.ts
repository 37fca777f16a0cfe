// Task groups and edge labels in a real Chromium: the run graph draws a group as one node with
// its tasks' state until it is expanded, and writes edge labels on the arrows; the DAG page's grid
// folds a group's rows into one the same way.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateKey } from "@/server/secrets/crypto";
import { type App, launchBrowser, newPerson, screenshot, startApp } from "../support/browser";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { createUser } from "../support/factories";

process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let app: App;
let browser: Browser;
let page: Page;
let consoleErrors: string[];
let owner: Awaited<ReturnType<typeof createUser>>;
let runId: string;

beforeAll(async () => {
  owner = await createUser("groups");
  const workspace = owner.workspace.slug;
  await owner.api.dags.push({
    workspace,
    message: "grouped",
    document: {
      id: "grouped",
      groups: [{ id: "extract", dependsOn: ["start"] }],
      tasks: [
        { id: "start", operator: "noop" },
        { id: "extract.orders", operator: "noop" },
        { id: "extract.refunds", operator: "noop" },
        { id: "load", operator: "noop", dependsOn: ["extract"], edgeLabels: { extract: "all extracted" } },
      ],
    },
  });
  await startTestWorker(2);
  ({ id: runId } = await owner.api.runs.trigger({ workspace, dagId: "grouped" }));
  expect((await waitForRun(runId)).state).toBe("success");
  app = await startApp();
  browser = await launchBrowser();
  ({ page, consoleErrors } = await newPerson(browser, app));
  await page.goto("/sign-in");
  await page.getByLabel("E-mail").fill(owner.email);
  await page.getByLabel("Password").fill(owner.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/w\//);
});

afterAll(async () => {
  await stopTestWorker();
  await browser?.close();
  await app?.stop();
});

it("the run graph shows a group collapsed with its state, expands it, and labels the arrows", async () => {
  await page.goto(`/w/${owner.workspace.slug}/runs/${runId}`);
  const graph = page.getByLabel("Run graph");
  const group = graph.locator('[aria-label^="Group extract,"]');
  await group.waitFor({ timeout: 20_000 });
  expect(await group.getAttribute("aria-label")).toBe("Group extract, Group · 2 tasks · Success");
  expect(await graph.locator('[aria-label^="Task extract.orders"]').count()).toBe(0);
  await graph.getByText("all extracted").waitFor();
  await screenshot(page, "group-collapsed");

  await page.getByRole("button", { name: "Expand group extract" }).click();
  await graph.locator('[aria-label^="Task extract.orders, Success"]').waitFor({ timeout: 20_000 });
  await graph.locator('[aria-label^="Task extract.refunds, Success"]').waitFor();
  expect(await graph.locator('[aria-label^="Group extract,"]').count()).toBe(0);
  // Expanded, the label is on each arrow from the group's leaves.
  await expect.poll(() => graph.getByText("all extracted").count(), { timeout: 15_000 }).toBe(2);
  await screenshot(page, "group-expanded");

  await page.getByRole("button", { name: "Collapse group extract" }).click();
  await group.waitFor({ timeout: 20_000 });
  expect(consoleErrors).toEqual([]);
});

it("the grid folds a group's tasks into one row until it is expanded", async () => {
  await page.goto(`/w/${owner.workspace.slug}/dags/grouped`);
  const cell = page.getByRole("link", { name: /^Group extract in the run of .*: Success$/ });
  await cell.waitFor({ timeout: 20_000 });
  expect(await page.getByRole("link", { name: /^extract\.orders in the run of/ }).count()).toBe(0);

  await page.getByRole("button", { name: "Expand group extract (2 tasks)" }).click();
  await page.getByRole("link", { name: /^extract\.orders in the run of .*: Success$/ }).waitFor();
  await page.getByRole("link", { name: /^extract\.refunds in the run of .*: Success$/ }).waitFor();
  await screenshot(page, "group-grid");
  expect(consoleErrors).toEqual([]);
});
