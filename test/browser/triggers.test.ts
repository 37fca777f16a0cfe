// How runs get started from the browser, in a real Chromium: a webhook endpoint made on the
// Webhooks page and called with the curl example copied from it (run by bash, signed by openssl),
// its delivery in the log and replayed; a backfill watched to the end and another cancelled; the
// editor's preview of a cron schedule; and an approval task approved (and one rejected) on the run
// page.
import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { generateKey } from "@/server/secrets/crypto";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { createUser } from "../support/factories";

// The worker runs in this process and the app in a child: both read this.
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

const run = promisify(execFile);

let app: App;
let browser: Browser;
let owner: Awaited<ReturnType<typeof createUser>>;
let person: Awaited<ReturnType<typeof newPerson>>;
let page: Page;

/** Generous: two cores shared with other suites. */
const LONG = { timeout: 60_000 };

beforeAll(async () => {
  owner = await createUser("owner");
  const workspace = owner.workspace.slug;
  await owner.api.dags.push({
    workspace,
    document: {
      id: "hooked",
      params: { ref: { type: "string", default: "main" } },
      tasks: [{ id: "build", operator: "test", config: { output: { built: true } } }],
    },
  });
  await owner.api.dags.push({
    workspace,
    document: {
      id: "daily",
      schedule: { type: "cron", cron: "@daily", timezone: "UTC" },
      startDate: "2019-01-01",
      maxActiveRuns: 1,
      tasks: [{ id: "work", operator: "test", config: { durationMs: 200 } }],
    },
  });
  await owner.api.dags.push({
    workspace,
    document: {
      id: "gated",
      tasks: [
        { id: "sign_off", operator: "approval", config: { message: "Ship the release?" } },
        { id: "ship", operator: "test", dependsOn: ["sign_off"] },
      ],
    },
  });
  await startTestWorker(4);
  app = await startApp();
  browser = await launchBrowser();
  person = await newPerson(browser, app);
  page = person.page;
  // Confirmations (cancel a backfill, leave the editor) are answered yes.
  page.on("dialog", (dialog) => void dialog.accept());
  await page.setViewportSize({ width: 1440, height: 960 });
  await signIn(page, owner);
});

afterAll(async () => {
  await stopTestWorker();
  await browser?.close();
  await app?.stop();
});

const ws = () => `/w/${owner.workspace.slug}`;

/** The text of a snippet region's code. */
const snippet = (name: string) =>
  page
    .getByRole("region", { name, exact: true })
    .locator("pre")
    .textContent()
    .then((text) => text ?? "");

describe("webhooks", () => {
  it("creates an endpoint whose copied curl example starts a run, logs it and replays it", async () => {
    await page.goto(`${ws()}/webhooks`);
    await page.getByText("No webhook endpoints yet").waitFor(LONG);

    await page.getByRole("button", { name: "New endpoint" }).click();
    const dialog = page.getByRole("dialog", { name: "New webhook endpoint" });
    await dialog.getByLabel("DAG").selectOption("hooked");
    await dialog.getByLabel("Name").fill("ci");
    await dialog.getByLabel("ref", { exact: true }).fill("/ref");
    await dialog.getByRole("button", { name: "Create endpoint" }).click();

    // The secret, once, with a curl example that uses it.
    const example = await snippet("curl example with the secret");
    const secret = await page.getByLabel("Secret", { exact: true }).inputValue();
    expect(secret).toMatch(/^whsec_/);
    expect(example).toContain(secret);
    expect(example).toContain("X-Baton-Signature: t=$T,v1=$SIG");
    await screenshot(page, "webhook-created");

    const { stdout } = await run("bash", ["-c", example], { timeout: 60_000 });
    const answer = JSON.parse(stdout) as { runId: string; duplicate: boolean };
    expect(answer.duplicate).toBe(false);
    const first = await waitForRun(answer.runId, 60_000);
    expect(first.state).toBe("success");
    expect(first.triggeredBy).toBe("webhook");
    expect(first.params).toEqual({ ref: "main" });

    await page.getByRole("button", { name: "I have copied the secret" }).click();
    // The endpoint stays open with its log, which shows the delivery (it polls).
    const deliveries = page.getByRole("table", { name: "Deliveries" });
    await deliveries.getByText("accepted · 202").waitFor(LONG);

    // The example kept on the page reads the secret from the environment and works as well.
    const kept = await snippet("curl example");
    expect(kept).not.toContain(secret);
    const again = await run("bash", ["-c", kept], { env: { ...process.env, WEBHOOK_SECRET: secret } });
    expect(JSON.parse(again.stdout).runId).toBeTruthy();
    await expect.poll(() => deliveries.getByText("accepted · 202").count(), LONG).toBe(2);

    await deliveries.getByRole("button", { name: "Replay the delivery" }).first().click();
    await page.getByText("Replayed as a new run").waitFor(LONG);
    await expect.poll(() => deliveries.getByText("accepted · 202").count(), LONG).toBe(3);
    const endpoint = await db.webhookEndpoint.findFirstOrThrow({ where: { name: "ci" } });
    const logged = await db.webhookDelivery.findMany({ where: { endpointId: endpoint.id } });
    expect(logged).toHaveLength(3);
    expect(logged.filter((d) => d.replayOf !== null)).toHaveLength(1);

    // A delivery opens to its headers, the signature redacted, and its body.
    await deliveries.getByRole("button", { name: "Details of the delivery" }).last().click();
    await deliveries.getByText("[redacted]").first().waitFor(LONG);
    await deliveries.getByText('"ref": "main"').first().waitFor(LONG);
    await screenshot(page, "webhooks");
    expect(person.consoleErrors).toEqual([]);
  });
});

