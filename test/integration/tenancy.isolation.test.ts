// Tenant isolation, enumerated from the router itself: every procedure is called by a member of
// workspace A with workspace B's slug and B's ids. A procedure added later without a fixture here
// fails the suite, and so does one that answers anything but NOT_FOUND.
import { beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import { db } from "@/server/db/client";
import { restRoutes } from "@/server/rest/routes";
import { openWorkspace } from "@/server/tenancy/door";
import { createToken } from "@/server/tokens/service";
import { inviteMember } from "@/server/members/service";
import { apiAs, codeOf, createUser } from "../support/factories";

type Ids = { workspace: string; memberId: string; invitationId: string; tokenId: string };

/** Input for each workspace procedure, built from the target workspace's ids. */
const fixtures: Record<string, (ids: Ids) => Record<string, unknown>> = {
  "workspace.get": (ids) => ({ workspace: ids.workspace }),
  "workspace.rename": (ids) => ({ workspace: ids.workspace, name: "Hijacked" }),
  "workspace.delete": (ids) => ({ workspace: ids.workspace, confirm: ids.workspace }),
  "members.list": (ids) => ({ workspace: ids.workspace }),
  "members.invitations": (ids) => ({ workspace: ids.workspace }),
  "members.invite": (ids) => ({ workspace: ids.workspace, email: "intruder@example.com", role: "OWNER" }),
  "members.revokeInvitation": (ids) => ({ workspace: ids.workspace, invitationId: ids.invitationId }),
  "members.changeRole": (ids) => ({ workspace: ids.workspace, memberId: ids.memberId, role: "VIEWER" }),
  "members.remove": (ids) => ({ workspace: ids.workspace, memberId: ids.memberId }),
  "tokens.list": (ids) => ({ workspace: ids.workspace }),
  "tokens.create": (ids) => ({ workspace: ids.workspace, name: "stolen", role: "OWNER" }),
  "tokens.revoke": (ids) => ({ workspace: ids.workspace, tokenId: ids.tokenId }),
  "audit.list": (ids) => ({ workspace: ids.workspace }),
};

/** Procedures that act for the signed-in user, not inside a workspace (no tenant ids in their input). */
const accountProcedures = new Set([
  "account.signUp",
  "account.me",
  "account.workspaces",
  "account.createWorkspace",
  "account.changePassword",
  "account.events",
  "account.invitation",
  "account.acceptInvitation",
]);

/** Procedures whose input carries ids of rows inside the workspace. */
const takesRowIds = Object.keys(fixtures).filter((name) => /Id|memberId/.test(JSON.stringify(fixtures[name]!({ workspace: "w", memberId: "m", invitationId: "i", tokenId: "t" }))));

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: { permission?: string } } }>;

let a: Awaited<ReturnType<typeof createUser>>;
let b: Awaited<ReturnType<typeof createUser>>;
let idsA: Ids;
let idsB: Ids;

async function seed(owner: typeof a): Promise<Ids> {
  const scope = await openWorkspace(owner.caller, owner.workspace.slug, "members:manage");
  const guest = await createUser("guest");
  await db.membership.create({ data: { workspaceId: owner.workspace.id, userId: guest.user.id, role: "VIEWER" } });
  const member = await db.membership.findFirstOrThrow({ where: { workspaceId: owner.workspace.id, userId: guest.user.id } });
  const invitation = await inviteMember(scope, { email: "someone@example.com", role: "EDITOR", baseUrl: "http://x" });
  const token = await createToken(scope, { name: "ci", role: "ADMIN" });
  return { workspace: owner.workspace.slug, memberId: member.id, invitationId: invitation.id, tokenId: token.id };
}

async function snapshot(workspaceId: string) {
  const [workspace, members, invitations, tokens] = await Promise.all([
    db.workspace.findUnique({ where: { id: workspaceId }, select: { name: true } }),
    db.membership.findMany({ where: { workspaceId }, select: { id: true, role: true }, orderBy: { id: "asc" } }),
    db.invitation.findMany({ where: { workspaceId }, select: { id: true, revokedAt: true }, orderBy: { id: "asc" } }),
    db.apiToken.findMany({ where: { workspaceId }, select: { id: true, revokedAt: true }, orderBy: { id: "asc" } }),
  ]);
  return { workspace, members, invitations, tokens };
}

beforeAll(async () => {
  a = await createUser("alice");
  b = await createUser("bob");
  idsA = await seed(a);
  idsB = await seed(b);
});

describe("every procedure is classified", () => {
  it("has a fixture here or is an account procedure", () => {
    const unclassified = Object.keys(procedures).filter((name) => !fixtures[name] && !accountProcedures.has(name));
    expect(unclassified).toEqual([]);
  });

  it("workspace procedures declare their permission and account procedures declare none", () => {
    for (const [name, procedure] of Object.entries(procedures)) {
      expect(Boolean(procedure._def.meta?.permission), name).toBe(Boolean(fixtures[name]));
    }
  });
});

describe("another workspace's slug answers NOT_FOUND", () => {
  for (const name of Object.keys(fixtures)) {
    it(name, async () => {
      const before = await snapshot(b.workspace.id);
      const call = name.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], a.api) as (
        input: unknown,
      ) => Promise<unknown>;
      expect(await codeOf(call(fixtures[name]!(idsB)))).toBe("NOT_FOUND");
      expect(await snapshot(b.workspace.id)).toEqual(before);
    });
  }
});

describe("another workspace's row ids, inside one's own workspace, answer NOT_FOUND", () => {
  for (const name of takesRowIds) {
    it(name, async () => {
      const before = await snapshot(b.workspace.id);
      const call = name.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], a.api) as (
        input: unknown,
      ) => Promise<unknown>;
      const input = { ...fixtures[name]!(idsB), workspace: idsA.workspace };
      expect(await codeOf(call(input))).toBe("NOT_FOUND");
      expect(await snapshot(b.workspace.id)).toEqual(before);
    });
  }
});

describe("REST: a token reaches only its own workspace", () => {
  let token: string;
  beforeAll(async () => {
    const scope = await openWorkspace(a.caller, a.workspace.slug, "tokens:manage");
    token = (await createToken(scope, { name: "isolation", role: "OWNER" })).token;
  });

  for (const route of restRoutes) {
    const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    if (params.length === 0) continue;
    it(`${route.method} ${route.path} with B's ids`, async () => {
      const { handleRest } = await import("@/server/rest/handler");
      const before = await snapshot(b.workspace.id);
      const path = route.path.replace(/\{(\w+)\}/g, (_, p: string) => idsB[p as keyof Ids]);
      const response = await handleRest(
        new Request(`http://localhost/api/v1${path}`, {
          method: route.method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: route.method === "GET" || route.method === "DELETE" ? undefined : JSON.stringify({ role: "VIEWER" }),
        }),
        path,
      );
      expect(response.status).toBe(404);
      expect(await snapshot(b.workspace.id)).toEqual(before);
    });
  }

  it("every REST route maps to a workspace procedure", () => {
    for (const route of restRoutes) expect(fixtures[route.procedure], route.procedure).toBeDefined();
  });
});

describe("unauthenticated callers", () => {
  it("get UNAUTHORIZED from workspace procedures", async () => {
    expect(await codeOf(apiAs(null).members.list({ workspace: idsA.workspace }))).toBe("UNAUTHORIZED");
  });
});
