// A mapped task on the run page, in a real Chromium: the run's answer holds it once, so its panel
// counts its elements by state, lists them a page at a time, and opens each with its attempts
// and output.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateKey } from "@/server/secrets/crypto";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
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
  owner = await createUser("mapped");
  const workspace = owner.workspace.slug;
  await owner.api.dags.push({
    workspace,
    message: "regions",
    document: {
      id: "regions",
      tasks: [
        {
          id: "export",
          operator: "test",
          map: { over: ["eu", "us", "apac"] },
          config: { output: "{{ item }}" },
        },
      ],
    },
  });
  await startTestWorker(2);
  ({ id: runId } = await owner.api.runs.trigger({ workspace, dagId: "regions" }));
  expect((await waitForRun(runId)).state).toBe("success");
  app = await startApp();
  browser = await launchBrowser();
  ({ page, consoleErrors } = await newPerson(browser, app));
  await signIn(page, owner);
});

afterAll(async () => {
  await stopTestWorker();
  await browser?.close();
  await app?.stop();
});

it("a mapped task's panel counts and lists its elements, and opens each", async () => {
  await page.goto(`/w/${owner.workspace.slug}/runs/${runId}?task=export`);
  const panel = page.getByRole("complementary", { name: "Task export" });
  await panel.getByText("Elements (3)").waitFor();
  const list = panel.getByRole("list", { name: "Elements of export" });
  await list.waitFor();
  const elements = list.getByRole("button");
  await expect
    .poll(() => elements.allTextContents(), { timeout: 20_000 })
    .toEqual([
      expect.stringMatching(/^export\[0\]Success/),
      expect.stringMatching(/^export\[1\]Success/),
      expect.stringMatching(/^export\[2\]Success/),
    ]);
  await screenshot(page, "mapped-elements");

  await elements.nth(1).click();
  const element = page.getByRole("complementary", { name: "Task export[1]" });
  await element.getByText("Attempt 1", { exact: true }).waitFor();
  expect(await element.textContent()).toContain('"us"');
  await element.getByRole("button", { name: "Back to export" }).click();
  await panel.getByText("Elements (3)").waitFor();
  expect(consoleErrors).toEqual([]);
});
