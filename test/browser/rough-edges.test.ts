// Rough edges of issue 22, each in a real Chromium: a new DAG nobody touched is "Not saved yet"
// with no field in red; a task panel says "Attempt 1 of 2" only while a retry remains; "Sign out
// everywhere" asks in the app's own dialog, never the browser's confirm().
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "@/server/secrets/crypto";
import { type App, launchBrowser, newPerson, signIn, startApp } from "../support/browser";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { createUser } from "../support/factories";

// The worker runs in this process and the app in a child: both read this.
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

/** Generous: two cores shared with other suites. */
const LONG = { timeout: 60_000 };

let app: App;
let browser: Browser;
let page: Page;
let consoleErrors: string[];
let owner: Awaited<ReturnType<typeof createUser>>;
const nativeDialogs: string[] = [];

beforeAll(async () => {
  owner = await createUser("edges");
  await startTestWorker();
  app = await startApp();
  browser = await launchBrowser();
  const person = await newPerson(browser, app);
  page = person.page;
  consoleErrors = person.consoleErrors;
  page.on("dialog", (dialog) => {
    // Leaving the editor with unsaved changes asks the browser's own question: leave.
    if (dialog.type() === "beforeunload") return void dialog.accept();
    nativeDialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.setViewportSize({ width: 1440, height: 960 });
  await signIn(page, owner);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await stopTestWorker();
});

describe("the editor with a new DAG", () => {
  it("says it is not saved yet and shows no problem until something is typed", async () => {
    await page.goto(`/w/${owner.workspace.slug}/dags/new`);
    const id = page.getByLabel("id (required)");
    await id.waitFor();
    await expect.poll(() => page.getByText("Not saved yet").count(), LONG).toBe(1);
    expect(await page.getByText("All changes saved").count()).toBe(0);
    // Validation has answered (the preview or problems would show by now): still nothing red.
    await page.waitForTimeout(1500);
    expect(await id.getAttribute("aria-invalid")).toBeNull();
    await id.fill("Not An Id!");
    await expect.poll(() => id.getAttribute("aria-invalid"), LONG).toBe("true");
  });
});

describe("the task panel", () => {
  it("counts attempts against retries only while a retry remains", async () => {
    const workspace = owner.workspace.slug;
    await owner.api.dags.push({
      workspace,
      document: { id: "retrying", tasks: [{ id: "fine", operator: "noop", retries: 1 }] },
    });
    const { id: runId } = await owner.api.runs.trigger({ workspace, dagId: "retrying" });
    expect((await waitForRun(runId, 120_000)).state).toBe("success");
    await page.goto(`/w/${workspace}/runs/${runId}?task=fine`);
    const panel = page.getByRole("complementary", { name: "Task fine" });
    await panel.waitFor({ timeout: 60_000 });
    await panel.getByText("Attempt 1", { exact: true }).waitFor({ timeout: 60_000 });
    expect(await panel.textContent()).not.toContain("of 2");
  });
});

describe("the account page", () => {
  it("asks before signing out everywhere, in its own dialog", async () => {
    await page.goto("/account");
    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    const dialog = page.getByRole("dialog", { name: "Sign out everywhere?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(nativeDialogs).toEqual([]);
    // Still signed in.
    await page.goto(`/w/${owner.workspace.slug}`);
    await expect.poll(() => page.url(), LONG).toContain(`/w/${owner.workspace.slug}`);
    expect(consoleErrors).toEqual([]);
  });
});
