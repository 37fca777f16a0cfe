// SLAs, alerts and lineage in a real Chromium: a run that missed its SLA is shown on the DAG page
// (its misses and the ring on its column of the runs grid), on its run page and on the Alerts
// page with the alert its rule sent; a rule is made in the dialog and muted; the lineage page
// draws the three-DAG chain linked by a DAG trigger, a trigger_dag task and a sensor, and a DAG's
// page lists its upstream and downstream.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlertRule } from "@/server/alerts/rules";
import { db } from "@/server/db/client";
import { triggerRun } from "@/server/engine/runs";
import { generateKey } from "@/server/secrets/crypto";
import { openWorkspace } from "@/server/tenancy/door";
import { createDagTrigger } from "@/server/triggers/dag-triggers";
import { alertJobsDone, passDeadline, slaChecksOf } from "../support/alerts";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { createUser } from "../support/factories";
import { until } from "../support/until";

process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let app: App;
let browser: Browser;
let owner: Awaited<ReturnType<typeof createUser>>;
let person: Awaited<ReturnType<typeof newPerson>>;
let page: Page;
let lateRun: string;

const LONG = { timeout: 60_000 };

beforeAll(async () => {
  owner = await createUser("sla-owner");
  const workspace = owner.workspace.slug;
  const scope = await openWorkspace(owner.caller, workspace, "dags:write");
  const push = (document: Parameters<typeof owner.api.dags.push>[0]["document"]) =>
    owner.api.dags.push({ workspace, document });
  await push({
    id: "nightly",
    sla: { maxDurationMinutes: 1 },
    tasks: [{ id: "load", operator: "test", config: { durationMs: 2500 } }],
  });
  await push({ id: "ingest", tasks: [{ id: "load", operator: "noop" }] });
  await push({
    id: "transform",
    tasks: [
      { id: "work", operator: "noop" },
      { id: "kick", operator: "trigger_dag", dependsOn: ["work"], config: { dagId: "publish" } },
    ],
  });
  await push({
    id: "publish",
    tasks: [
      {
        id: "wait_transform",
        operator: "external_run_sensor",
        config: { dagId: "transform", match: "latest", pokeIntervalSeconds: 1 },
      },
    ],
  });
  await createDagTrigger(scope, { dagId: "transform", upstreamDagId: "ingest", on: ["success"] });
  await createAlertRule(scope, {
    name: "Deadlines",
    kind: "sla_miss",
    channels: [{ channel: "in_app" }],
    throttleMinutes: 60,
    enabled: true,
  });
  await startTestWorker(4);

  // A run two minutes late for its one-minute SLA: the check comes due while it still runs.
  lateRun = (await triggerRun(scope, { dagKey: "nightly" })).id;
  await until("the duration check", async () => (await slaChecksOf(lateRun)).length === 1);
  await passDeadline(lateRun, "dag.max_duration", { runStartedMinutesAgo: 3 });
  await until("the miss", async () => (await db.slaMiss.count({ where: { runId: lateRun } })) === 1);
  await waitForRun(lateRun, 60_000);
  // The chain: ingest's success triggers transform, whose task starts publish, whose sensor waits.
  await waitForRun((await triggerRun(scope, { dagKey: "ingest" })).id, 60_000);
  const publish = await until(
    "a run of publish",
    async () => (await db.dagRun.findFirst({ where: { dag: { key: "publish" } }, select: { id: true } }))?.id,
  );
  await waitForRun(publish, 60_000);
  await alertJobsDone();

  app = await startApp();
  browser = await launchBrowser();
  person = await newPerson(browser, app);
  page = person.page;
  await page.setViewportSize({ width: 1440, height: 1000 });
  await signIn(page, owner);
});

afterAll(async () => {
  await stopTestWorker();
  await browser?.close();
  await app?.stop();
});

const ws = () => `/w/${owner.workspace.slug}`;

