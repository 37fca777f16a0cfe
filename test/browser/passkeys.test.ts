// Issue 29 item 3 in Chromium: a person enrols a passkey on the account page with the browser's
// virtual authenticator (DevTools protocol WebAuthn.addVirtualAuthenticator), then signs in with it
// password-less, and gives it as the second factor after their password.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type App, launchBrowser, newPerson, screenshot, startApp } from "../support/browser";
import { createUser } from "../support/factories";

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

const visible = (page: Page, text: string | RegExp) =>
  expect.poll(() => page.getByText(text).first().isVisible(), { timeout: 20_000 }).toBe(true);

async function signOutFrom(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.waitForURL(/\/sign-in/);
}

it("enrols a passkey, signs in with it alone, and gives it as the second factor", async () => {
  const { email, password, workspace } = await createUser("passkey");
  const { page, context, consoleErrors } = await newPerson(browser, app);
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  // Signed in with the password, they add a passkey on the account page.
  await page.goto("/sign-in");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(new RegExp(`/w/${workspace.slug}`));
  await page.goto("/account");
  await page.getByLabel("Passkey name").fill("Laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await visible(page, "Laptop");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0]?.isResidentCredential).toBe(true);
  await screenshot(page, "account-passkey");

  // Password-less: no e-mail typed, the browser's passkey signs in.
  await signOutFrom(page);
  await page.getByRole("button", { name: "Continue with a passkey" }).click();
  await page.waitForURL(new RegExp(`/w/${workspace.slug}`), { timeout: 30_000 });

  // With a passkey enrolled, a password alone is not enough: the passkey completes it.
  await signOutFrom(page);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(/\/sign-in\/second-factor/, { timeout: 30_000 });
  await screenshot(page, "second-factor");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await page.waitForURL(new RegExp(`/w/${workspace.slug}`), { timeout: 30_000 });
  const { credentials: after } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(after[0]?.signCount).toBeGreaterThanOrEqual(2);

  expect(consoleErrors).toEqual([]);
});
