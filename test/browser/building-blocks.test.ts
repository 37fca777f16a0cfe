// The shared building blocks of the web app, in a real Chromium: branded not-found pages that
// answer HTTP 404; create/edit dialogs that focus their first field and put the server's problems
// next to it; confirmations (never the browser's confirm()) that show what an action affects,
// before Cancel run, Clear, Mark success, Delete; SVG operator icons; disabled buttons that say
// why.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { createUser } from "../support/factories";

let app: App;
let browser: Browser;
let page: Page;
let consoleErrors: string[];
let nativeDialogs: string[];
let owner: Awaited<ReturnType<typeof createUser>>;
let runId: string;
const ws = () => `/w/${owner.workspace.slug}`;

beforeAll(async () => {
  owner = await createUser("blocks");
  const workspace = owner.workspace.slug;
  // A chain with no schedule; its run waits (no worker runs here), so it can be cancelled.
  await owner.api.dags.push({
    workspace,
    message: "chain",
    document: {
      id: "chain",
      tasks: [
        { id: "extract", operator: "noop" },
        { id: "transform", operator: "noop", dependsOn: ["extract"] },
        { id: "load", operator: "http", dependsOn: ["transform"], config: { url: "https://example.com" } },
      ],
    },
  });
  ({ id: runId } = await owner.api.runs.trigger({ workspace, dagId: "chain" }));
  app = await startApp();
  browser = await launchBrowser();
  const person = await newPerson(browser, app);
  page = person.page;
  consoleErrors = person.consoleErrors;
  nativeDialogs = [];
  page.on("dialog", (dialog) => {
    nativeDialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await signIn(page, owner);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

it("answers 404 with a branded page for unknown addresses, workspaces, DAGs and runs", async () => {
  const cases = [
    { path: "/no/such/page", text: "Page not found" },
    { path: "/w/no-such-workspace", text: "Page not found" },
    { path: `${ws()}/no-such-section`, text: "Page not found" },
    { path: `${ws()}/dags/no_such_dag`, text: "DAG not found" },
    { path: `${ws()}/runs/00000000-0000-4000-8000-000000000000`, text: "Run not found" },
    { path: `${ws()}/runs/not-a-uuid`, text: "Run not found" },
  ];
  for (const { path, text } of cases) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await page.getByRole("heading", { name: text }).waitFor();
    // Branded: the wordmark links home.
    await page.getByRole("link", { name: "Baton" }).first().waitFor();
  }
  await screenshot(page, "not-found-in-workspace");
  // What exists still answers 200.
  expect((await page.goto(`${ws()}/runs/${runId}`))?.status()).toBe(200);
  expect((await page.goto(`${ws()}/dags/chain`))?.status()).toBe(200);
});

it("create dialogs focus their first field and show the server's problems next to it", async () => {
  await page.goto(`${ws()}/variables`);
  await page.getByRole("button", { name: "New variable" }).click();
  const dialog = page.getByRole("dialog", { name: "New variable" });
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.getAttribute("name")), { timeout: 30_000 })
    .toBe("key");
  // The schema says what is missing before anything is sent.
  await dialog.getByRole("button", { name: "Create variable" }).click();
  await dialog.getByText("Enter a key").waitFor();
  // The server's rule, next to the field it is about.
  await dialog.getByLabel("Key").fill("9lives");
  await dialog.getByLabel("Value").fill('{"schema": "analytics"}');
  await dialog.getByRole("button", { name: "Create variable" }).click();
  const keyError = dialog.locator(
    "#" + (await dialog.getByLabel("Key").getAttribute("aria-describedby"))!.split(" ").at(-1),
  );
  await expect.poll(() => keyError.textContent(), { timeout: 30_000 }).toMatch(/letter/i);
  await dialog.getByLabel("Key").fill("warehouse");
  await dialog.getByRole("button", { name: "Create variable" }).click();
  await dialog.waitFor({ state: "detached" });
  await page.getByRole("cell", { name: '{"schema":"analytics"}' }).waitFor();
  expect(await owner.api.variables.get({ workspace: owner.workspace.slug, key: "warehouse" })).toMatchObject({
    value: { schema: "analytics" },
  });
});

it("deleting asks in a dialog that says what deleting does, never with confirm()", async () => {
  await page.goto(`${ws()}/variables`);
  await page.getByRole("button", { name: "Delete variable warehouse" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete variable warehouse?" });
  await confirm.getByText("DAGs that use it will fail until it is back.").waitFor();
  // Focus starts on Cancel, the safe choice.
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.textContent), { timeout: 30_000 })
    .toBe("Cancel");
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("cell", { name: "warehouse", exact: true }).waitFor();
  await page.getByRole("button", { name: "Delete variable warehouse" }).click();
  await page
    .getByRole("dialog", { name: "Delete variable warehouse?" })
    .getByRole("button", { name: "Delete" })
    .click();
  await page.getByText("No variables yet").waitFor();
  expect(nativeDialogs).toEqual([]);
});

it("Cancel run, Clear and Mark success show what they affect before doing it", async () => {
  await page.goto(`${ws()}/runs/${runId}?task=transform`);
  const drawer = page.getByRole("complementary", { name: "Task transform" });

  // Clear: the options and a dry run of the tasks it would reset.
  await drawer.getByRole("button", { name: "Clear…" }).click();
  const clear = page.getByRole("dialog", { name: "Clear transform?" });
  await clear.getByText("Tasks to clear (2)").waitFor();
  expect(await clear.getByRole("listitem").allTextContents()).toEqual([
    expect.stringContaining("transform"),
    expect.stringContaining("load"),
  ]);
  await clear.getByLabel("Upstream").check();
  await clear.getByText("Tasks to clear (3)").waitFor();
  await clear.getByLabel("Downstream").uncheck();
  await clear.getByText("Tasks to clear (2)").waitFor();
  await clear.getByLabel("Only failed").check();
  await clear.getByText("None of these tasks failed: there is nothing to clear").waitFor();
  expect(await clear.getByRole("button", { name: /^Clear/ }).isDisabled()).toBe(true);
  await screenshot(page, "clear-dialog");
  await clear.getByRole("button", { name: "Cancel" }).click();

  // Mark success: the downstream tasks that will be cleared.
  await drawer.getByRole("button", { name: "Mark success" }).click();
  const mark = page.getByRole("dialog", { name: "Mark transform successful?" });
  await mark.getByText("Downstream tasks to clear (1)").waitFor();
  await mark.getByRole("listitem").filter({ hasText: "load" }).waitFor();
  await mark.getByRole("button", { name: "Mark success" }).click();
  await mark.waitFor({ state: "detached" });
  await expect.poll(() => drawer.textContent(), { timeout: 30_000 }).toContain("Success");

  // Cancel run: the unfinished tasks it stops.
  await page.getByRole("button", { name: "Cancel run" }).click();
  const cancel = page.getByRole("dialog", { name: "Cancel this run?" });
  await cancel.getByText("Unfinished tasks to cancel").waitFor();
  await cancel.getByRole("listitem").filter({ hasText: "extract" }).waitFor();
  await cancel.getByRole("button", { name: "Cancel run" }).click();
  await page.getByText("Cancelled").first().waitFor();
  expect(nativeDialogs).toEqual([]);
});

it("draws operator icons as SVG and says beside a disabled button why it is disabled", async () => {
  await page.goto(`${ws()}/dags/chain/edit`);
  const add = page.getByRole("button", { name: "Add HTTP request task" });
  await add.waitFor();
  expect(await add.locator("svg").count()).toBe(1);
  // No emoji anywhere in the palette (they render as empty boxes without an emoji font).
  const palette = (await page.getByRole("navigation", { name: "Operators" }).textContent()) ?? "";
  expect(palette).not.toMatch(/\p{Extended_Pictographic}/u);

  await page.goto(`${ws()}/dags/chain`);
  const backfill = page.getByRole("button", { name: "Backfill" });
  expect(await backfill.isDisabled()).toBe(true);
  const reason = await backfill.getAttribute("aria-describedby");
  expect(await page.locator(`#${reason?.replace(/:/g, "\\:")}`).textContent()).toMatch(/needs a schedule/);
  expect(await page.getByText("Backfill needs a schedule").isVisible()).toBe(true);
  expect(consoleErrors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
});
