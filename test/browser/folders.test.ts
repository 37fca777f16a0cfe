// Folders in a real Chromium against the built app: an owner sees who has access to a folder and
// why; a contractor (a guest with a grant on one folder) sees that folder only — its DAGs in the
// folder tree beside the DAG list — and another folder's DAG answers "not found".
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { type App, launchBrowser, newPerson, startApp } from "../support/browser";
import { createUser } from "../support/factories";

let app: App;
let browser: Browser;
let owner: Awaited<ReturnType<typeof createUser>>;
let dan: Awaited<ReturnType<typeof createUser>>;
let carla: Awaited<ReturnType<typeof createUser>>;
let financeId: string;

const doc = (id: string) => ({ id, tasks: [{ id: "t", operator: "noop" }] });

beforeAll(async () => {
  owner = await createUser("owner");
  dan = await createUser("dan");
  carla = await createUser("carla");
  const slug = owner.workspace.slug;
  await db.membership.create({
    data: { workspaceId: owner.workspace.id, userId: dan.user.id, role: "GUEST" },
  });
  await db.membership.create({
    data: { workspaceId: owner.workspace.id, userId: carla.user.id, role: "VIEWER" },
  });
  const members = (await owner.api.members.list({ workspace: slug })).items;
  const memberId = (email: string) => members.find((m) => m.email === email)!.id;
  const finance = await owner.api.folders.create({ workspace: slug, name: "finance" });
  await owner.api.folders.create({ workspace: slug, name: "platform" });
  financeId = finance.id;
  await owner.api.dags.push({ workspace: slug, document: doc("ledger"), folder: "finance" });
  await owner.api.dags.push({ workspace: slug, document: doc("ingest"), folder: "platform" });
  await owner.api.dags.push({ workspace: slug, document: doc("root_job") });
  await owner.api.folders.grant({
    workspace: slug,
    folderId: finance.id,
    memberId: memberId(dan.email),
    role: "EDITOR",
  });
  const onCall = await owner.api.groups.create({ workspace: slug, name: "on-call" });
  await owner.api.groups.addMember({ workspace: slug, groupId: onCall.id, memberId: memberId(carla.email) });
  await owner.api.folders.grant({
    workspace: slug,
    folderId: finance.id,
    groupId: onCall.id,
    role: "OPERATOR",
  });
  app = await startApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

async function signIn(page: Page, person: typeof owner) {
  await page.goto("/sign-in");
  await page.getByLabel("E-mail").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/w\//);
}

it("an owner sees who has access to a folder and why", async () => {
  const ws = `/w/${owner.workspace.slug}`;
  const admin = await newPerson(browser, app);
  await signIn(admin.page, owner);
  await admin.page.goto(`${ws}/folders`);
  await admin.page.getByRole("link", { name: "finance" }).click();
  await admin.page.waitForURL(new RegExp(`${ws}/folders/${financeId}$`));
  const access = admin.page.getByRole("table", { name: "Who has access" });
  await access
    .getByRole("row", { name: new RegExp(carla.email) })
    .getByText("folder grant via group on-call: Operator")
    .waitFor();
  await access
    .getByRole("row", { name: new RegExp(dan.email) })
    .getByText("folder grant: Editor")
    .waitFor();
  await access
    .getByRole("row", { name: new RegExp(owner.email) })
    .getByText("workspace role: Owner")
    .waitFor();
  // The DAG list's folder tree: choosing a folder lists its DAGs.
  await admin.page.goto(`${ws}/dags`);
  await admin.page
    .getByRole("navigation", { name: "Folders" })
    .getByRole("button", { name: /platform/ })
    .click();
  await admin.page.getByRole("link", { name: "ingest" }).waitFor();
  await expect
    .poll(() => admin.page.getByRole("link", { name: "ledger" }).count(), { timeout: 30_000 })
    .toBe(0);
});

it("a contractor sees one folder and nothing else", async () => {
  const ws = `/w/${owner.workspace.slug}`;
  const contractor = await newPerson(browser, app);
  await signIn(contractor.page, dan);
  await contractor.page.goto(`${ws}/dags`);
  const tree = contractor.page.getByRole("navigation", { name: "Folders" });
  await tree.getByRole("button", { name: /finance/ }).waitFor();
  await contractor.page.getByRole("link", { name: "ledger" }).waitFor();
  expect(await tree.getByRole("button").allTextContents()).toEqual(["All DAGs", "finance1"]);
  expect(await contractor.page.getByRole("link", { name: "ingest" }).count()).toBe(0);
  expect(await contractor.page.getByRole("link", { name: "root_job" }).count()).toBe(0);
  // The sections shown are those a folder holds; members, pools and the audit log are not among them.
  const sections = contractor.page.getByRole("navigation", { name: "Workspace sections" });
  await sections.getByRole("link", { name: "DAGs" }).waitFor();
  expect(await sections.getByRole("link", { name: "Members" }).count()).toBe(0);
  // Another folder's DAG, by its address: not found.
  await contractor.page.goto(`${ws}/dags/ingest`);
  await contractor.page
    .getByText(/not found/i)
    .first()
    .waitFor();
});
