// Issue 15 finding 1: API tokens outlived their creator's membership and role, and never expired.
// A token now acts with the lower of its role and its creator's current role, ends with its
// creator's membership, expires (90 days unless chosen), and shows when and where it was last used.
import { beforeEach, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { createUser } from "../support/factories";
import { raw } from "../support/rest";

type User = Awaited<ReturnType<typeof createUser>>;
let owner: User;
let ownerToken: string;

/** A REST call from `peer` (the address the web process stamps), checked against the OpenAPI document. */
function call(method: string, path: string, token: string, body?: unknown, peer = "192.0.2.10") {
  return raw(method, path, {
    token,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { "x-baton-peer-address": peer },
  });
}

async function join(role: "ADMIN" | "VIEWER") {
  const person = await createUser(role.toLowerCase());
  const invitation = await owner.api.members.invite({
    workspace: owner.workspace.slug,
    email: person.email,
    role,
  });
  await person.api.account.acceptInvitation({ secret: invitation.link.split("/invite/")[1]! });
  const member = (await owner.api.members.list({ workspace: owner.workspace.slug })).items.find(
    (m) => m.email === person.email,
  )!;
  return { ...person, memberId: member.id };
}

beforeEach(async () => {
  owner = await createUser("owner");
  ownerToken = (
    await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "owner", role: "OWNER" })
  ).token;
});

describe("a token and its creator", () => {
  it("ends when its creator is removed: no reading, no minting; the removal says how many it revoked", async () => {
    const admin = await join("ADMIN");
    const token = (
      await admin.api.tokens.create({ workspace: owner.workspace.slug, name: "ci", role: "ADMIN" })
    ).token;
    // A token the admin's token minted acts for the admin too.
    const minted = await call("POST", "/tokens", token, { name: "minted", role: "EDITOR" });
    expect(minted.status).toBe(201);
    expect(
      (await owner.api.members.list({ workspace: owner.workspace.slug })).items.find(
        (m) => m.email === admin.email,
      ),
    ).toMatchObject({ activeTokens: 2 });

    expect((await call("DELETE", `/members/${admin.memberId}`, ownerToken)).status).toBe(204);

    for (const t of [token, minted.body.token]) {
      expect((await call("GET", "/members", t)).status).toBe(401);
      expect((await call("GET", "/secrets", t)).status).toBe(401);
      expect((await call("POST", "/tokens", t, { name: "again", role: "VIEWER" })).status).toBe(401);
    }
    const removal = await db.auditEvent.findFirst({
      where: { action: "member.remove", target: admin.email },
    });
    expect(removal?.metadata).toMatchObject({ tokensRevoked: 2 });
    expect(await db.apiToken.count({ where: { createdById: admin.user.id, revokedAt: null } })).toBe(0);
  });

  it("checks the membership on every request, even if the removal did not revoke it", async () => {
    const admin = await join("ADMIN");
    const adminToken = (
      await admin.api.tokens.create({ workspace: owner.workspace.slug, name: "ci", role: "VIEWER" })
    ).token;
    expect((await call("GET", "/workspace", adminToken)).status).toBe(200);
    await db.membership.delete({ where: { id: admin.memberId } });
    const answer = await call("GET", "/workspace", adminToken);
    expect(answer.status).toBe(401);
    expect(answer.body.error.message).toMatch(/Invalid, expired or revoked API token/);
  });

  it("acts with the lower of its role and its creator's current role", async () => {
    const admin = await join("ADMIN");
    const token = (
      await admin.api.tokens.create({ workspace: owner.workspace.slug, name: "ci", role: "ADMIN" })
    ).token;
    expect((await call("GET", "/tokens", token)).status).toBe(200);
    await owner.api.members.changeRole({
      workspace: owner.workspace.slug,
      memberId: admin.memberId,
      role: "VIEWER",
    });
    const me = await call("GET", "/workspace", token);
    expect(me.body.role).toBe("VIEWER");
    expect((await call("GET", "/tokens", token)).status).toBe(403);
    expect((await call("POST", "/tokens", token, { name: "x", role: "VIEWER" })).status).toBe(403);
    const listed = (await owner.api.tokens.list({ workspace: owner.workspace.slug })).items.find(
      (t) => t.name === "ci",
    );
    expect(listed).toMatchObject({
      role: "ADMIN",
      effectiveRole: "VIEWER",
      createdBy: { email: admin.email },
    });
    // Promoted back, it has its own role again.
    await owner.api.members.changeRole({
      workspace: owner.workspace.slug,
      memberId: admin.memberId,
      role: "ADMIN",
    });
    expect((await call("GET", "/tokens", token)).status).toBe(200);
  });
});

describe("expiry and last use", () => {
  it("expires in 90 days unless told otherwise; no expiry is explicit; an expired token is refused", async () => {
    const workspace = owner.workspace.slug;
    const byDefault = await owner.api.tokens.create({ workspace, name: "default", role: "VIEWER" });
    const days = (byDefault.expiresAt!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    const forever = await call("POST", "/tokens", ownerToken, {
      name: "forever",
      role: "VIEWER",
      expiresInDays: null,
    });
    expect(forever.status).toBe(201);
    expect(forever.body.expiresAt).toBeNull();
    const week = await call("POST", "/tokens", ownerToken, {
      name: "week",
      role: "VIEWER",
      expiresInDays: 7,
    });
    expect(new Date(week.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 6.9 * 86_400_000);
    const bad = await call("POST", "/tokens", ownerToken, { name: "bad", role: "VIEWER", expiresInDays: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems[0]).toMatchObject({ path: "expiresInDays" });

    await db.apiToken.update({
      where: { id: byDefault.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await call("GET", "/workspace", byDefault.token)).status).toBe(401);
    const listed = (await owner.api.tokens.list({ workspace })).items.find((t) => t.id === byDefault.id);
    expect(listed).toMatchObject({ expired: true });
  });

  it("records when and from where it was last used, shown in the list (UI and API)", async () => {
    const workspace = owner.workspace.slug;
    const created = await owner.api.tokens.create({ workspace, name: "probe", role: "VIEWER" });
    expect((await call("GET", "/workspace", created.token, undefined, "198.51.100.23")).status).toBe(200);
    const listed = await call("GET", "/tokens", ownerToken);
    expect(listed.body.items.find((t: { id: string }) => t.id === created.id)).toMatchObject({
      lastUsedIp: "198.51.100.23",
      lastUsedAt: expect.any(String),
    });
    // A new address is recorded at once, whatever the time since the last use.
    await call("GET", "/workspace", created.token, undefined, "198.51.100.24");
    const ui = (await owner.api.tokens.list({ workspace })).items.find((t) => t.id === created.id);
    expect(ui?.lastUsedIp).toBe("198.51.100.24");
  });
});
