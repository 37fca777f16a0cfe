// Single sign-on through a workspace's own OpenID Connect provider (a real one, started here:
// support/oidc-issuer.ts), from the start address to a session in the workspace: just-in-time
// membership, groups from the groups claim, allowed domains, "require SSO", sessions bound to
// their workspace, accounts linked only by their owners, and settings answered without the secret.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { generateKey } from "@/server/secrets/crypto";
import { rotateKeys } from "@/server/secrets/keyring";
import { finishSso, redeemSsoTicket, startSso } from "@/server/sso/sign-in";
import { type Caller, systemScope } from "@/server/tenancy/door";
import { apiAs, codeOf, createUser } from "../support/factories";
import { type Person, startIssuer, type TestIssuer } from "../support/oidc-issuer";

const BASE = "http://localhost:3000";
let issuer: TestIssuer;
let owner: Awaited<ReturnType<typeof createUser>>;
let slug: string;

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";
  issuer = await startIssuer();
});
afterAll(() => issuer.close());

beforeEach(async () => {
  owner = await createUser("owner");
  slug = owner.workspace.slug;
  await owner.api.sso.configure({
    workspace: slug,
    issuer: issuer.url,
    clientId: issuer.clientId,
    clientSecret: issuer.clientSecret,
    allowedDomains: ["acme.test"],
    jitRole: "VIEWER",
  });
});

/** Signs `person` in as a browser would: start, the provider's redirect, the callback, the ticket. */
async function signIn(person: Person, options: { linkUserId?: string; workspace?: string } = {}) {
  issuer.person = person;
  const workspace = options.workspace ?? slug;
  const { url, state } = await startSso({ slug: workspace, baseUrl: BASE, linkUserId: options.linkUserId });
  const answer = await fetch(url, { redirect: "manual" });
  const callbackUrl = answer.headers.get("location")!;
  expect(callbackUrl.startsWith(`${BASE}/api/sso/${workspace}/callback?`)).toBe(true);
  const { ticket } = await finishSso({ slug: workspace, baseUrl: BASE, callbackUrl, cookieState: state });
  const user = await redeemSsoTicket(ticket);
  const caller: Caller = {
    kind: "user",
    userId: user.id,
    email: user.email,
    sessionMethod: `sso:${user.ssoWorkspaceId}`,
  };
  return { user, ticket, api: apiAs(caller), callbackUrl, state };
}

describe("signing in through the workspace's provider", () => {
  it("makes a member just in time, in the groups mapped from the groups claim", async () => {
    const oncall = await owner.api.groups.create({
      workspace: slug,
      name: "on-call",
      role: "OPERATOR",
      idpGroup: "oncall-team",
    });
    const ana = await signIn({
      sub: "ana-1",
      email: "Ana@acme.test",
      name: "Ana",
      groups: ["oncall-team", "other"],
    });
    expect(ana.user.email).toBe("ana@acme.test");
    const seen = await ana.api.workspace.get({ workspace: slug });
    expect(seen.role).toBe("OPERATOR");
    const member = (await owner.api.members.list({ workspace: slug })).items.find(
      (m) => m.email === "ana@acme.test",
    );
    expect(member).toMatchObject({ role: "VIEWER", effectiveRole: "OPERATOR", effectiveVia: "on-call" });
    expect(
      (await owner.api.groups.get({ workspace: slug, groupId: oncall.id })).members.map((m) => m.email),
    ).toEqual(["ana@acme.test"]);

    // The same person again, now outside the provider's group: out of the Baton group too.
    const again = await signIn({ sub: "ana-1", email: "ana@acme.test", groups: [] });
    expect(again.user.id).toBe(ana.user.id);
    expect((await again.api.workspace.get({ workspace: slug })).role).toBe("VIEWER");

    const actions = (await owner.api.audit.list({ workspace: slug, limit: 50 })).items.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "sso.create",
        "member.join",
        "sso.sign_in",
        "group.member_add",
        "group.member_remove",
      ]),
    );
  });

  it("refuses an e-mail domain the workspace does not allow", async () => {
    await expect(signIn({ sub: "eve", email: "eve@evil.test" })).rejects.toThrow(
      /evil\.test addresses may not sign in/,
    );
    expect(await db.user.findUnique({ where: { email: "eve@evil.test" } })).toBeNull();
    const events = (await owner.api.audit.list({ workspace: slug })).items;
    expect(events.find((e) => e.action === "sso.refused")?.metadata).toMatchObject({ domain: "evil.test" });
  });

  it("uses a ticket and a provider answer once, and only in the browser that started", async () => {
    const first = await signIn({ sub: "ben", email: "ben@acme.test" });
    expect(await codeOf(redeemSsoTicket(first.ticket))).toBe("FORBIDDEN");
    await expect(
      finishSso({ slug, baseUrl: BASE, callbackUrl: first.callbackUrl, cookieState: first.state }),
    ).rejects.toThrow(/expired or was already used/);
    issuer.person = { sub: "ben", email: "ben@acme.test" };
    const { url } = await startSso({ slug, baseUrl: BASE });
    const callbackUrl = (await fetch(url, { redirect: "manual" })).headers.get("location")!;
    await expect(
      finishSso({ slug, baseUrl: BASE, callbackUrl, cookieState: "another-browser" }),
    ).rejects.toThrow(/not started in this browser/);
  });

  it("lets only members in when the workspace takes nobody just in time", async () => {
    await owner.api.sso.configure({
      workspace: slug,
      issuer: issuer.url,
      clientId: issuer.clientId,
      allowedDomains: ["acme.test"],
      jitRole: null,
    });
    await expect(signIn({ sub: "carla", email: "carla@acme.test" })).rejects.toThrow(/not a member/);
  });

  it("never takes over an account made elsewhere; its owner links it by signing in first", async () => {
    const existing = await createUser("dan");
    const email = existing.email;
    await owner.api.sso.configure({
      workspace: slug,
      issuer: issuer.url,
      clientId: issuer.clientId,
      allowedDomains: [],
      jitRole: "VIEWER",
    });
    await expect(signIn({ sub: "dan", email })).rejects.toThrow(/exists already/);
    const linked = await signIn({ sub: "dan", email }, { linkUserId: existing.user.id });
    expect(linked.user.id).toBe(existing.user.id);
    // Linked, the provider's word is enough from then on.
    expect((await signIn({ sub: "dan", email })).user.id).toBe(existing.user.id);
    // Someone signed in as another account cannot link it to this address.
    const mallory = await createUser("mallory");
    await expect(signIn({ sub: "dan-2", email }, { linkUserId: mallory.user.id })).rejects.toThrow(
      /exists already/,
    );
  });
});

