// Issue 15, findings 3 and 4, against the built app: security headers on pages and API, scripts
// that run under the strict CSP, and client addresses taken from the socket unless a trusted proxy
// forwards them. The app trusts ::1 as a proxy; requests to 127.0.0.1 come from an untrusted peer.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, launchBrowser, newPerson, startApp } from "../support/browser";
import { createUser } from "../support/factories";
import { signInOverHttp } from "../support/http-session";

let app: App;
let browser: Browser;
let direct: string; // through 127.0.0.1: an untrusted peer
let viaProxy: string; // through ::1: a trusted proxy

beforeAll(async () => {
  app = await startApp({ BATON_TRUSTED_PROXIES: "::1/128" });
  browser = await launchBrowser();
  const port = new URL(app.url).port;
  direct = `http://127.0.0.1:${port}`;
  viaProxy = `http://[::1]:${port}`;
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

function expectSecurityHeaders(response: Response) {
  const csp = response.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).not.toContain("unsafe-eval");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
  return csp;
}

describe("security headers", () => {
  it("pages carry a fresh nonce on every script, and the page runs under the policy", async () => {
    const first = await fetch(`${direct}/sign-in`);
    const html = await first.text();
    const nonce = /'nonce-([^']+)'/.exec(expectSecurityHeaders(first))?.[1];
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    const second = await fetch(`${direct}/sign-in`);
    expect(expectSecurityHeaders(second)).not.toContain(`'nonce-${nonce}'`);

    // In Chromium the page hydrates (the form works) with no CSP violation reported (the failed
    // sign-in's 401 is the only error the console shows).
    const { page, consoleErrors, context } = await newPerson(browser, app);
    await page.goto("/sign-in");
    await page.getByLabel("E-mail").fill("nobody@example.com");
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.getByText("Wrong e-mail or password").isVisible(), { timeout: 20_000 })
      .toBe(true);
    expect(consoleErrors.filter((e) => !e.includes("status of 401"))).toEqual([]);
    await context.close();
  });

  it("API answers carry them too (REST, tRPC, auth)", async () => {
    for (const path of ["/api/v1/workspace", "/api/trpc/account.me", "/api/auth/csrf"]) {
      expectSecurityHeaders(await fetch(`${direct}${path}`));
    }
  });

  it("HSTS only when the request came over HTTPS, as a trusted proxy says", async () => {
    const claimed = await fetch(`${direct}/sign-in`, { headers: { "x-forwarded-proto": "https" } });
    expect(claimed.headers.get("strict-transport-security")).toBeNull();
    const proxied = await fetch(`${viaProxy}/api/v1/workspace`, {
      headers: { "x-forwarded-proto": "https" },
    });
    expect(proxied.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
    expect(proxied.headers.get("content-security-policy")).toContain("upgrade-insecure-requests");
  });
});

describe("client addresses", () => {
  it("rotating X-Forwarded-For from an untrusted peer does not escape the per-IP sign-in limit", async () => {
    const { email, password } = await createUser("rotator");
    for (let i = 0; i < 50; i++) {
      const answer = await signInOverHttp(
        direct,
        { email: `nobody${i}@example.com`, password: "not the password" },
        { "x-forwarded-for": `10.7.${i}.1` },
      );
      expect(answer.error).toBeTruthy();
    }
    const blocked = await signInOverHttp(direct, { email, password }, { "x-forwarded-for": "10.7.99.1" });
    expect(blocked.error).toMatch(/Too many/);
    // Through the trusted proxy the forwarded client counts, and it has failed nothing.
    const proxied = await signInOverHttp(
      viaProxy,
      { email, password },
      { "x-forwarded-for": "198.51.100.3" },
    );
    expect(proxied.error).toBeNull();
    expect(proxied.cookie).toContain("next-auth.session-token");
  });
});
