// One user story in a real Chromium: sign up, create a workspace, invite a teammate who accepts
// in their own browser, change their role, and see the change take effect for them.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type App, launchBrowser, newPerson, screenshot, startApp } from "../support/browser";
import { uniqueEmail } from "../support/factories";

let app: App;
let browser: Browser;

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

it("sign up, create a workspace, invite, accept, change role", async () => {
  const alice = await newPerson(browser, app);
  const bob = await newPerson(browser, app);
  const aliceEmail = uniqueEmail("alice");
  const bobEmail = uniqueEmail("bob");
  const password = "a sturdy password";

  // Alice signs up and lands in her first workspace.
  await alice.page.goto("/sign-up");
  await screenshot(alice.page, "sign-up");
  await alice.page.getByLabel("Name").fill("Alice Example");
  await alice.page.getByLabel("E-mail").fill(aliceEmail);
  await alice.page.getByLabel("Password").fill(password);
  await alice.page.getByRole("button", { name: "Sign up" }).click();
  // Without SMTP the page shows the link the e-mail would carry; opening it creates the account.
  await alice.page.getByRole("link", { name: "Finish signing up" }).click();
  await alice.page.getByRole("button", { name: "Create my account" }).click();
  await alice.page.waitForURL(/\/w\/alice-s-workspace/);
  await expect
    .poll(() => alice.page.getByText("Alice's workspace").first().isVisible(), { timeout: 30_000 })
    .toBe(true);
  await screenshot(alice.page, "workspace-overview");

  // She creates a second workspace for the team.
  await alice.page.goto("/workspaces/new");
  await alice.page.getByLabel("Workspace name").fill("Weather Team");
  await alice.page.getByRole("button", { name: "Create workspace" }).click();
  await alice.page.waitForURL(/\/w\/weather-team$/);
  const switcher = alice.page.getByRole("combobox", { name: "Workspace" });
  await expect.poll(() => switcher.inputValue(), { timeout: 30_000 }).toBe("weather-team");

  // She invites Bob as a viewer and copies the link.
  await alice.page.getByRole("link", { name: "Members" }).click();
  await alice.page.waitForURL(/\/w\/weather-team\/members/);
  await alice.page.getByLabel("E-mail").fill(bobEmail);
  await alice.page.getByLabel("Role", { exact: true }).selectOption("VIEWER");
  await alice.page.getByRole("button", { name: "Invite" }).click();
  const linkField = alice.page.getByLabel("Invitation link");
  await expect.poll(() => linkField.inputValue(), { timeout: 30_000 }).toMatch(/\/invite\//);
  const link = await linkField.inputValue();
  await screenshot(alice.page, "members");

  // Bob opens the link in his own browser, signs up, and accepts.
  await bob.page.goto(link);
  await bob.page.getByRole("link", { name: /sign up/i }).click();
  await bob.page.getByLabel("Name").fill("Bob Example");
  await bob.page.getByLabel("E-mail").fill(bobEmail);
  await bob.page.getByLabel("Password").fill(password);
  await bob.page.getByRole("button", { name: "Sign up" }).click();
  await bob.page.getByRole("link", { name: "Finish signing up" }).click();
  await bob.page.getByRole("button", { name: "Create my account" }).click();
  await bob.page.waitForURL(/\/(invite|w)\//);
  if (bob.page.url().includes("/w/")) await bob.page.goto(link);
  await bob.page.getByRole("button", { name: "Accept invitation" }).click();
  await bob.page.waitForURL(/\/w\/weather-team/);
  // As a viewer Bob sees the members but cannot manage them.
  await bob.page.getByRole("link", { name: "Members" }).click();
  await expect.poll(() => bob.page.getByText(aliceEmail).isVisible(), { timeout: 30_000 }).toBe(true);
  expect(await bob.page.getByRole("button", { name: "Invite" }).count()).toBe(0);

  // Alice makes Bob an admin.
  await alice.page.reload();
  await alice.page.getByLabel(`Role for ${bobEmail}`).selectOption("ADMIN");
  // The change waits for a confirmation that says what it gives.
  const confirmRole = alice.page.getByRole("dialog", { name: `Make ${bobEmail} an Admin?` });
  await confirmRole.getByText("Invite, remove and change the role of members").waitFor();
  await confirmRole.getByRole("button", { name: "Change role" }).click();
  await confirmRole.waitFor({ state: "detached" });
  await expect
    .poll(
      async () => {
        await bob.page.reload();
        const invite = bob.page.getByRole("button", { name: "Invite" });
        return invite.waitFor({ timeout: 3_000 }).then(
          () => true,
          () => false,
        );
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  await screenshot(bob.page, "members-as-admin");

  expect([...alice.consoleErrors, ...bob.consoleErrors]).toEqual([]);
});