describe("provider presets", () => {
  it("connects Stripe with its own pasted secret: a Stripe-signed event starts a run once", async () => {
    await page.goto(`${ws()}/webhooks`);
    await page.getByRole("button", { name: "New endpoint" }).click();
    const dialog = page.getByRole("dialog", { name: "New webhook endpoint" });
    await dialog.getByLabel("DAG").selectOption("hooked");
    await dialog.getByLabel("Name").fill("stripe");
    await dialog.getByLabel("Sender").selectOption("stripe");
    await dialog.getByLabel("Secret", { exact: true }).selectOption("paste");
    // Stripe makes the secret; Baton must take it as given.
    const stripeSecret = "whsec_pasted_from_the_stripe_dashboard_1234";
    await dialog.getByLabel("The sender's secret").fill(stripeSecret);
    await dialog.getByLabel("ref", { exact: true }).fill("/data/object/ref");
    await dialog.getByRole("button", { name: "Create endpoint" }).click();
    await page.getByText("The sender's secret is stored").waitFor(LONG);
    const url = await page.getByLabel("URL", { exact: true }).inputValue();
    await page.getByRole("button", { name: "Done" }).click();

    // Signed as Stripe signs (Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.body">).
    const send = async () => {
      const body = JSON.stringify({
        id: "evt_ui_1",
        type: "charge.succeeded",
        data: { object: { ref: "v1.2" } },
      });
      const t = Math.floor(Date.now() / 1000);
      const v1 = createHmac("sha256", stripeSecret).update(`${t}.${body}`).digest("hex");
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": `t=${t},v1=${v1}` },
        body,
      });
      return {
        status: response.status,
        body: (await response.json()) as { runId: string; duplicate: boolean },
      };
    };
    const first = await send();
    expect(first.status).toBe(202);
    expect(first.body.duplicate).toBe(false);
    const ran = await waitForRun(first.body.runId, 60_000);
    expect(ran.state).toBe("success");
    expect(ran.params).toEqual({ ref: "v1.2" });
    // Stripe retries an event with the same id: its event id is the idempotency key.
    const again = await send();
    expect(again.body).toMatchObject({ runId: first.body.runId, duplicate: true });
    expect(person.consoleErrors).toEqual([]);
  });
});

