// Browser-test support: the built web app served against this test file's database, and a
// Chromium driven by playwright-core. Console errors are collected so a spec can assert none.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { freePort } from "@/server/db/embedded";
import { generateKey } from "@/server/secrets/crypto";

export interface App {
  url: string;
  stop(): Promise<void>;
}

/** Serves the production build (`npm test` builds it) on a free port, with `env` added. */
export async function startApp(env: Record<string, string> = {}): Promise<App> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const child: ChildProcess = spawn("next", ["start", "--port", String(port)], {
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXTAUTH_URL: url,
      NEXTAUTH_SECRET: "browser-test-secret-browser-test-secret",
      // A production web process refuses to start without master keys (instrumentation.ts).
      ...(process.env.BATON_MASTER_KEYS || process.env.BATON_MASTER_KEY
        ? {}
        : { BATON_MASTER_KEYS: `1:${generateKey()}` }),
      ...env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/sign-in`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.BATON_CHROMIUM_PATH;
  if (!executablePath) throw new Error("BATON_CHROMIUM_PATH is not set: run browser tests with `npm test`");
  return chromium.launch({
    executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A fresh browser context (its own cookies: one per person) that records console errors. */
export async function newPerson(browser: Browser, app: App) {
  const context: BrowserContext = await browser.newContext({ baseURL: app.url });
  const page: Page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  return { context, page, consoleErrors };
}

/** Saves a full-page screenshot under test-results/screenshots (kept as a CI artifact). */
export async function screenshot(page: Page, name: string) {
  mkdirSync("test-results/screenshots", { recursive: true });
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

/**
 * How far the page is wider than the screen, and the elements sticking out (those not inside a
 * box of their own that scrolls or clips), to say which.
 */
export function overflowing(page: Page) {
  // Text, not a function: the test's compiler would wrap a function in helpers the page lacks.
  return page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const clipped = (el) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
        if (getComputedStyle(p).overflowX !== "visible") return true;
      return false;
    };
    const elements = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && !clipped(el))
      .slice(0, 8)
      .map((el) => el.tagName.toLowerCase() + " " + String(el.className).slice(0, 80));
    return { overflow: document.documentElement.scrollWidth - width, elements };
  })()`) as Promise<{ overflow: number; elements: string[] }>;
}

/** Signs `person` in on the sign-in page and waits for their workspace to open. */
export async function signIn(page: Page, person: { email: string; password: string }) {
  await page.goto("/sign-in");
  await page.getByLabel("E-mail").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/w\//);
}
