// The Pools page in a real Chromium: an owner creates a pool from the empty state, is told the
// plan's slot limit when asking for more, resizes and deletes it; a viewer sees the pools and
// none of the controls.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { acceptInvitation } from "@/server/members/service";
import { type App, launchBrowser, newPerson, screenshot, signIn, startApp } from "../support/browser";
import { createUser } from "../support/factories";

let app: App;
let browser: Browser;
let owner: Awaited<ReturnType<typeof createUser>>;
let viewer: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  owner = await createUser("owner");
  viewer = await createUser("viewer");
  const workspace = owner.workspace.slug;
  const { link } = await owner.api.members.invite({ workspace, email: viewer.email, role: "VIEWER" });
  await acceptInvitation({ secret: link.split("/").at(-1)!, userId: viewer.user.id, email: viewer.email });
  await db.workspace.update({ where: { id: owner.workspace.id }, data: { maxPoolSlots: 8 } });
  app = await startApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

it("an owner creates, resizes and deletes a pool; a viewer only reads", async () => {
  const ws = `/w/${owner.workspace.slug}`;
  const admin = await newPerson(browser, app);
  await signIn(admin.page, owner);
  await admin.page
    .getByRole("navigation", { name: "Workspace sections" })
    .getByRole("link", { name: "Pools" })
    .click();
  await admin.page.waitForURL(new RegExp(`${ws}/pools$`));
  await admin.page.getByText("No pools yet").waitFor();
  await admin.page
    .getByText("0 of 10 pools allowed by this workspace's plan, each with at most 8 slots.")
    .waitFor();

  await admin.page.getByRole("button", { name: "New pool" }).click();
  const dialog = admin.page.getByRole("dialog", { name: "New pool" });
  await dialog.getByLabel("Name").fill("warehouse");
  await dialog.getByLabel("Slots").fill("9");
  await dialog.getByRole("button", { name: "Create pool" }).click();
  // The plan's limit, named, next to the field.
  await dialog
    .getByText(
      "slots must be at most 8: the limit of slots per pool set by this workspace's plan (quota maxPoolSlots)",
    )
    .waitFor();
  await dialog.getByLabel("Slots").fill("4");
  await dialog.getByLabel("Description").fill("DW connections");
  await dialog.getByRole("button", { name: "Create pool" }).click();
  const row = admin.page.getByRole("row").filter({ hasText: "warehouse" });
  await row.getByRole("cell", { name: "0 of 4" }).waitFor();
  await screenshot(admin.page, "pools");

  await row.getByRole("button", { name: "Edit pool warehouse" }).click();
  const edit = admin.page.getByRole("dialog", { name: "Edit pool warehouse" });
  await edit.getByLabel("Slots").fill("2");
  await edit.getByRole("button", { name: "Save" }).click();
  await row.getByRole("cell", { name: "0 of 2" }).waitFor();
  expect(await db.pool.findFirstOrThrow({ where: { workspaceId: owner.workspace.id } })).toMatchObject({
    name: "warehouse",
    slots: 2,
    description: "DW connections",
  });

  // A viewer sees the pool, without New, Edit or Delete.
  const reader = await newPerson(browser, app);
  await signIn(reader.page, viewer);
  await reader.page.goto(`${ws}/pools`);
  await reader.page.getByRole("cell", { name: "warehouse", exact: true }).waitFor();
  expect(await reader.page.getByRole("button", { name: /^(New pool|Edit|Delete)/ }).count()).toBe(0);

  await row.getByRole("button", { name: "Delete pool warehouse" }).click();
  const confirm = admin.page.getByRole("dialog", { name: "Delete pool warehouse?" });
  await confirm.getByText("Its waiting tasks then run with no pool limit").waitFor();
  await confirm.getByRole("button", { name: "Delete" }).click();
  await admin.page.getByText("No pools yet").waitFor();
  expect(await db.pool.count({ where: { workspaceId: owner.workspace.id } })).toBe(0);
  // (The refused create logged its 409 in the admin's console, as Chromium does.)
  expect(reader.consoleErrors).toEqual([]);
});