describe("backfills", () => {
  it("runs a three-day range to 3/3 and cancels a long one", async () => {
    await page.goto(`${ws()}/dags/hooked`);
    const unscheduled = page.getByRole("button", { name: "Backfill", exact: true });
    await unscheduled.waitFor(LONG);
    expect(await unscheduled.isDisabled()).toBe(true);

    await page.goto(`${ws()}/dags/daily`);
    await page.getByText("No backfills").waitFor(LONG);
    await page.getByRole("button", { name: "Backfill", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Backfill daily" });
    await dialog.getByLabel("From (logical date)").fill("2025-01-01T00:00");
    await dialog.getByLabel("To (logical date)").fill("2025-01-03T00:00");
    await dialog.getByLabel("Note").fill("three days");
    await screenshot(page, "backfill-dialog");
    await dialog.getByRole("button", { name: "Start backfill" }).click();
    await page.getByText("Backfill started: 3 runs to create.").waitFor(LONG);

    const backfills = page.getByRole("table", { name: "Backfills" });
    const short = backfills.getByRole("row").filter({ hasText: "three days" });
    await short.getByText("3/3").waitFor(LONG);
    await short.getByText("Done").waitFor(LONG);
    const runs = await db.dagRun.findMany({
      where: { dag: { key: "daily" }, triggeredBy: "backfill" },
      select: { logicalDate: true },
      orderBy: { logicalDate: "asc" },
    });
    expect(runs.map((r) => r.logicalDate.toISOString())).toEqual([
      "2025-01-01T00:00:00.000Z",
      "2025-01-02T00:00:00.000Z",
      "2025-01-03T00:00:00.000Z",
    ]);

    // Six years of days: with one run at a time it is still going when cancelled.
    await page.getByRole("button", { name: "Backfill", exact: true }).click();
    await dialog.getByLabel("From (logical date)").fill("2019-01-01T00:00");
    await dialog.getByLabel("To (logical date)").fill("2024-12-31T00:00");
    await dialog.getByLabel("Note").fill("six years");
    await dialog.getByRole("button", { name: "Start backfill" }).click();
    const long = backfills.getByRole("row").filter({ hasText: "six years" });
    await long.getByText("/2192").waitFor(LONG);
    await long.getByRole("button", { name: "Cancel backfill" }).click();
    const confirm = page.getByRole("dialog", { name: "Cancel this backfill?" });
    await confirm.getByRole("button", { name: "Cancel backfill" }).click();
    await confirm.waitFor({ state: "detached", ...LONG });
    await long.getByText("Cancelled", { exact: true }).waitFor(LONG);
    const cancelled = await db.backfill.findFirstOrThrow({ where: { note: "six years" } });
    expect(cancelled.state).toBe("cancelled");
    expect(cancelled.created).toBeLessThan(cancelled.total);
    await screenshot(page, "backfills");
    expect(person.consoleErrors).toEqual([]);
  });
});

describe("the schedule preview", () => {
  it("shows the next fire times of a cron typed in the editor, and why one is invalid", async () => {
    await page.goto(`${ws()}/dags/new`);
    await page.getByLabel("Schedule", { exact: true }).selectOption("cron");
    await page.getByLabel("Cron expression").fill("30 6 * * 1-5");
    await page.getByLabel("Time zone").selectOption("Europe/Paris");
    const preview = page.getByRole("region", { name: "Next runs" });
    // Five runs, each at 06:30 in Paris on a weekday (the default schedule's preview may show first).
    const parisTimes = async () =>
      (
        await preview
          // Each run's start time (its logical date is the <time> nested in the line below it).
          .locator("li > time")
          .evaluateAll((nodes) => nodes.map((node) => node.getAttribute("datetime")!))
      )
        .map((time) => new Date(time))
        .map((time) =>
          time.toLocaleString("en-GB", {
            timeZone: "Europe/Paris",
            weekday: "short",
            hour: "2-digit",
            minute: "2-digit",
          }),
        );
    await expect
      .poll(
        async () => (await parisTimes()).map((time) => time.replace(/^(Mon|Tue|Wed|Thu|Fri) /, "weekday ")),
        LONG,
      )
      .toEqual(Array(5).fill("weekday 06:30"));
    expect(await preview.textContent()).toContain("Europe/Paris");
    await preview.scrollIntoViewIfNeeded();
    await screenshot(page, "schedule-preview");

    await page.getByLabel("Cron expression").fill("61 * * * *");
    await preview.getByRole("alert").waitFor(LONG);
    expect(await preview.getByRole("alert").textContent()).toContain("schedule.cron");
    expect(person.consoleErrors).toEqual([]);
  });
});

describe("approvals", () => {
  it("are approved from the task drawer (the run succeeds) and rejected from the banner (it fails)", async () => {
    const workspace = owner.workspace.slug;
    const { id: approved } = await owner.api.runs.trigger({ workspace, dagId: "gated" });
    await page.goto(`${ws()}/runs/${approved}`);
    const banner = page.getByRole("region", { name: "Waiting for approval" });
    await banner.getByText("Ship the release?").waitFor(LONG);
    await screenshot(page, "approval-waiting");
    await banner.getByRole("button", { name: "Open task sign_off" }).click();
    const drawer = page.getByRole("complementary", { name: "Task sign_off" });
    await drawer.getByLabel("Comment (optional)").fill("looks good");
    await drawer.getByRole("button", { name: "Approve sign_off" }).click();
    expect((await waitForRun(approved, 60_000)).state).toBe("success");
    await page.getByRole("heading", { level: 1 }).getByText("Success").waitFor(LONG);
    await expect.poll(() => banner.count(), LONG).toBe(0);

    const { id: rejected } = await owner.api.runs.trigger({ workspace, dagId: "gated" });
    await page.goto(`${ws()}/runs/${rejected}`);
    await banner.getByText("Ship the release?").waitFor(LONG);
    await banner.getByRole("button", { name: "Reject sign_off" }).click();
    const ended = await waitForRun(rejected, 60_000);
    expect(ended.state).toBe("failed");
    await page.getByRole("heading", { level: 1 }).getByText("Failed").waitFor(LONG);
    const audit = await db.auditEvent.findMany({
      where: { workspaceId: owner.workspace.id, action: { startsWith: "approval." } },
      select: { action: true },
    });
    expect(audit.map((a) => a.action).sort()).toEqual(["approval.approve", "approval.reject"]);
    await screenshot(page, "approval-decided");
    expect(person.consoleErrors).toEqual([]);
  });
});
