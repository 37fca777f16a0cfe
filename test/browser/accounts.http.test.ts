// Issue 15 findings 5 and 6 against the running app, over plain HTTP as a browser's requests
// would go: a copied session cookie stops working on sign-out and on a password change, and a
// sign-in while the address must wait answers 429 with Retry-After.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordFailedSignIn } from "@/server/auth/brute-force";
import { db } from "@/server/db/client";
import { type App, startApp } from "../support/browser";
import { createUser } from "../support/factories";
import { cookiesOf, signInOverHttp, trpcQuery } from "../support/http-session";

let app: App;
let base: string; // 127.0.0.1, so the app sees this process's address as 127.0.0.1

beforeAll(async () => {
  app = await startApp();
  base = `http://127.0.0.1:${new URL(app.url).port}`;
});

afterAll(async () => {
  await app?.stop();
});

async function signOut(cookie: string) {
  const csrf = await fetch(`${base}/api/auth/csrf`, { headers: { cookie } });
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const jar = cookiesOf(csrf, cookie);
  const response = await fetch(`${base}/api/auth/signout`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: jar, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrfToken, json: "true" }),
  });
  expect(response.status).toBeLessThan(400);
}

async function trpcMutation(path: string, cookie: string, input: unknown) {
  const response = await fetch(`${base}/api/trpc/${path}`, {
    method: "POST",
    headers: { cookie, "content-type": "application/json" },
    body: JSON.stringify({ json: input }),
  });
  return response.status;
}

describe("sessions over HTTP", () => {
  it("a copied cookie stops working once its session signs out", async () => {
    const { email, password } = await createUser("copied");
    const { cookie, error } = await signInOverHttp(base, { email, password });
    expect(error).toBeNull();
    const copy = cookie;
    expect((await trpcQuery(base, "account.me", copy)).status).toBe(200);
    await signOut(cookie);
    const after = await trpcQuery(base, "account.me", copy);
    expect(after.status).toBe(401);
  });

  it("a password change signs out the other browsers, not this one", async () => {
    const { email, password } = await createUser("changer");
    const here = (await signInOverHttp(base, { email, password })).cookie;
    const there = (await signInOverHttp(base, { email, password })).cookie;
    expect((await trpcQuery(base, "account.me", there)).status).toBe(200);
    expect(
      await trpcMutation("account.changePassword", here, {
        current: password,
        next: "a brand new passphrase",
      }),
    ).toBe(200);
    expect((await trpcQuery(base, "account.me", there)).status).toBe(401);
    expect((await trpcQuery(base, "account.me", here)).status).toBe(200);
    // "Sign out everywhere" ends this one too.
    expect(await trpcMutation("account.signOutEverywhere", here, undefined)).toBe(200);
    expect((await trpcQuery(base, "account.me", here)).status).toBe(401);
  });
});

describe("sign-in limiting over HTTP", () => {
  it("answers 429 with Retry-After while the address must wait, even with the right password", async () => {
    const { email, password } = await createUser("waiting");
    // Failures from this address, each after the previous wait ran out (its row expiring).
    for (let i = 0; i < 12; i++) {
      await db.rateLimit.deleteMany({ where: { key: { startsWith: "signin:wait:pair:" } } });
      await recordFailedSignIn(email, "127.0.0.1");
    }
    const answer = await signInOverHttp(base, { email, password });
    expect(answer.status).toBe(429);
    expect(Number(answer.retryAfter)).toBeGreaterThan(30);
    expect(answer.error).toMatch(/Too many failed sign-ins. Try again in/);
    expect(answer.cookie).not.toContain("session-token");
  });
});