describe("SLA misses", () => {
  it("are shown on the DAG page, in the runs grid and on the run page", async () => {
    await page.goto(`${ws()}/dags/nightly`);
    const misses = page.getByRole("table", { name: "SLA misses, newest deadline first" });
    await misses.waitFor(LONG);
    await expect.poll(() => misses.getByRole("row").count(), { timeout: 30_000 }).toBe(2);
    const row = misses.getByRole("row").nth(1);
    expect(await row.textContent()).toMatch(/the run: maximum duration/);
    expect(await row.textContent()).toMatch(/\d+ min \d+ s late/);
    // The grid's column of the run is ringed and says so.
    await page
      .getByRole("link", { name: /missed an SLA/ })
      .first()
      .waitFor(LONG);
    await screenshot(page, "sla-dag-page");

    await page
      .getByRole("link", { name: /missed an SLA/ })
      .first()
      .click();
    await page.waitForURL(new RegExp(`/runs/${lateRun}`));
    const banner = page.getByText("This run missed an SLA");
    await banner.waitFor(LONG);
    expect(await page.getByRole("alert").filter({ hasText: "This run missed an SLA" }).textContent()).toMatch(
      /the run: maximum duration, deadline .*late/,
    );
  });

  it("are listed on the Alerts page with the alert their rule sent", async () => {
    await page.goto(`${ws()}/alerts`);
    await page
      .getByRole("table", { name: "Alert rules" })
      .getByRole("cell", { name: "Deadlines", exact: true })
      .waitFor(LONG);
    const sent = page.getByRole("table", { name: "Alerts sent, newest first" });
    await sent.getByText("nightly missed its SLA").waitFor(LONG);
    expect(await sent.textContent()).toContain("in-app members: sent");
    await page
      .getByRole("table", { name: "SLA misses, newest deadline first" })
      .getByText("nightly")
      .waitFor(LONG);
    await screenshot(page, "alerts-page");
  });

  it("makes a rule in the dialog and mutes it", async () => {
    await page.goto(`${ws()}/alerts`);
    await page.getByRole("button", { name: "New alert rule" }).click();
    const dialog = page.getByRole("dialog", { name: "New alert rule" });
    await dialog.getByLabel("Name").fill("Ingest keeps failing");
    await dialog.getByLabel("Alert when").selectOption("consecutive_failures");
    await dialog.getByLabel("DAG", { exact: true }).selectOption("ingest");
    await dialog.getByLabel("Failures in a row").fill("4");
    await dialog.getByRole("button", { name: "Create rule" }).click();
    await dialog.waitFor({ state: "detached", ...LONG });
    const rules = page.getByRole("table", { name: "Alert rules" });
    await rules.getByText("4 failures in a row").waitFor(LONG);
    await rules.getByRole("button", { name: "Mute 1 h Ingest keeps failing" }).click();
    await rules.getByRole("button", { name: "Unmute Ingest keeps failing" }).waitFor(LONG);
    const rule = await db.alertRule.findFirstOrThrow({ where: { name: "Ingest keeps failing" } });
    expect(rule).toMatchObject({
      kind: "consecutive_failures",
      settings: { count: 4 },
      channels: [{ channel: "in_app" }],
    });
    expect(rule.mutedUntil!.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
  });
});

describe("lineage", () => {
  it("draws the chain and lists every link with its last event", async () => {
    await page.goto(`${ws()}/lineage`);
    await page.getByLabel("Lineage graph").waitFor(LONG);
    for (const dag of ["ingest", "transform", "publish"]) {
      const node = page.locator(`.react-flow__node[data-id="${dag}"]`);
      await node.waitFor(LONG);
      expect(await node.getAttribute("aria-label")).toMatch(new RegExp(`^Task ${dag}, last run success`));
    }
    // The trigger from ingest, and transform's two links to publish drawn as one edge.
    expect(
      await page.locator('.react-flow__edge[data-id="ingest->transform"]').getAttribute("aria-label"),
    ).toBe("transform follows ingest: DAG trigger on success");
    expect(
      await page.locator('.react-flow__edge[data-id="transform->publish"]').getAttribute("aria-label"),
    ).toBe("publish follows transform: sensor wait_transform (waits for success); trigger_dag task kick");
    const links = page.getByRole("table", { name: "Links between DAGs" });
    await expect.poll(() => links.getByRole("row").count(), { timeout: 30_000 }).toBe(4);
    const text = (await links.textContent()) ?? "";
    expect(text).toContain("DAG trigger on success");
    expect(text).toContain("trigger_dag task kick");
    expect(text).toContain("sensor wait_transform");
    expect(text).not.toContain("Never yet");
    await screenshot(page, "lineage");

    await page.goto(`${ws()}/dags/transform`);
    const upstream = page.getByRole("table", { name: "Upstream: DAGs this one follows" });
    await upstream.waitFor(LONG);
    expect(await upstream.textContent()).toContain("ingest");
    const downstream = page.getByRole("table", { name: "Downstream: DAGs that follow this one" });
    expect(await downstream.textContent()).toMatch(/publish.*trigger_dag task kick/s);
    expect(person.consoleErrors).toEqual([]);
  });
});
