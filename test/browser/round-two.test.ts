// Issue 22, round two, in a real Chromium: the overview's DAG names open the DAG; a DAG's runs as
// a calendar; the schedule preview says which times are start times and which logical dates; a
// backfill whose runs failed says so; a thrown error's log entry puts the message before its stack
// and the header counts entries; an invitation's sign-up has the invited address filled in.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "@/server/secrets/crypto";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { createUser, uniqueEmail } from "../support/factories";

// The worker runs in this process and the app in a child: both read this.
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

/** Generous: two cores shared with other suites. */
const LONG = { timeout: 60_000 };

let app: App;
let browser: Browser;
let page: Page;
let consoleErrors: string[];
let owner: Awaited<ReturnType<typeof createUser>>;
let failedRunId: string;
const ws = () => `/w/${owner.workspace.slug}`;

const throwing = [
  "function check(value) {",
  '  if (value > 1) throw new TypeError("the value " + value + " is too large");',
  "}",
  "check(2);",
].join("\n");

beforeAll(async () => {
  owner = await createUser("round-two");
  const workspace = owner.workspace.slug;
  await owner.api.dags.push({
    workspace,
    document: {
      id: "brittle",
      schedule: { type: "cron", cron: "@daily", timezone: "UTC" },
      startDate: "2025-01-01T00:00:00Z",
      tasks: [{ id: "check", operator: "code", retries: 0, config: { source: throwing } }],
    },
  });
  await startTestWorker();
  const run = await owner.api.runs.trigger({ workspace, dagId: "brittle" });
  failedRunId = run.id;
  expect((await waitForRun(run.id, 120_000)).state).toBe("failed");
  app = await startApp();
  browser = await launchBrowser();
  const person = await newPerson(browser, app);
  page = person.page;
  consoleErrors = person.consoleErrors;
  page.on("dialog", (dialog) => void dialog.accept());
  await page.setViewportSize({ width: 1440, height: 960 });
  await signIn(page, owner);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await stopTestWorker();
});

describe("the overview", () => {
  it("opens the DAG from a recent run's DAG name, and the run from its id", async () => {
    await page.goto(ws());
    const recent = page.getByRole("table", { name: "Recent runs" });
    await recent.getByRole("link", { name: "brittle" }).first().click();
    await page.waitForURL(new RegExp(`${ws()}/dags/brittle$`), LONG);
    await page.goto(ws());
    await recent.getByRole("link", { name: failedRunId.slice(0, 8) }).click();
    await page.waitForURL(new RegExp(`${ws()}/runs/${failedRunId}`), LONG);
  });
});

describe("a thrown error's log", () => {
  it("shows the message first, then the stack, in one entry, and counts entries", async () => {
    await page.goto(`${ws()}/runs/${failedRunId}?task=check`);
    const log = page.getByRole("log", { name: "Log of check, attempt 1" });
    await log.waitFor(LONG);
    const entries = log.locator(":scope > div");
    await expect.poll(() => entries.count(), LONG).toBeGreaterThanOrEqual(2);
    const texts = await entries.allTextContents();
    const withStack = texts.find((text) => text.includes("\n"));
    expect(withStack, texts.join("\n---\n")).toBeDefined();
    const [first, ...frames] = withStack!.split("\n");
    expect(first).toMatch(/ERROR TypeError: the value 2 is too large$/);
    expect(frames.join("\n")).toMatch(/\bat\b/);
    // The header counts what is shown: an entry with its stack is one.
    const panel = page.getByRole("complementary", { name: "Task check" });
    await panel.getByText(`${texts.length} entries`, { exact: true }).waitFor(LONG);
    await screenshot(page, "thrown-error-log");
  });
});

describe("backfills", () => {
  it("says when a backfill's runs failed instead of Done", async () => {
    await owner.api.backfills.create({
      workspace: owner.workspace.slug,
      dagId: "brittle",
      from: "2025-02-01T00:00:00Z",
      to: "2025-02-02T00:00:00Z",
      note: "two failing days",
    });
    await page.goto(`${ws()}/dags/brittle`);
    const row = page
      .getByRole("table", { name: "Backfills" })
      .getByRole("row")
      .filter({ hasText: "two failing days" });
    await row.getByText("2 runs failed").waitFor({ timeout: 120_000 });
    await row.getByText("Runs: 2 failed").waitFor(LONG);
    expect(await row.getByText("Done", { exact: true }).count()).toBe(0);
  });
});

describe("a DAG's runs", () => {
  it("show as a calendar, and a day picked lists that day's runs", async () => {
    await page.goto(`${ws()}/dags/brittle`);
    await page.getByRole("table", { name: "Runs" }).waitFor(LONG);
    await page.getByRole("button", { name: "Calendar" }).click();
    const calendar = page.getByRole("region", { name: "Runs calendar" });
    await calendar.waitFor(LONG);
    // The backfill's logical dates were in February 2025: go back there.
    const target = new Date(Date.UTC(2025, 1, 1));
    const now = new Date();
    const back = (now.getUTCFullYear() - 2025) * 12 + now.getUTCMonth() - target.getUTCMonth();
    for (let i = 0; i < back; i++) await calendar.getByRole("button", { name: "Previous month" }).click();
    await calendar.getByRole("heading", { name: "February 2025" }).waitFor(LONG);
    const day = calendar.getByRole("listitem", { name: "2025-02-01: 1 failed" });
    await day.waitFor(LONG);
    await screenshot(page, "dag-runs-calendar");
    await day.getByRole("button").click();
    await page.getByText("Logical date 2025-02-01 (UTC)").waitFor(LONG);
    const rows = page.getByRole("table", { name: "Runs" }).getByRole("row");
    // The header row and the one run of that day.
    await expect.poll(() => rows.count(), LONG).toBe(2);
    await page.getByRole("button", { name: "Every day" }).click();
    // The manual run and both backfill runs (and the schedule's latest, once it has run).
    await expect.poll(() => rows.count(), LONG).toBeGreaterThanOrEqual(4);
  });
});

