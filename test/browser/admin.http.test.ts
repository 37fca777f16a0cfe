// The platform console's doors over plain HTTP, against the built app: a signed-out visit is sent
// to sign in and brought back to the very page it asked for (path and query, not just /admin; a
// path header sent by the client is ignored), a signed-in non-administrator gets HTTP 403, and an
// administrator gets the console.
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { type App, startApp } from "../support/browser";
import { createUser } from "../support/factories";
import { signInOverHttp } from "../support/http-session";

let app: App;
let base: string;

beforeAll(async () => {
  app = await startApp();
  base = `http://127.0.0.1:${new URL(app.url).port}`;
});

afterAll(async () => {
  await app?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { redirect: "manual", headers });

async function cookieOf(person: Awaited<ReturnType<typeof createUser>>) {
  const answer = await signInOverHttp(base, { email: person.email, password: person.password });
  expect(answer.error).toBeNull();
  return answer.cookie;
}

it("sends a signed-out visit to sign in with the page it asked for", async () => {
  const response = await get("/admin/workspaces/acme?tab=usage");
  expect(response.status).toBeGreaterThanOrEqual(300);
  expect(response.status).toBeLessThan(400);
  const location = new URL(response.headers.get("location")!, base);
  expect(location.pathname).toBe("/sign-in");
  expect(location.searchParams.get("callbackUrl")).toBe("/admin/workspaces/acme?tab=usage");

  // The client cannot choose where it is sent back to.
  const spoofed = await get("/admin", { "x-baton-request-path": "/admin/plans" });
  expect(new URL(spoofed.headers.get("location")!, base).searchParams.get("callbackUrl")).toBe("/admin");
});

it("answers 403 to a signed-in non-administrator, and the console to an administrator", async () => {
  const person = await createUser("person");
  const cookie = await cookieOf(person);
  for (const path of ["/admin", "/admin/plans", "/admin/worker-pools"]) {
    const response = await get(path, { cookie });
    // (The page itself, "Not authorised", is drawn from the answer's flight data: the browser
    // test of the console, test/browser/platform.test.ts, reads it.)
    expect(response.status, path).toBe(403);
  }

  const admin = await createUser("admin");
  await db.user.update({ where: { id: admin.user.id }, data: { platformAdmin: true } });
  const answer = await get("/admin/plans", { cookie: await cookieOf(admin) });
  expect(answer.status).toBe(200);
  expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
});
