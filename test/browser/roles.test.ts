// What a Viewer sees in a real Chromium: DAGs, runs, logs and configuration, and none of the
// controls that change them; and the server refusing those changes when asked directly anyway.
import type { APIRequestContext, Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { acceptInvitation } from "@/server/members/service";
import { generateKey } from "@/server/secrets/crypto";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { createUser } from "../support/factories";

process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let app: App;
let browser: Browser;
let owner: Awaited<ReturnType<typeof createUser>>;
let viewer: Awaited<ReturnType<typeof createUser>>;
let runId: string;

const pipeline = (retries: number) => ({
  id: "nightly",
  tasks: [
    { id: "extract", operator: "test", config: { output: { rows: 3 } } },
    { id: "check", operator: "test", dependsOn: ["extract"], retries, config: { outcome: "fail" } },
  ],
});

beforeAll(async () => {
  owner = await createUser("owner");
  viewer = await createUser("viewer");
  const workspace = owner.workspace.slug;
  const { link } = await owner.api.members.invite({ workspace, email: viewer.email, role: "VIEWER" });
  await acceptInvitation({ secret: link.split("/").at(-1)!, userId: viewer.user.id, email: viewer.email });
  await owner.api.dags.push({ workspace, document: pipeline(2), message: "first" });
  await owner.api.dags.push({ workspace, document: pipeline(0), message: "no retries for the check" });
  await owner.api.variables.create({ workspace, key: "region", value: "eu" });
  await owner.api.secrets.create({ workspace, name: "API_KEY", value: "s3cret" });
  await owner.api.connections.create({
    workspace,
    name: "reports",
    type: "http",
    config: { baseUrl: "https://reports.example.com", authHeaderValue: "Bearer s3cret" },
  });
  await owner.api.webhooks.create({ workspace, dagId: "nightly", name: "github", authMode: "github" });
  await startTestWorker(2);
  ({ id: runId } = await owner.api.runs.trigger({ workspace, dagId: "nightly" }));
  await waitForRun(runId);
  app = await startApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await stopTestWorker();
  await browser?.close();
  await app?.stop();
});

/**
 * A tRPC procedure over HTTP as the browser calls it (superjson; queries are GETs), with the
 * person's session cookie.
 */
async function call(request: APIRequestContext, procedure: string, input: unknown, kind = "mutation") {
  const response =
    kind === "query"
      ? await request.get(
          `/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`,
        )
      : await request.post(`/api/trpc/${procedure}`, { data: { json: input } });
  const body = (await response.json()) as { error?: { json?: { data?: { code?: string } } } };
  return { status: response.status(), code: body.error?.json?.data?.code };
}

async function countButtons(page: Page, name: string | RegExp) {
  return page.getByRole("button", { name }).count();
}

it("a Viewer sees no editing or run controls, and the server refuses those calls anyway", async () => {
  const { page, context, consoleErrors } = await newPerson(browser, app);
  await page.setViewportSize({ width: 1440, height: 960 });
  const ws = `/w/${owner.workspace.slug}`;
  await signIn(page, viewer);

  // The DAG list: the DAG and its last run, but no "New DAG" and no pause switch.
  await page.goto(`${ws}/dags`);
  await page.getByRole("link", { name: "nightly" }).waitFor();
  await page.getByRole("link", { name: /^Run of .*: Failed$/ }).waitFor();
  expect(await page.getByRole("link", { name: "New DAG" }).count()).toBe(0);
  expect(await page.getByRole("switch").count()).toBe(0);
  expect(await page.getByText("Active", { exact: true }).count()).toBe(1);

  // The DAG's page: grid, runs and versions, but no Edit, Trigger or Restore.
  await page.getByRole("link", { name: "nightly" }).click();
  await page.getByRole("link", { name: /check in the run of .*: Failed/ }).waitFor();
  await page.getByText("no retries for the check").waitFor();
  expect(await page.getByRole("link", { name: "Edit" }).count()).toBe(0);
  expect(await countButtons(page, "Trigger")).toBe(0);
  expect(await countButtons(page, "Backfill")).toBe(0);
  expect(await countButtons(page, /^Restore/)).toBe(0);
  await screenshot(page, "viewer-dag");

  // The editor is not offered, even by its address.
  await page.goto(`${ws}/dags/nightly/edit`);
  await page.getByText("Not available to your role").waitFor();
  expect(await page.locator(".react-flow").count()).toBe(0);

  // The run: the graph and a task's log and error, but no run or task actions.
  await page.goto(`${ws}/runs/${runId}?task=check`);
  const drawer = page.getByRole("complementary", { name: "Task check" });
  await expect.poll(() => drawer.textContent(), { timeout: 30_000 }).toContain("as its config says");
  await page.getByRole("log", { name: "Log of check, attempt 1" }).waitFor();
  for (const name of [
    "Retry failed",
    "Cancel run",
    "Clear",
    "Clear with downstream",
    "Mark success",
    "Mark failed",
  ]) {
    expect(await countButtons(page, name), name).toBe(0);
  }
  await screenshot(page, "viewer-run");

  // Configuration: readable (secrets masked), not changeable.
  for (const [path, item, create] of [
    ["variables", "region", "New variable"],
    ["secrets", "API_KEY", "New secret"],
    ["connections", "reports", "New connection"],
  ] as const) {
    await page.goto(`${ws}/${path}`);
    await page.getByRole("cell", { name: item, exact: true }).waitFor();
    expect(await countButtons(page, create)).toBe(0);
    expect(await countButtons(page, /^(Edit|Delete)/)).toBe(0);
  }
  expect(await page.content()).not.toContain("s3cret");
  await screenshot(page, "viewer-connections");

  // Webhooks: the endpoint, its URL and its (empty) log, and none of the controls.
  await page.goto(`${ws}/webhooks`);
  await page.getByRole("button", { name: "Open endpoint github" }).click();
  await page.getByText("No deliveries yet").waitFor();
  for (const name of ["New endpoint", "Disable", "Change settings", "Rotate secret", "Delete"]) {
    expect(await countButtons(page, name), name).toBe(0);
  }

  // Asked directly, the server refuses every change.
  const workspace = owner.workspace.slug;
  const refused = {
    "dags.push": { workspace, document: pipeline(5) },
    "dags.setPaused": { workspace, dagId: "nightly", paused: true },
    "dags.restore": { workspace, dagId: "nightly", number: 1 },
    "runs.trigger": { workspace, dagId: "nightly" },
    "runs.clear": { workspace, runId, taskIds: ["check"], downstream: true },
    "runs.mark": { workspace, runId, taskId: "check", state: "success" },
    "runs.retryFailed": { workspace, runId },
    "runs.cancel": { workspace, runId },
    "variables.create": { workspace, key: "sneaky", value: 1 },
    "secrets.update": { workspace, name: "API_KEY", value: "mine" },
    "connections.delete": { workspace, name: "reports" },
    "webhooks.create": { workspace, dagId: "nightly", name: "sneaky" },
    "backfills.create": { workspace, dagId: "nightly", from: "2025-01-01", to: "2025-01-02" },
    "approvals.decide": { workspace, runId, taskId: "check", decision: "approve" },
  };
  for (const [procedure, input] of Object.entries(refused)) {
    expect(await call(context.request, procedure, input), procedure).toEqual({
      status: 403,
      code: "FORBIDDEN",
    });
  }
  // …while reading works.
  expect((await call(context.request, "dags.list", { workspace }, "query")).status).toBe(200);
  expect(consoleErrors).toEqual([]);
});
