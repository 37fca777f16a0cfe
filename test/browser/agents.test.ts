// Agents in a real Chromium (issue 19): an owner creates an agent pool on the Pools page and copies
// its join token, a real `baton agent` process (the client build) joins with it, the pool page
// shows it online with its labels and the task it runs, the task's log streams on the run page,
// and revoking the agent from the page stops the process.
import type { ChildProcess } from "node:child_process";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateKey } from "@/server/secrets/crypto";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { type ClientCli, clientCli } from "../support/client-cli";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { createUser } from "../support/factories";

process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let app: App;
let browser: Browser;
let page: Page;
let cli: ClientCli;
let agent: ChildProcess | undefined;
let owner: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  owner = await createUser("agents-ui");
  [app, cli] = await Promise.all([startApp(), clientCli()]);
  await startTestWorker(1);
  browser = await launchBrowser();
  ({ page } = await newPerson(browser, app));
  await signIn(page, owner);
});

afterAll(async () => {
  if (agent && agent.exitCode === null) agent.kill("SIGKILL");
  await stopTestWorker();
  await browser?.close();
  await app?.stop();
});

it("creates an agent pool, shows its agent and the shell task's log, and revokes the agent", async () => {
  const workspace = owner.workspace.slug;
  await page.goto(`/w/${workspace}/pools`);
  await page.getByRole("button", { name: "New pool" }).click();
  const dialog = page.getByRole("dialog", { name: "New pool" });
  await dialog.getByLabel("Name").fill("etl");
  await dialog.getByLabel("Slots").fill("2");
  await dialog.getByLabel("Agent pool").check();
  await dialog.getByRole("button", { name: "Create pool" }).click();

  // The join token, shown once, with the command that starts an agent.
  await page.getByText("Copy the join token of pool etl now").waitFor();
  const joinToken = await page.getByLabel("Join token").inputValue();
  expect(joinToken).toMatch(/^baton_join_/);
  expect(await page.getByLabel("Start an agent on your machine").inputValue()).toContain(
    `npx baton agent --url ${app.url} --token ${joinToken}`,
  );
  const section = page.getByRole("region", { name: /Pool etl:/ });
  await section.getByText("No agent online: this pool's tasks wait.").waitFor();

  let stderr = "";
  agent = cli.spawn([
    "agent",
    "--url",
    app.url,
    "--token",
    joinToken,
    "--labels",
    "region=eu",
    "--name",
    "box-1",
  ]);
  agent.stderr?.on("data", (chunk) => (stderr += chunk));
  agent.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => agent!.on("exit", (code) => resolve(code)));
  const row = section.getByRole("row").filter({ hasText: "box-1" });
  await row.getByText("Online").waitFor({ timeout: 60_000 });
  await row.getByText("region=eu").waitFor();

  await owner.api.dags.push({
    workspace,
    message: "agents",
    document: {
      id: "on_my_machine",
      tasks: [
        {
          id: "count",
          operator: "shell",
          pool: "etl",
          config: {
            command: 'for i in 1 2 3 4 5 6; do echo "line $i"; sleep 1; done; echo \'{"counted": 6}\'',
          },
        },
      ],
    },
  });
  const { id: runId } = await owner.api.runs.trigger({ workspace, dagId: "on_my_machine" });
  // The pool page names the task the agent runs.
  await row.getByRole("link", { name: "count" }).waitFor({ timeout: 60_000 });
  await screenshot(page, "agents-pool");

  await page.goto(`/w/${workspace}/runs/${runId}?task=count`);
  const log = page.getByRole("log", { name: "Log of count, attempt 1" });
  await expect.poll(() => log.textContent(), { timeout: 60_000 }).toContain("line 1");
  await expect.poll(() => log.textContent(), { timeout: 60_000 }).toContain("line 6");
  const ended = await waitForRun(runId, 60_000);
  expect(ended.taskInstances[0]).toMatchObject({ state: "success", output: { counted: 6 } });
  await screenshot(page, "agents-task-log");

  // Revoked from the page: the process stops, saying why.
  await page.goto(`/w/${workspace}/pools`);
  await row.getByRole("button", { name: "Revoke agent box-1" }).click();
  await page
    .getByRole("dialog", { name: "Revoke agent box-1?" })
    .getByRole("button", { name: "Revoke agent" })
    .click();
  await row.getByText("Revoked").waitFor();
  expect(await exited).toBe(1);
  expect(stderr).toMatch(/this agent was revoked/);
}, 240_000);