/** The settings with any e-mail domain allowed (owners' addresses are at example.com). */
const anyDomain = () =>
  owner.api.sso.configure({
    workspace: slug,
    issuer: issuer.url,
    clientId: issuer.clientId,
    allowedDomains: [],
    jitRole: "VIEWER",
  });

describe("a session from single sign-on", () => {
  it("enters its own workspace only", async () => {
    await anyDomain();
    const linked = await signIn({ sub: "owner", email: owner.email }, { linkUserId: owner.user.id });
    const other = await owner.api.account.createWorkspace({ name: "Elsewhere" });
    expect(await codeOf(owner.api.workspace.get({ workspace: other.slug }))).toBe("OK");
    expect(await codeOf(linked.api.workspace.get({ workspace: other.slug }))).toBe("NOT_FOUND");
    expect(await codeOf(linked.api.workspace.get({ workspace: slug }))).toBe("OK");
  });
});

describe("requiring single sign-on", () => {
  it("refuses members who signed in otherwise; tokens keep working", async () => {
    const settings = {
      workspace: slug,
      issuer: issuer.url,
      clientId: issuer.clientId,
      allowedDomains: [],
      jitRole: "VIEWER" as const,
      requireSso: true,
    };
    await anyDomain();
    // Requiring it from a password session would lock its owner out.
    expect(await codeOf(owner.api.sso.configure(settings))).toBe("CONFLICT");
    const { token } = await owner.api.tokens.create({ workspace: slug, name: "ci", role: "ADMIN" });
    const viaSso = await signIn({ sub: "owner", email: owner.email }, { linkUserId: owner.user.id });
    expect((await viaSso.api.sso.configure(settings)).requireSso).toBe(true);

    expect(await codeOf(owner.api.workspace.get({ workspace: slug }))).toBe("FORBIDDEN");
    expect(await codeOf(viaSso.api.dags.list({ workspace: slug }))).toBe("OK");
    const { authenticateToken } = await import("@/server/tokens/service");
    expect(await codeOf(apiAs(await authenticateToken(token)).dags.list({ workspace: slug }))).toBe("OK");
  });
});

describe("settings", () => {
  it("never answer the client secret, and store it encrypted", async () => {
    const settings = await owner.api.sso.get({ workspace: slug });
    expect(settings).toMatchObject({
      issuer: issuer.url,
      clientId: "baton",
      allowedDomains: ["acme.test"],
      redirectUri: `${BASE}/api/sso/${slug}/callback`,
    });
    expect(JSON.stringify(settings)).not.toContain(issuer.clientSecret);
    const stored = await db.workspaceSso.findUniqueOrThrow({ where: { workspaceId: owner.workspace.id } });
    expect(stored.clientSecret).not.toContain(issuer.clientSecret);
    expect(await owner.api.sso.test({ workspace: slug })).toMatchObject({ ok: true });
  });

  it("follow a master key rotation (baton keys rotate)", async () => {
    const v1 = process.env.BATON_MASTER_KEYS!;
    process.env.BATON_MASTER_KEYS = `2:${generateKey()},${v1}`;
    try {
      const result = await rotateKeys(await systemScope(owner.workspace.id));
      expect(result.sso).toEqual({ found: 1, rotated: 1, failed: 0 });
      const stored = await db.workspaceSso.findUniqueOrThrow({ where: { workspaceId: owner.workspace.id } });
      expect(stored.clientSecret.startsWith("v2:")).toBe(true);
      process.env.BATON_MASTER_KEYS = process.env.BATON_MASTER_KEYS.split(",")[0];
      expect((await signIn({ sub: "erin", email: "erin@acme.test" })).user.email).toBe("erin@acme.test");
    } finally {
      process.env.BATON_MASTER_KEYS = v1;
    }
  });

  it("refuse bad input with the field, and a provider on a private address", async () => {
    const bad = { workspace: slug, issuer: "ftp://x", clientId: "", allowedDomains: ["not a domain"] };
    expect(await codeOf(owner.api.sso.configure(bad))).toBe("BAD_REQUEST");
    delete process.env.BATON_HTTP_ALLOW;
    try {
      expect(await owner.api.sso.test({ workspace: slug })).toMatchObject({ ok: false });
    } finally {
      process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";
    }
  });

  it("need workspace:update, and their changes are audited", async () => {
    const editor = await createUser("editor");
    await db.membership.create({
      data: { workspaceId: owner.workspace.id, userId: editor.user.id, role: "EDITOR" },
    });
    expect(await codeOf(editor.api.sso.get({ workspace: slug }))).toBe("FORBIDDEN");
    await owner.api.sso.remove({ workspace: slug });
    expect(await owner.api.sso.get({ workspace: slug })).toBeNull();
    const actions = (await owner.api.audit.list({ workspace: slug })).items.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["sso.create", "sso.delete"]));
  });
});
