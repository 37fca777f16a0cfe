// The console's operations on the REST API: a platform token (made by an administrator in the
// console) lists, searches and sorts workspaces, suspends and resumes one, reads plans, exports a
// month's usage and the installation's audit log, lists and disables users, and reads the alerts;
// every answer is checked against the OpenAPI document. A workspace's API token gets 403 there,
// a platform token gets 403 on workspace routes, and the token stops with its maker's role.
import { beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { db } from "@/server/db/client";
import { authenticatePlatformToken } from "@/server/platform/tokens";
import { openWorkspace } from "@/server/tenancy/door";
import { createToken } from "@/server/tokens/service";
import { baton } from "../support/cli";
import { codeOf, createUser } from "../support/factories";
import { raw } from "../support/rest";

let admin: Awaited<ReturnType<typeof createUser>>;
let tenant: Awaited<ReturnType<typeof createUser>>;
let platformToken: string;
let workspaceToken: string;

beforeAll(async () => {
  admin = await createUser("admin");
  tenant = await createUser("tenant");
  const granted = await baton(["admin", "grant", admin.email]);
  expect(granted, granted.stderr).toMatchObject({ code: 0 });
  ({ token: platformToken } = await admin.api.platform.createToken({ name: "billing" }));
  const scope = await openWorkspace(admin.caller, admin.workspace.slug, "tokens:manage");
  ({ token: workspaceToken } = await createToken(scope, { name: "ci", role: "OWNER" }));
});

describe("a platform token", () => {
  it("lists, searches, sorts and pages workspaces", async () => {
    const found = await raw("GET", `/platform/workspaces?search=${tenant.email}&pageSize=5`, {
      token: platformToken,
    });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ total: 1, page: 1, pageSize: 5 });
    expect(found.body.workspaces[0]).toMatchObject({ slug: tenant.workspace.slug, status: "active" });

    const sorted = await raw("GET", "/platform/workspaces?sort=created&direction=desc&page=1&pageSize=1", {
      token: platformToken,
    });
    expect(sorted.status).toBe(200);
    expect(sorted.body.workspaces).toHaveLength(1);
    expect(sorted.body.total).toBeGreaterThanOrEqual(2);

    const bad = await raw("GET", "/platform/workspaces?page=0", { token: platformToken });
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems).toEqual([expect.objectContaining({ path: "page" })]);
  });

  it("suspends and resumes a workspace, recorded under the administrator and the token", async () => {
    const slug = tenant.workspace.slug;
    const suspended = await raw("POST", `/platform/workspaces/${slug}/suspend`, {
      token: platformToken,
      body: JSON.stringify({ reason: "Unpaid invoice" }),
    });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ slug, status: "suspended", suspendedReason: "Unpaid invoice" });
    const resumed = await raw("POST", `/platform/workspaces/${slug}/resume`, { token: platformToken });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: "active", suspendedAt: null });

    const events = await db.auditEvent.findMany({
      where: { action: "platform.workspace.suspend", target: slug },
      select: { workspaceId: true, actorLabel: true },
    });
    expect(events).toEqual(
      expect.arrayContaining([
        { workspaceId: null, actorLabel: `${admin.email} (platform token billing)` },
        { workspaceId: tenant.workspace.id, actorLabel: "Platform administrator" },
      ]),
    );
    const missing = await raw("POST", "/platform/workspaces/no-such-workspace/resume", {
      token: platformToken,
    });
    expect(missing.status).toBe(404);
  });

  it("reads plans, exports a month's usage and the audit log, reads alerts", async () => {
    const plans = await raw("GET", "/platform/plans", { token: platformToken });
    expect(plans.status).toBe(200);
    expect(plans.body).toEqual(expect.arrayContaining([expect.objectContaining({ key: "free" })]));

    const month = new Date().toISOString().slice(0, 7);
    const usage = await raw("GET", `/platform/usage?month=${month}&format=csv`, { token: platformToken });
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({
      filename: `baton-usage-${month}.csv`,
      contentType: "text/csv; charset=utf-8",
    });
    expect(usage.body.body).toContain(tenant.workspace.slug);
    const badMonth = await raw("GET", "/platform/usage?month=someday&format=csv", { token: platformToken });
    expect(badMonth.status).toBe(400);

    const audit = await raw(
      "GET",
      `/platform/audit?action=platform.workspace.&search=${tenant.workspace.slug}`,
      {
        token: platformToken,
      },
    );
    expect(audit.status).toBe(200);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
      "platform.workspace.resume",
      "platform.workspace.suspend",
    ]);
    const exported = await raw("GET", "/platform/audit/export?format=json&action=platform.token.", {
      token: platformToken,
    });
    expect(exported.status).toBe(200);
    expect(JSON.parse(exported.body.body)).toEqual([
      expect.objectContaining({
        action: "platform.token.create",
        target: "billing",
        actorLabel: admin.email,
      }),
    ]);

    const alerts = await raw("GET", "/platform/alerts", { token: platformToken });
    expect(alerts.status).toBe(200);
    expect(alerts.body).toMatchObject({ quotas: expect.any(Array), webhooks: expect.any(Array) });
  });

  it("lists users and disables and enables one", async () => {
    const someone = await createUser("someone");
    const users = await raw("GET", `/platform/users?search=${someone.email}`, { token: platformToken });
    expect(users.status).toBe(200);
    expect(users.body.users).toEqual([
      expect.objectContaining({ id: someone.user.id, email: someone.email }),
    ]);
    const disabled = await raw("POST", `/platform/users/${someone.user.id}/disable`, {
      token: platformToken,
      body: JSON.stringify({ reason: "Chargeback" }),
    });
    expect(disabled).toMatchObject({ status: 200, body: { disabled: true, changed: true } });
    const noReason = await raw("POST", `/platform/users/${someone.user.id}/disable`, {
      token: platformToken,
      body: "{}",
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.problems).toEqual([expect.objectContaining({ path: "reason" })]);
    const enabled = await raw("POST", `/platform/users/${someone.user.id}/enable`, { token: platformToken });
    expect(enabled).toMatchObject({ status: 200, body: { disabled: false, changed: true } });
  });

  it("reaches no workspace route, and cannot make platform tokens", async () => {
    const members = await raw("GET", "/members", { token: platformToken });
    expect(members.status).toBe(403);
    expect(members.body.error.message).toMatch(/platform token reaches the console's operations only/);
    const api = await tokenApi(platformToken);
    expect(await codeOf(api.platform.createToken({ name: "another" }))).toBe("FORBIDDEN");
    expect(await codeOf(api.platform.tokens())).toBe("FORBIDDEN");
  });

  it("stops when revoked, and while its maker is no longer an administrator", async () => {
    const { token, id } = await admin.api.platform.createToken({ name: "short-lived" });
    expect((await raw("GET", "/platform/alerts", { token })).status).toBe(200);
    const boss2 = await createUser("boss2");
    expect((await baton(["admin", "grant", boss2.email])).code).toBe(0);
    const { token: theirs } = await boss2.api.platform.createToken({ name: "theirs" });
    expect((await baton(["admin", "revoke", boss2.email])).code).toBe(0);
    expect((await raw("GET", "/platform/alerts", { token: theirs })).status).toBe(403);

    await admin.api.platform.revokeToken({ tokenId: id });
    const revoked = await raw("GET", "/platform/alerts", { token });
    expect(revoked.status).toBe(401);
    expect((await admin.api.platform.tokens()).map((t) => t.name)).not.toContain("short-lived");
  });
});

describe("a workspace's API token", () => {
  it("gets 403 on every console route", async () => {
    for (const [method, path] of [
      ["GET", "/platform/workspaces"],
      ["POST", `/platform/workspaces/${tenant.workspace.slug}/suspend`],
      ["GET", "/platform/plans"],
      ["GET", "/platform/usage?month=2026-12&format=json"],
      ["GET", "/platform/users"],
      ["GET", "/platform/audit/export?format=csv"],
      ["GET", "/platform/alerts"],
    ] as const) {
      const answer = await raw(method, path, {
        token: workspaceToken,
        body: method === "POST" ? "{}" : undefined,
      });
      expect(answer.status, path).toBe(403);
    }
    expect(
      (await db.workspace.findUniqueOrThrow({ where: { id: tenant.workspace.id } })).suspendedAt,
    ).toBeNull();
  });
});

/** The console's procedures as a platform token's holder calls them (tRPC takes bearer tokens too). */
async function tokenApi(token: string) {
  const platformToken = await authenticatePlatformToken(token, "127.0.0.1");
  return createCaller({ caller: null, platformToken, ip: "127.0.0.1", baseUrl: "http://localhost:3000" });
}
