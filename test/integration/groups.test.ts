// Groups: a role granted to a group applies to its members at the door, with the highest of a
// member's own and their groups' roles winning; tokens follow their creator's effective role; every
// change is audited; the plan's maxGroups bounds them.

import type { TRPCError } from "@trpc/server";
import { beforeEach, describe, expect, it } from "vitest";
import { problemsOf } from "@/server/api/trpc";
import { db } from "@/server/db/client";
import { authenticateToken } from "@/server/tokens/service";
import { codeOf, createUser } from "../support/factories";
import { raw } from "../support/rest";

type User = Awaited<ReturnType<typeof createUser>>;
let owner: User;
let slug: string;

async function join(role: "ADMIN" | "EDITOR" | "OPERATOR" | "VIEWER", name = role.toLowerCase()) {
  const person = await createUser(name);
  await db.membership.create({ data: { workspaceId: owner.workspace.id, userId: person.user.id, role } });
  const member = (await owner.api.members.list({ workspace: slug, limit: 100 })).items.find(
    (m) => m.email === person.email,
  )!;
  return { ...person, memberId: member.id };
}

const push = (who: User) =>
  who.api.dags.push({
    workspace: slug,
    document: { id: "finance_daily", tasks: [{ id: "t", operator: "noop" }] },
  });

beforeEach(async () => {
  owner = await createUser("owner");
  slug = owner.workspace.slug;
});

describe("a group's role", () => {
  it("lifts its members to it, and only while they belong to it", async () => {
    const analyst = await join("VIEWER", "analyst");
    expect(await codeOf(push(analyst))).toBe("FORBIDDEN");

    const finance = await owner.api.groups.create({ workspace: slug, name: "finance", role: "EDITOR" });
    await owner.api.groups.addMember({ workspace: slug, groupId: finance.id, memberId: analyst.memberId });
    expect((await analyst.api.workspace.get({ workspace: slug })).role).toBe("EDITOR");
    expect(await codeOf(push(analyst))).toBe("OK");
    const listed = (await owner.api.members.list({ workspace: slug })).items.find(
      (m) => m.id === analyst.memberId,
    )!;
    expect(listed).toMatchObject({
      role: "VIEWER",
      effectiveRole: "EDITOR",
      effectiveVia: "finance",
      groups: [{ id: finance.id, name: "finance", role: "EDITOR" }],
    });

    await owner.api.groups.update({ workspace: slug, groupId: finance.id, role: "OPERATOR" });
    expect(await codeOf(push(analyst))).toBe("FORBIDDEN");
    expect(await codeOf(analyst.api.runs.trigger({ workspace: slug, dagId: "finance_daily" }))).toBe("OK");

    await owner.api.groups.removeMember({ workspace: slug, groupId: finance.id, memberId: analyst.memberId });
    expect((await analyst.api.workspace.get({ workspace: slug })).role).toBe("VIEWER");
    expect(await codeOf(analyst.api.runs.trigger({ workspace: slug, dagId: "finance_daily" }))).toBe(
      "FORBIDDEN",
    );
  });

  it("never lowers a member: the highest of their own and all their groups' roles wins", async () => {
    const lead = await join("EDITOR", "lead");
    const readers = await owner.api.groups.create({ workspace: slug, name: "readers", role: "VIEWER" });
    const admins = await owner.api.groups.create({ workspace: slug, name: "platform", role: "ADMIN" });
    await owner.api.groups.addMember({ workspace: slug, groupId: readers.id, memberId: lead.memberId });
    expect((await lead.api.workspace.get({ workspace: slug })).role).toBe("EDITOR");
    await owner.api.groups.addMember({ workspace: slug, groupId: admins.id, memberId: lead.memberId });
    expect((await lead.api.workspace.get({ workspace: slug })).role).toBe("ADMIN");
    expect(await codeOf(lead.api.audit.list({ workspace: slug }))).toBe("OK");
    // A group with no role gives nothing beyond the member's own.
    await owner.api.groups.update({ workspace: slug, groupId: admins.id, role: null });
    expect((await lead.api.workspace.get({ workspace: slug })).role).toBe("EDITOR");
    // Deleting a group takes its role away from its members.
    await owner.api.groups.update({ workspace: slug, groupId: admins.id, role: "ADMIN" });
    await owner.api.groups.delete({ workspace: slug, groupId: admins.id });
    expect((await lead.api.workspace.get({ workspace: slug })).role).toBe("EDITOR");
    expect((await owner.api.groups.list({ workspace: slug })).map((g) => g.name)).toEqual(["readers"]);
  });

  it("limits API tokens its members made to their effective role", async () => {
    const operator = await join("OPERATOR", "oncall");
    const oncall = await owner.api.groups.create({ workspace: slug, name: "on-call", role: "ADMIN" });
    await owner.api.groups.addMember({ workspace: slug, groupId: oncall.id, memberId: operator.memberId });
    const made = await operator.api.tokens.create({ workspace: slug, name: "ci", role: "ADMIN" });
    expect((await authenticateToken(made.token)).role).toBe("ADMIN");
    await owner.api.groups.removeMember({ workspace: slug, groupId: oncall.id, memberId: operator.memberId });
    expect((await authenticateToken(made.token)).role).toBe("OPERATOR");
    const tokens = await owner.api.tokens.list({ workspace: slug });
    expect(tokens.items.find((t) => t.id === made.id)?.effectiveRole).toBe("OPERATOR");
  });
});