describe("the schedule preview", () => {
  it("says its times are start times and shows each run's logical date", async () => {
    await page.goto(`${ws()}/dags/brittle/edit`);
    const preview = page.getByRole("region", { name: "Next runs" });
    await preview.getByRole("heading", { name: "Next 5 runs: start times" }).waitFor(LONG);
    const first = preview.getByRole("listitem").first();
    await expect.poll(() => first.textContent(), LONG).toMatch(/^Starts .*Logical date /);
    // A daily schedule: each run starts a day after its logical date.
    const [startsAt, logicalDate] = await first
      .locator("time")
      .evaluateAll((times) => times.map((t) => Date.parse(t.getAttribute("datetime") ?? "")));
    expect(startsAt! - logicalDate!).toBe(86_400_000);
  });
});

describe("an invitation", () => {
  it("fills the invited address in on sign-up and promises no workspace of one's own", async () => {
    const email = uniqueEmail("invited");
    const { link } = await owner.api.members.invite({
      workspace: owner.workspace.slug,
      email,
      role: "VIEWER",
    });
    const stranger = await newPerson(browser, app);
    await stranger.page.goto(new URL(link).pathname);
    await stranger.page.getByRole("link", { name: "Sign up" }).click();
    await stranger.page.waitForURL(/\/sign-up\?/, LONG);
    await expect.poll(() => stranger.page.getByLabel("E-mail").inputValue(), LONG).toBe(email);
    const body = await stranger.page.locator("main").textContent();
    expect(body).not.toContain("workspace of your own");
    expect(body).toContain(`join ${owner.workspace.name}`);
    await stranger.context.close();
    expect(stranger.consoleErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});

describe("an empty workspace", () => {
  it("offers templates; the fan-out one opens the editor filled in, saves and runs", async () => {
    const newcomer = await createUser("newcomer");
    const person = await newPerson(browser, app);
    const p = person.page;
    await p.setViewportSize({ width: 1440, height: 960 });
    await signIn(p, newcomer);
    const gallery = p.getByRole("region", { name: "Or start from a template" });
    await gallery.waitFor(LONG);
    expect(await gallery.getByRole("listitem").allTextContents()).toEqual([
      expect.stringContaining("Weather pipeline"),
      expect.stringContaining("HTTP → SQL load"),
      expect.stringContaining("Webhook-triggered"),
      expect.stringContaining("Fan-out"),
    ]);
    await screenshot(p, "template-gallery");
    await gallery
      .getByRole("listitem", { name: "Fan-out" })
      .getByRole("link", { name: /Use this template/ })
      .click();
    await p.waitForURL(/\/dags\/new\?template=fan-out$/, LONG);
    for (const id of ["list_regions", "report", "summarise"]) {
      await p.locator(`.react-flow__node[data-id="${id}"]`).waitFor(LONG);
    }
    const analysis = p.getByRole("region", { name: "Analysis" });
    await expect.poll(() => analysis.textContent(), LONG).toContain("Valid");
    await p.keyboard.press("Control+s");
    await p.getByLabel("What changed?").fill("From the fan-out template");
    await p.getByRole("button", { name: "Save version" }).click();
    await p.waitForURL(/\/dags\/regional_report$/, LONG);
    await p.getByRole("button", { name: "Trigger" }).click();
    await p.getByRole("button", { name: "Trigger run" }).click();
    await p.waitForURL(/\/runs\/[0-9a-f-]+$/, LONG);
    const runId = p.url().split("/").at(-1)!;
    const run = await waitForRun(runId, 120_000);
    expect(run.state).toBe("success");
    await person.context.close();
    expect(person.consoleErrors).toEqual([]);
  });
});

describe("Lay out", () => {
  it("fits the view: the last task of a five-task chain is on screen after panning away", async () => {
    const ids = ["one", "two", "three", "four", "five"];
    await owner.api.dags.push({
      workspace: owner.workspace.slug,
      document: {
        id: "chain",
        tasks: ids.map((id, i) => ({ id, operator: "noop", ...(i > 0 ? { dependsOn: [ids[i - 1]!] } : {}) })),
      },
    });
    await page.goto(`${ws()}/dags/chain/edit`);
    const canvas = page.locator(".react-flow").first();
    const last = page.locator('.react-flow__node[data-id="five"]');
    await last.waitFor(LONG);
    // Pan the chain mostly out of sight, as an author moving around does.
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height - 20);
    await page.mouse.down();
    await page.mouse.move(box.x + 40, box.y + box.height - 20, { steps: 8 });
    await page.mouse.up();
    await page.getByRole("button", { name: "Lay out" }).click();
    const inside = async () => {
      const frame = (await canvas.boundingBox())!;
      const node = await last.boundingBox();
      return (
        !!node &&
        node.x >= frame.x &&
        node.y >= frame.y &&
        node.x + node.width <= frame.x + frame.width &&
        node.y + node.height <= frame.y + frame.height
      );
    };
    await expect.poll(inside, LONG).toBe(true);
    await screenshot(page, "lay-out-chain");
  });
});
