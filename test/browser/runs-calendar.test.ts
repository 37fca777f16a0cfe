// The runs calendar in a real Chromium: each day of a month with its runs counted by state, the
// DAG and trigger filters applied, months before, and a day picked to list its runs.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
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

/** Generous: two cores shared with other suites. */
const LONG = { timeout: 60_000 };

let app: App;
let browser: Browser;
let page: Page;
let consoleErrors: string[];
let owner: Awaited<ReturnType<typeof createUser>>;

const now = new Date();
/** yyyy-mm-dd of day `day` of this UTC month, `shift` months on. */
const dayOf = (day: number, shift = 0) =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + shift, day)).toISOString().slice(0, 10);
const at = (day: string) => new Date(`${day}T06:00:00Z`);

beforeAll(async () => {
  owner = await createUser("calendar");
  const workspace = owner.workspace.slug;
  const scope = await openWorkspace(owner.caller, workspace, "runs:operate");
  await owner.api.dags.push({ workspace, document: { id: "alpha", tasks: [{ id: "a", operator: "noop" }] } });
  await owner.api.dags.push({ workspace, document: { id: "beta", tasks: [{ id: "b", operator: "noop" }] } });
  // No worker runs here: runs stay queued, except the one cancelled.
  await triggerRun(scope, { dagKey: "alpha", triggeredBy: "api", logicalDate: at(dayOf(3)) });
  const cancelled = await triggerRun(scope, {
    dagKey: "alpha",
    triggeredBy: "api",
    logicalDate: at(dayOf(3)),
  });
  await owner.api.runs.cancel({ workspace, runId: cancelled.id });
  await triggerRun(scope, { dagKey: "alpha", triggeredBy: "api", logicalDate: at(dayOf(10)) });
  await triggerRun(scope, { dagKey: "beta", triggeredBy: "webhook", logicalDate: at(dayOf(10)) });
  await triggerRun(scope, { dagKey: "beta", triggeredBy: "webhook", logicalDate: at(dayOf(15, -1)) });
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

const calendar = () => page.getByRole("region", { name: "Runs calendar" });
/** What the calendar says of a day. */
const daySays = (day: string) =>
  calendar().locator(`li[aria-label^="${day}:"]`).getAttribute("aria-label", LONG);

/**
 * What the day should say, from the runs stored (a run with no worker stays queued or, once its
 * first tasks are queued, running): its runs counted by state, states in name order.
 */
async function shouldSay(day: string, filter: { dagKey?: string; triggeredBy?: string } = {}) {
  const counts = await db.dagRun.groupBy({
    by: ["state"],
    _count: true,
    orderBy: { state: "asc" },
    where: {
      workspaceId: owner.workspace.id,
      logicalDate: {
        gte: new Date(`${day}T00:00:00Z`),
        lt: new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000),
      },
      ...(filter.dagKey ? { dag: { key: filter.dagKey } } : {}),
      ...(filter.triggeredBy ? { triggeredBy: filter.triggeredBy } : {}),
    },
  });
  const states = counts
    .map(({ state, _count }) => ({ state: String(state), count: _count }))
    .sort((a, b) => a.state.localeCompare(b.state));
  return `${day}: ${states.length === 0 ? "no runs" : states.map((s) => `${s.count} ${s.state}`).join(", ")}`;
}

/** Waits until the calendar says of the day what the stored runs say. */
async function matches(day: string, filter: { dagKey?: string; triggeredBy?: string } = {}) {
  await expect
    .poll(async () => {
      const [shown, stored] = await Promise.all([daySays(day), shouldSay(day, filter)]);
      return shown === stored ? "same" : `shown ${shown}, stored ${stored}`;
    }, LONG)
    .toBe("same");
}

describe("the runs calendar", () => {
  it("counts each day's runs by state, with the filters applied", async () => {
    await page.goto(`/w/${owner.workspace.slug}/runs`);
    await page.getByRole("button", { name: "Calendar" }).click();
    await calendar().waitFor();
    await matches(dayOf(3));
    expect(await shouldSay(dayOf(3))).toMatch(/: 1 cancelled, 1 (queued|running)$/);
    await matches(dayOf(10));
    expect(await shouldSay(dayOf(10))).toMatch(/: (2 queued|2 running|1 queued, 1 running)$/);
    expect(await daySays(dayOf(4))).toBe(`${dayOf(4)}: no runs`);
    await screenshot(page, "runs-calendar");

    await page.getByRole("form", { name: "Filter runs" }).getByLabel("DAG").selectOption("alpha");
    await matches(dayOf(10), { dagKey: "alpha" });
    await page.getByRole("form", { name: "Filter runs" }).getByLabel("DAG").selectOption("");
    await page.getByRole("form", { name: "Filter runs" }).getByLabel("Triggered by").selectOption("webhook");
    await expect.poll(() => daySays(dayOf(3)), LONG).toBe(`${dayOf(3)}: no runs`);
    await matches(dayOf(10), { triggeredBy: "webhook" });

    await calendar().getByRole("button", { name: "Previous month" }).click();
    await matches(dayOf(15, -1), { triggeredBy: "webhook" });
    await calendar().getByRole("button", { name: "Next month" }).click();
    await page.getByRole("form", { name: "Filter runs" }).getByLabel("Triggered by").selectOption("");
  });

  it("lists a day's runs when the day is picked, and fits a phone", async () => {
    await calendar()
      .locator(`li[aria-label^="${dayOf(3)}:"]`)
      .getByRole("button")
      .click();
    const table = page.getByRole("table", { name: "Runs of the workspace" });
    await table.waitFor({ timeout: 60_000 });
    await expect.poll(async () => (await table.getByRole("row").count()) - 1, LONG).toBe(2);
    expect(await page.getByLabel("Logical date from (UTC)").inputValue()).toBe(dayOf(3));
    expect(await page.getByLabel("Logical date to (UTC)").inputValue()).toBe(dayOf(3));

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("button", { name: "Calendar" }).click();
    await calendar().waitFor();
    expect((await overflowing(page)).overflow).toBeLessThanOrEqual(0);
    expect(consoleErrors).toEqual([]);
  });
});
