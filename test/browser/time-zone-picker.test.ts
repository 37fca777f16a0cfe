// The editor's schedule time zone in a real Chromium: picked from the browser's list of IANA zones
// grouped by region (it was a free-text field where a typo showed only as a validation problem),
// the choice written to the document and used by the preview; a zone the list lacks, written in
// the code, stays shown as it is.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { createUser } from "../support/factories";

/** Generous: two cores shared with other suites. */
const LONG = { timeout: 60_000 };

let app: App;
let browser: Browser;
let page: Page;
let consoleErrors: string[];
let owner: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  owner = await createUser("zones");
  await owner.api.dags.push({
    workspace: owner.workspace.slug,
    document: {
      id: "aliased",
      schedule: { type: "cron", cron: "@daily", timezone: "US/Eastern" },
      tasks: [{ id: "a", operator: "noop" }],
    },
  });
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

describe("the time zone picker", () => {
  it("offers every zone by region and schedules in the one chosen", async () => {
    await page.goto(`/w/${owner.workspace.slug}/dags/new`);
    await page.getByLabel("Schedule", { exact: true }).selectOption("cron");
    const zone = page.getByLabel("Time zone");
    expect(await zone.evaluate((element) => element.tagName)).toBe("SELECT");
    expect(await zone.inputValue()).toBe("UTC");
    const regions = await zone
      .locator("optgroup")
      .evaluateAll((groups) => groups.map((g) => g.getAttribute("label")));
    expect(regions).toEqual(expect.arrayContaining(["Africa", "America", "Asia", "Europe", "Pacific"]));
    expect(await zone.locator("option").count()).toBeGreaterThan(300);

    await zone.selectOption("America/New_York");
    const preview = page.getByRole("region", { name: "Next runs" });
    await expect.poll(async () => preview.textContent(), LONG).toContain("America/New_York");
    await page.getByRole("tab", { name: "Code" }).click();
    await expect
      .poll(async () => page.locator(".cm-content").textContent(), LONG)
      .toContain("America/New_York");
    await screenshot(page, "time-zone-picker");
  });

  it("keeps a zone written in the code that the list does not hold", async () => {
    await page.goto(`/w/${owner.workspace.slug}/dags/aliased/edit`);
    const zone = page.getByLabel("Time zone");
    await expect.poll(() => zone.inputValue(), LONG).toBe("US/Eastern");
    expect(consoleErrors).toEqual([]);
  });
});
