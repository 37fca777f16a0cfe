import { beforeEach, describe, expect, it } from "vitest";
import { db } from "@/server/db/client";
import { codeOf, createUser } from "../support/factories";

type User = Awaited<ReturnType<typeof createUser>>;
let owner: User;
let slug: string;

async function join(role: "ADMIN" | "EDITOR" | "OPERATOR" | "VIEWER" | "OWNER", name = role.toLowerCase()) {
  const person = await createUser(name);
  const invitation = await owner.api.members.invite({ workspace: slug, email: person.email, role });
  const secret = invitation.link.split("/invite/")[1]!;
  await person.api.account.acceptInvitation({ secret });
  const member = (await owner.api.members.list({ workspace: slug })).items.find(
    (m) => m.email === person.email,
  )!;
  return { ...person, memberId: member.id };
}

beforeEach(async () => {
  owner = await createUser("owner");
  slug = owner.workspace.slug;
});

describe("invitations", () => {
  it("are single-use links for the invited e-mail that expire", async () => {
    const invitee = await createUser("invitee");
    const stranger = await createUser("stranger");
    const invitation = await owner.api.members.invite({
      workspace: slug,
      email: invitee.email,
      role: "EDITOR",
    });
    expect(invitation.link).toMatch(/^http:\/\/localhost:3000\/invite\/[\w-]{20,}$/);
    const secret = invitation.link.split("/invite/")[1]!;

    expect(await stranger.api.account.invitation({ secret })).toMatchObject({
      role: "EDITOR",
      status: "pending",
    });
    expect(await codeOf(stranger.api.account.acceptInvitation({ secret }))).toBe("FORBIDDEN");
    expect(await invitee.api.account.acceptInvitation({ secret })).toEqual({ slug });
    expect((await invitee.api.workspace.get({ workspace: slug })).role).toBe("EDITOR");
    expect(await codeOf(invitee.api.account.acceptInvitation({ secret }))).toBe("CONFLICT");

    const late = await createUser("late");
    const expired = await owner.api.members.invite({ workspace: slug, email: late.email, role: "VIEWER" });
    await db.invitation.update({
      where: { id: expired.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect(
      await codeOf(late.api.account.acceptInvitation({ secret: expired.link.split("/invite/")[1]! })),
    ).toBe("BAD_REQUEST");
  });

  it("can be revoked", async () => {
    const invitee = await createUser("revoked");
    const invitation = await owner.api.members.invite({
      workspace: slug,
      email: invitee.email,
      role: "VIEWER",
    });
    await owner.api.members.revokeInvitation({ workspace: slug, invitationId: invitation.id });
    expect((await owner.api.members.invitations({ workspace: slug })).items).toEqual([]);
    expect(
      await codeOf(invitee.api.account.acceptInvitation({ secret: invitation.link.split("/invite/")[1]! })),
    ).toBe("NOT_FOUND");
  });
});

describe("roles", () => {
  it("take effect at once on what the member may do", async () => {
    const viewer = await join("VIEWER");
    expect(await codeOf(viewer.api.members.invitations({ workspace: slug }))).toBe("FORBIDDEN");
    await owner.api.members.changeRole({ workspace: slug, memberId: viewer.memberId, role: "ADMIN" });
    expect(await codeOf(viewer.api.members.invitations({ workspace: slug }))).toBe("OK");
    const events = await owner.api.audit.list({ workspace: slug, limit: 50 });
    expect(events.items.map((e) => e.action)).toContain("member.role_change");
  });

  it("keep the last owner: not removable, not demotable", async () => {
    const self = (await owner.api.members.list({ workspace: slug })).items[0]!;
    expect(
      await codeOf(owner.api.members.changeRole({ workspace: slug, memberId: self.id, role: "ADMIN" })),
    ).toBe("CONFLICT");
    expect(await codeOf(owner.api.members.remove({ workspace: slug, memberId: self.id }))).toBe("CONFLICT");
    const second = await join("OWNER", "coowner");
    await owner.api.members.changeRole({ workspace: slug, memberId: self.id, role: "ADMIN" });
    expect(
      (await second.api.members.list({ workspace: slug })).items.find((m) => m.id === self.id)?.role,
    ).toBe("ADMIN");
  });

  it("let admins manage everyone but owners", async () => {
    const admin = await join("ADMIN");
    const editor = await join("EDITOR");
    const self = (await owner.api.members.list({ workspace: slug })).items[0]!;
    expect(
      await codeOf(
        admin.api.members.changeRole({ workspace: slug, memberId: editor.memberId, role: "OPERATOR" }),
      ),
    ).toBe("OK");
    expect(
      await codeOf(admin.api.members.changeRole({ workspace: slug, memberId: self.id, role: "VIEWER" })),
    ).toBe("FORBIDDEN");
    expect(
      await codeOf(
        admin.api.members.changeRole({ workspace: slug, memberId: editor.memberId, role: "OWNER" }),
      ),
    ).toBe("FORBIDDEN");
    expect(
      await codeOf(admin.api.members.invite({ workspace: slug, email: "x@example.com", role: "OWNER" })),
    ).toBe("FORBIDDEN");
    expect(await codeOf(admin.api.members.remove({ workspace: slug, memberId: editor.memberId }))).toBe("OK");
    expect(await codeOf(editor.api.workspace.get({ workspace: slug }))).toBe("NOT_FOUND");
  });

  it("gate every workspace procedure by permission", async () => {
    const operator = await join("OPERATOR");
    expect(await codeOf(operator.api.workspace.get({ workspace: slug }))).toBe("OK");
    expect(await codeOf(operator.api.members.list({ workspace: slug }))).toBe("OK");
    expect(await codeOf(operator.api.workspace.rename({ workspace: slug, name: "x" }))).toBe("FORBIDDEN");
    expect(await codeOf(operator.api.tokens.list({ workspace: slug }))).toBe("FORBIDDEN");
    expect(await codeOf(operator.api.audit.list({ workspace: slug, limit: 10 }))).toBe("FORBIDDEN");
    expect(await codeOf(operator.api.workspace.delete({ workspace: slug, confirm: slug }))).toBe("FORBIDDEN");
  });
});
