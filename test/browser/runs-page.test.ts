// The workspace's runs page in a real Chromium: every run of every DAG, newest first, a page at a
// time, filtered by DAG, state, what triggered it and logical date; within a phone's width.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { triggerRun } from "@/server/engine/runs";
import { openWorkspace } from "@/server/tenancy/door";
import {
  type App,
  launchBrowser,
  newPerson,
  overflowing,
  screenshot,
  signIn,
  startApp,
} from "../support/browser";
import { createUser } from "../support/factories";

let app: App;
let browser: Browser;
let page: Page;
let consoleErrors: string[];
let owner: Awaited<ReturnType<typeof createUser>>;
let cancelled: string;
const ws = () => `/w/${owner.workspace.slug}`;

/** More runs of alpha than one page holds (50). */
const ALPHA_RUNS = 52;

beforeAll(async () => {
  owner = await createUser("runs-page");
  const workspace = owner.workspace.slug;
  const scope = await openWorkspace(owner.caller, workspace, "runs:operate");
  await owner.api.dags.push({ workspace, document: { id: "alpha", tasks: [{ id: "a", operator: "noop" }] } });
  await owner.api.dags.push({ workspace, document: { id: "beta", tasks: [{ id: "b", operator: "noop" }] } });
  // No worker runs here: the runs stay queued, except the one cancelled.
  for (let i = 0; i < ALPHA_RUNS; i++) await triggerRun(scope, { dagKey: "alpha" });
  for (const day of ["2026-03-01", "2026-03-15"]) {
    await triggerRun(scope, {
      dagKey: "beta",
      triggeredBy: "webhook",
      logicalDate: new Date(`${day}T06:00:00Z`),
    });
  }
  cancelled = (await triggerRun(scope, { dagKey: "beta", triggeredBy: "api" })).id;
  await owner.api.runs.cancel({ workspace, runId: cancelled });
  app = await startApp();
  browser = await launchBrowser();
  const person = await newPerson(browser, app);
  page = person.page;
  consoleErrors = person.consoleErrors;
  await page.setViewportSize({ width: 1440, height: 960 });
  await signIn(page, owner);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const table = () => page.getByRole("table", { name: "Runs of the workspace" });
/** The DAG column of each row shown. */
const dagsShown = async () => {
  const rows = table().getByRole("row");
  const texts = await rows.allTextContents();
  return texts.slice(1).map((text) => (/(alpha|beta)/.exec(text) ?? [""])[0]);
};

describe("the runs page", () => {
  it("lists every run of the workspace a page at a time, from the workspace's navigation", async () => {
    await page.goto(ws());
    await page
      .getByRole("navigation", { name: "Workspace sections" })
      .getByRole("link", { name: "Runs" })
      .click();
    await page.waitForURL(new RegExp(`${ws()}/runs$`));
    await table().waitFor();
    await expect.poll(dagsShown, { timeout: 30_000 }).toHaveLength(50);
    // Newest first: beta's three runs were triggered last.
    expect((await dagsShown()).slice(0, 3)).toEqual(["beta", "beta", "beta"]);
    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(dagsShown, { timeout: 60_000 }).toHaveLength(ALPHA_RUNS + 3);
    await screenshot(page, "runs-page");
  });

  it("filters by DAG, state, trigger and logical date", async () => {
    await page.goto(`${ws()}/runs`);
    await table().waitFor();
    await page.getByLabel("DAG").selectOption("beta");
    await expect.poll(dagsShown, { timeout: 30_000 }).toEqual(["beta", "beta", "beta"]);
    await page.getByLabel("Triggered by").selectOption("webhook");
    await expect.poll(dagsShown, { timeout: 30_000 }).toEqual(["beta", "beta"]);
    await page.getByLabel("Logical date from (UTC)").fill("2026-03-10");
    await page.getByLabel("Logical date to (UTC)").fill("2026-03-15");
    await expect.poll(dagsShown, { timeout: 30_000 }).toEqual(["beta"]);
    expect(await table().textContent()).toMatch(/Webhook/);
    await page.getByLabel("Logical date from (UTC)").fill("2026-03-16");
    await page.getByText("No runs match these filters").waitFor();

    await page.goto(`${ws()}/runs`);
    await table().waitFor();
    await page.getByLabel("State").selectOption("cancelled");
    // With what the page says, should it show something else.
    await expect
      .poll(async () => ({
        dags: await dagsShown(),
        page: (await page.locator("main").textContent())?.slice(0, 600),
      }))
      .toMatchObject({ dags: ["beta"] });
    await table()
      .getByRole("link", { name: cancelled.slice(0, 8) })
      .click();
    await page.waitForURL(new RegExp(`/runs/${cancelled}$`));
    expect(consoleErrors).toEqual([]);
  });

  it("fits a phone's width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${ws()}/runs`);
    await table().waitFor();
    expect(await overflowing(page)).toEqual({ overflow: 0, elements: [] });
    await screenshot(page, "runs-page-phone");
  });
});

/** How light the page's background is, 0 (black) to 1 (white), from its computed colour. */
async function backgroundLightness() {
  const color = await page.evaluate("getComputedStyle(document.body).backgroundColor");
  const text = String(color);
  // Chrome answers oklch() or lab() for these colours (lightness 0–1 or 0–100), else rgb().
  const oklch = /^oklch\(([\d.]+)(%?)/.exec(text);
  if (oklch) return Number(oklch[1]) / (oklch[2] ? 100 : 1);
  const lab = /^lab\(([\d.]+)/.exec(text);
  if (lab) return Number(lab[1]) / 100;
  const [r, g, b] = (text.match(/[\d.]+/g) ?? []).map(Number);
  return (0.2126 * r! + 0.7152 * g! + 0.0722 * b!) / 255;
}

describe("dark mode", () => {
  it("follows the system setting, and a choice in the header overrides it and stays", async () => {
    await page.setViewportSize({ width: 1440, height: 960 });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${ws()}/runs`);
    await table().waitFor();
    expect(await backgroundLightness()).toBeLessThan(0.3);
    await screenshot(page, "runs-page-dark");

    const theme = page.getByLabel("Theme");
    await theme.selectOption("light");
    expect(await backgroundLightness()).toBeGreaterThan(0.9);
    await page.reload();
    await table().waitFor();
    expect(await backgroundLightness()).toBeGreaterThan(0.9);
    await expect.poll(() => theme.inputValue(), { timeout: 30_000 }).toBe("light");

    await page.emulateMedia({ colorScheme: "light" });
    await theme.selectOption("dark");
    expect(await backgroundLightness()).toBeLessThan(0.3);
    await page.reload();
    await table().waitFor();
    expect(await backgroundLightness()).toBeLessThan(0.3);
    // Hydrated: the switch shows the choice the page arrived with.
    await expect.poll(() => theme.inputValue(), { timeout: 30_000 }).toBe("dark");

    await theme.selectOption("system");
    expect(await backgroundLightness()).toBeGreaterThan(0.9);
    expect(consoleErrors).toEqual([]);
  });
});
