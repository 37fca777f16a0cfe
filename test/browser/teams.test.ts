// Groups and single sign-on in a real Chromium against the built app: an owner makes a group with
// a role and an SSO group, puts a member in it (the members page says what they act as, and why),
// sets up the workspace's OpenID Connect provider on the settings page and tests it; then a new
// person signs in through the provider from the sign-in page and lands in the workspace, in the
// group mapped from their groups claim.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { type App, launchBrowser, newPerson, screenshot, startApp } from "../support/browser";
import { createUser } from "../support/factories";
import { startIssuer, type TestIssuer } from "../support/oidc-issuer";

let app: App;
let browser: Browser;
let issuer: TestIssuer;
let owner: Awaited<ReturnType<typeof createUser>>;
let ana: Awaited<ReturnType<typeof createUser>>;

beforeAll(async () => {
  owner = await createUser("owner");
  ana = await createUser("ana");
  await db.membership.create({
    data: { workspaceId: owner.workspace.id, userId: ana.user.id, role: "VIEWER" },
  });
  issuer = await startIssuer();
  app = await startApp({ BATON_HTTP_ALLOW: "127.0.0.1/32" });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await issuer?.close();
});

async function signIn(page: Page, person: typeof owner) {
  await page.goto("/sign-in");
  await page.getByLabel("E-mail").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/w\//);
}

it("an owner groups members and sets up single sign-on; a newcomer signs in through it", async () => {
  const ws = `/w/${owner.workspace.slug}`;
  const admin = await newPerson(browser, app);
  await signIn(admin.page, owner);

  await admin.page
    .getByRole("navigation", { name: "Workspace sections" })
    .getByRole("link", { name: "Groups" })
    .click();
  await admin.page.waitForURL(new RegExp(`${ws}/groups$`));
  await admin.page.getByText("No groups yet").waitFor();
  await admin.page.getByLabel("Name").fill("finance");
  await admin.page.getByLabel("Role").selectOption("EDITOR");
  await admin.page.getByLabel("SSO group (optional)").fill("fin");
  await admin.page.getByRole("button", { name: "Create group" }).click();
  const card = admin.page.getByRole("region", { name: "Group finance" });
  await card.getByText("SSO group: fin").waitFor();
  await card.getByLabel("Add a member to finance").selectOption({ label: `${ana.user.name} (${ana.email})` });
  await card.getByRole("button", { name: "Add", exact: true }).click();
  await card.getByText(ana.email, { exact: true }).waitFor();

  await admin.page.goto(`${ws}/members`);
  await admin.page.getByText("Acts as Editor via group finance").waitFor();

  await admin.page.goto(`${ws}/settings`);
  await admin.page.getByLabel("Issuer URL").fill(issuer.url);
  await admin.page.getByLabel("Client id").fill(issuer.clientId);
  await admin.page.getByLabel("Client secret").fill(issuer.clientSecret);
  await admin.page.getByLabel("Allowed e-mail domains").fill("acme.test");
  await admin.page.getByLabel("New people join as").selectOption("VIEWER");
  await admin.page.getByRole("button", { name: "Set up single sign-on" }).click();
  await admin.page.getByRole("button", { name: "Test" }).click();
  await admin.page.getByText(`Found ${issuer.url}`).waitFor();
  await screenshot(admin.page, "teams-sso-settings");

  issuer.person = { sub: "zoe-1", email: "zoe@acme.test", name: "Zoe", groups: ["fin"] };
  const zoe = await newPerson(browser, app);
  await zoe.page.goto("/sign-in");
  await zoe.page.getByLabel("Workspace").fill(owner.workspace.slug);
  await zoe.page.getByRole("button", { name: "Single sign-on" }).click();
  await zoe.page.waitForURL(/\/sign-in\/sso\?/);
  await zoe.page.getByRole("button", { name: "Continue to Baton" }).click();
  await zoe.page.waitForURL(new RegExp(`${ws}$`));
  await zoe.page.goto(`${ws}/groups`);
  await zoe.page
    .getByRole("region", { name: "Group finance" })
    .getByText("zoe@acme.test", { exact: true })
    .waitFor();
  await screenshot(zoe.page, "teams-sso-groups");
  expect(zoe.consoleErrors).toEqual([]);

  const member = await db.membership.findFirstOrThrow({
    where: { workspaceId: owner.workspace.id, user: { email: "zoe@acme.test" } },
  });
  expect(member.role).toBe("VIEWER");
});
