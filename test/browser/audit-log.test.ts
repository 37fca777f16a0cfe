// The audit log page in a real Chromium: filtered by actor (a member or an API token), by action
// (one, or everything done to one kind of thing) and by day, a page at a time, and each event's
// details in words rather than raw JSON.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { createUser } from "../support/factories";

/** Generous: two cores shared with other suites. */
const LONG = { timeout: 60_000 };

let app: App;
let browser: Browser;
let page: Page;
let consoleErrors: string[];
let owner: Awaited<ReturnType<typeof createUser>>;

/** More variables made by the owner than one page of events holds (50). */
const VARIABLES = 52;

beforeAll(async () => {
  owner = await createUser("auditor");
  const workspace = owner.workspace.slug;
  await owner.api.workspace.rename({ workspace, name: "Renamed Works" });
  for (let i = 0; i < VARIABLES; i++)
    await owner.api.variables.create({ workspace, key: `v${i}`, value: "x" });
  await owner.api.variables.update({ workspace, key: "v1", value: "y" });
  const { token } = await owner.api.tokens.create({ workspace, name: "deploy-bot", role: "EDITOR" });
  // Long ago: the date filter must leave it out.
  const old = await db.auditEvent.findFirstOrThrow({
    where: { workspaceId: owner.workspace.id, action: "variable.create", target: "v0" },
  });
  await db.auditEvent.update({
    where: { id: old.id },
    data: { createdAt: new Date("2025-01-15T12:00:00Z") },
  });
  app = await startApp();
  // The token acts through the REST API, as a deployment script would.
  const response = await fetch(`${app.url}/api/v1/variables`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ key: "from_bot", value: "1" }),
  });
  expect(response.status).toBe(201);
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

const table = () => page.getByRole("table", { name: "Audit log" });
/** The Action column of each row shown. */
const actionsShown = async () =>
  table()
    .getByRole("row")
    .evaluateAll((rows) => rows.slice(1).map((row) => row.querySelectorAll("td")[2]?.textContent ?? ""));
const filters = () => page.getByRole("form", { name: "Filter events" });

describe("the audit log", () => {
  it("pages through every event and shows their details in words", async () => {
    await page.goto(`/w/${owner.workspace.slug}/audit`);
    await table().waitFor();
    await expect.poll(actionsShown, LONG).toHaveLength(50);
    await page.getByRole("button", { name: "Load more" }).click();
    // 52 variables and an update, the rename, the token, the bot's variable and the account's own.
    const all = await db.auditEvent.count({ where: { workspaceId: owner.workspace.id } });
    expect(all).toBeGreaterThanOrEqual(VARIABLES + 4);
    await expect.poll(actionsShown, LONG).toHaveLength(all);
    const rename = table().getByRole("row").filter({ hasText: "workspace.rename" });
    expect(await rename.textContent()).toContain("→ Renamed Works");
    expect(await table().textContent()).not.toContain('{"');
  });

  it("filters by actor, action and day", async () => {
    await filters().getByLabel("Actor").selectOption({ label: "token deploy-bot" });
    await expect.poll(actionsShown, LONG).toEqual(["variable.create"]);
    expect(await table().textContent()).toContain("from_bot");

    await filters().getByLabel("Actor").selectOption({ label: owner.email });
    await filters().getByLabel("Action").selectOption("token.create");
    await expect.poll(actionsShown, LONG).toEqual(["token.create"]);
    // Everything the owner did to variables: 52 made and one changed.
    await filters().getByLabel("Action").selectOption({ label: "Every variable action" });
    await expect.poll(async () => (await actionsShown()).length, LONG).toBe(50);
    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(async () => (await actionsShown()).length, LONG).toBe(VARIABLES + 1);
    expect((await actionsShown())[0]).toBe("variable.update");

    await filters().getByLabel("Action").selectOption("variable.create");
    // The owner's variables made before 2026: only the one moved to 2025.
    await filters().getByLabel("To (UTC)").fill("2025-12-31");
    await expect.poll(actionsShown, LONG).toEqual(["variable.create"]);
    expect(await table().textContent()).toContain("v0");
    await filters().getByLabel("To (UTC)").fill("");
    await filters().getByLabel("From (UTC)").fill("2026-01-01");
    await expect.poll(async () => (await actionsShown()).length, LONG).toBe(50);
    await page.getByRole("button", { name: "Load more" }).click();
    // Every variable the owner made this year: all but the one moved back.
    await expect.poll(async () => (await actionsShown()).length, LONG).toBe(VARIABLES - 1);
    await screenshot(page, "audit-log-filtered");
    expect(consoleErrors).toEqual([]);
  });
});