describe("managing groups", () => {
  it("needs members:manage; members:read sees them", async () => {
    const editor = await join("EDITOR");
    const group = await owner.api.groups.create({ workspace: slug, name: "analysts" });
    expect(await codeOf(editor.api.groups.list({ workspace: slug }))).toBe("OK");
    expect(await codeOf(editor.api.groups.get({ workspace: slug, groupId: group.id }))).toBe("OK");
    expect(await codeOf(editor.api.groups.create({ workspace: slug, name: "mine", role: "ADMIN" }))).toBe(
      "FORBIDDEN",
    );
    expect(
      await codeOf(
        editor.api.groups.addMember({ workspace: slug, groupId: group.id, memberId: editor.memberId }),
      ),
    ).toBe("FORBIDDEN");
  });

  it("refuses the owner role, duplicate names and blank names with the field", async () => {
    const problems = async (promise: Promise<unknown>) => {
      try {
        await promise;
        return null;
      } catch (error) {
        const refused = error as TRPCError;
        return { code: refused.code, paths: problemsOf(refused).map((p) => p.path) };
      }
    };
    expect(
      await problems(owner.api.groups.create({ workspace: slug, name: "root", role: "OWNER" as "ADMIN" })),
    ).toMatchObject({
      code: "BAD_REQUEST",
      paths: ["role"],
    });
    await owner.api.groups.create({ workspace: slug, name: "dup" });
    expect(await problems(owner.api.groups.create({ workspace: slug, name: "dup" }))).toMatchObject({
      code: "CONFLICT",
      paths: ["name"],
    });
    expect(await problems(owner.api.groups.create({ workspace: slug, name: "  " }))).toMatchObject({
      code: "BAD_REQUEST",
      paths: ["name"],
    });
    expect((await owner.api.groups.list({ workspace: slug })).map((g) => g.name)).toEqual(["dup"]);
  });

  it("audits every change", async () => {
    const viewer = await join("VIEWER");
    const group = await owner.api.groups.create({ workspace: slug, name: "ops", role: "OPERATOR" });
    await owner.api.groups.update({ workspace: slug, groupId: group.id, name: "on-call", role: "EDITOR" });
    await owner.api.groups.addMember({ workspace: slug, groupId: group.id, memberId: viewer.memberId });
    // Adding someone twice changes nothing and records nothing.
    await owner.api.groups.addMember({ workspace: slug, groupId: group.id, memberId: viewer.memberId });
    await owner.api.groups.removeMember({ workspace: slug, groupId: group.id, memberId: viewer.memberId });
    expect(
      await codeOf(
        owner.api.groups.removeMember({ workspace: slug, groupId: group.id, memberId: viewer.memberId }),
      ),
    ).toBe("NOT_FOUND");
    await owner.api.groups.delete({ workspace: slug, groupId: group.id });
    const events = (await owner.api.audit.list({ workspace: slug, limit: 50 })).items
      .filter((e) => e.action.startsWith("group."))
      .reverse();
    expect(events.map((e) => [e.action, e.target])).toEqual([
      ["group.create", "ops"],
      ["group.update", "on-call"],
      ["group.member_add", viewer.email],
      ["group.member_remove", viewer.email],
      ["group.delete", "on-call"],
    ]);
    expect(events[1]!.metadata).toMatchObject({
      changes: { name: { from: "ops", to: "on-call" }, role: { from: "OPERATOR", to: "EDITOR" } },
    });
  });

  it("are bounded by the plan's maxGroups", async () => {
    await db.workspace.update({ where: { id: owner.workspace.id }, data: { maxGroups: 1 } });
    await owner.api.groups.create({ workspace: slug, name: "one" });
    await expect(owner.api.groups.create({ workspace: slug, name: "two" })).rejects.toThrow(
      /1 of 1 groups allowed by its plan \(quota maxGroups\)/,
    );
  });

  it("a removed member leaves their groups", async () => {
    const viewer = await join("VIEWER");
    const group = await owner.api.groups.create({ workspace: slug, name: "team", role: "EDITOR" });
    await owner.api.groups.addMember({ workspace: slug, groupId: group.id, memberId: viewer.memberId });
    await owner.api.members.remove({ workspace: slug, memberId: viewer.memberId });
    expect((await owner.api.groups.get({ workspace: slug, groupId: group.id })).members).toEqual([]);
    expect(await codeOf(viewer.api.workspace.get({ workspace: slug }))).toBe("NOT_FOUND");
  });
});

describe("REST", () => {
  it("creates a group, adds a member and reads it back", async () => {
    const viewer = await join("VIEWER");
    const { token } = await owner.api.tokens.create({ workspace: slug, name: "admin", role: "ADMIN" });
    const created = await raw("POST", "/groups", {
      token,
      body: JSON.stringify({ name: "finance", role: "EDITOR" }),
    });
    expect(created.status).toBe(201);
    const group = created.body as { id: string };
    const added = await raw("PUT", `/groups/${group.id}/members/${viewer.memberId}`, { token });
    expect(added.status).toBe(200);
    const read = await raw("GET", `/groups/${group.id}`, { token });
    expect(read.body).toMatchObject({
      name: "finance",
      role: "EDITOR",
      members: [{ email: viewer.email }],
    });
    expect((await raw("DELETE", `/groups/${group.id}`, { token })).status).toBe(204);
  });
});
