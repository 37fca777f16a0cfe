// Issue 29 items 1, 2 and 4: password reset by e-mail (or the administrator's CLI), e-mail
// verification before joining workspaces, and deleting one's own account. Mail goes through the
// local SMTP sink.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { authenticate, createAccount } from "@/server/auth/accounts";
import { checkSession, SessionEnded, startSession } from "@/server/auth/sessions";
import { db } from "@/server/db/client";
import { handleRest } from "@/server/rest/handler";
import { baton } from "../support/cli";
import { apiAs, codeOf, createUser, uniqueEmail } from "../support/factories";
import { type SmtpSink, startSmtpSink } from "../support/smtp-sink";

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  delete process.env.BATON_SMTP_URL;
  await sink.close();
});
beforeEach(() => {
  process.env.BATON_SMTP_URL = `smtp://127.0.0.1:${sink.port}`;
  sink.messages.length = 0;
});

const linkIn = (data: string, path: string) => {
  const body = data.replace(/=\r?\n/g, "");
  return new RegExp(`${path}/([A-Za-z0-9_-]+)`).exec(body)?.[1];
};
const anonymous = (ip: string) => apiAs(null, ip);

describe("password reset", () => {
  it("answers the same for every address and mails only an account's owner", async () => {
    const { email } = await createUser("forgetful");
    const nobody = uniqueEmail("nobody");
    const answers = [
      await anonymous("10.20.0.1").account.requestPasswordReset({ email }),
      await anonymous("10.20.0.1").account.requestPasswordReset({ email: nobody }),
    ];
    expect(answers).toEqual([
      { email, emailed: true },
      { email: nobody, emailed: true },
    ]);
    const [mail] = await sink.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sink.messages).toHaveLength(1);
    expect(mail!.to).toEqual([email]);
  });

  it("is single-use, short-lived and hashed; ends every session; audited; proves the address", async () => {
    const { email, user, password } = await createUser("reset");
    await db.user.update({ where: { id: user.id }, data: { emailVerifiedAt: null } });
    const sessions = await Promise.all(
      ["10.21.0.1", "10.21.0.2"].map((ip) =>
        startSession({ userId: user.id, method: "credentials", pendingSecondFactor: false, ip }),
      ),
    );
    await anonymous("10.21.0.9").account.requestPasswordReset({ email });
    await anonymous("10.21.0.9").account.requestPasswordReset({ email });
    const [first, second] = await sink.waitFor(2);
    const secret = linkIn(first!.data, "/reset-password")!;
    const other = linkIn(second!.data, "/reset-password")!;
    const stored = await db.emailLink.findMany({ where: { userId: user.id, purpose: "reset_password" } });
    expect(stored).toHaveLength(2);
    for (const row of stored) {
      expect(row.tokenHash).not.toContain(secret);
      expect(Math.round((row.expiresAt.getTime() - row.createdAt.getTime()) / 60_000)).toBe(30);
    }
    expect(await anonymous("10.21.0.9").account.resetLink({ secret })).toEqual({ email });

    // A weak password is refused without using the link up.
    expect(
      await codeOf(anonymous("10.21.0.9").account.resetPassword({ secret, password: "aaaaaaaaaa" })),
    ).toBe("BAD_REQUEST");
    await anonymous("10.21.0.9").account.resetPassword({ secret, password: "a completely new passphrase" });
    for (const id of sessions) await expect(checkSession(id)).rejects.toBeInstanceOf(SessionEnded);
    await expect(authenticate({ email, password, ip: "10.21.0.9" })).rejects.toThrow("Wrong");
    await expect(
      authenticate({ email, password: "a completely new passphrase", ip: "10.21.0.9" }),
    ).resolves.toMatchObject({ email });
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).emailVerifiedAt).not.toBeNull();
    const event = await db.auditEvent.findFirst({ where: { actor: user.id, action: "auth.password_reset" } });
    expect(event?.metadata).toMatchObject({ sessionsEnded: 2 });

    // Used once; the other link of the same account is retired with it.
    for (const used of [secret, other]) {
      expect(
        await codeOf(
          anonymous("10.21.0.9").account.resetPassword({ secret: used, password: "yet another passphrase" }),
        ),
      ).toBe("BAD_REQUEST");
    }
  });

  it("refuses an expired link", async () => {
    const { email } = await createUser("late");
    await anonymous("10.22.0.1").account.requestPasswordReset({ email });
    const [mail] = await sink.waitFor(1);
    const secret = linkIn(mail!.data, "/reset-password")!;
    await db.emailLink.updateMany({ where: { email }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await codeOf(anonymous("10.22.0.1").account.resetLink({ secret }))).toBe("BAD_REQUEST");
  });

  it("is limited per address and per client address (429, the same for every address)", async () => {
    const { email } = await createUser("limited");
    for (let i = 0; i < 5; i++) await anonymous(`10.23.0.${i}`).account.requestPasswordReset({ email });
    expect(await codeOf(anonymous("10.23.1.1").account.requestPasswordReset({ email }))).toBe(
      "TOO_MANY_REQUESTS",
    );
    for (let i = 0; i < 30; i++) {
      await anonymous("10.23.9.9").account.requestPasswordReset({ email: uniqueEmail(`spray${i}`) });
    }
    expect(
      await codeOf(anonymous("10.23.9.9").account.requestPasswordReset({ email: uniqueEmail("one-more") })),
    ).toBe("TOO_MANY_REQUESTS");
  });

  it("without SMTP, the administrator prints a link with `baton user reset-link`", async () => {
    delete process.env.BATON_SMTP_URL;
    const { email } = await createUser("cli-reset");
    expect(await anonymous("10.24.0.1").account.requestPasswordReset({ email })).toEqual({
      email,
      emailed: false,
    });
    const printed = await baton(["user", "reset-link", email]);
    expect(printed.code).toBe(0);
    const secret = /\/reset-password\/([A-Za-z0-9_-]+)\n$/.exec(printed.stdout)?.[1];
    expect(secret).toBeTruthy();
    await anonymous("10.24.0.1").account.resetPassword({
      secret: secret!,
      password: "handed over passphrase",
    });
    await expect(
      authenticate({ email, password: "handed over passphrase", ip: "10.24.0.1" }),
    ).resolves.toBeTruthy();
    expect((await baton(["user", "reset-link", uniqueEmail("ghost")])).code).toBe(1);
  });
});

describe("e-mail verification", () => {
  it("an unconfirmed account can neither accept an invitation nor be added; confirming lets it", async () => {
    const owner = await createUser("owner");
    const email = uniqueEmail("unconfirmed");
    const { user } = await createAccount({
      email,
      name: "Una",
      password: "correct horse battery",
      verified: false,
    });
    const una = apiAs({ kind: "user", userId: user.id, email, ip: "10.25.0.1" });
    const invitation = await owner.api.members.invite({
      workspace: owner.workspace.slug,
      email,
      role: "VIEWER",
    });
    const secret = invitation.link.split("/invite/")[1]!;
    sink.messages.length = 0;
    expect(await codeOf(una.account.acceptInvitation({ secret }))).toBe("FORBIDDEN");
    const added = await baton([
      "member",
      "add",
      "--workspace",
      owner.workspace.slug,
      "--email",
      email,
      "--role",
      "viewer",
    ]);
    expect(added.code).toBe(1);
    expect(added.stderr).toMatch(/has not confirmed their e-mail address/);

    expect(await una.account.sendConfirmation()).toEqual({ email, emailed: true });
    const [mail] = await sink.waitFor(1);
    const confirmation = linkIn(mail!.data, "/verify-email")!;
    expect(await apiAs(null).account.confirmEmail({ secret: confirmation })).toEqual({ email });
    expect(await codeOf(apiAs(null).account.confirmEmail({ secret: confirmation }))).toBe("BAD_REQUEST");
    expect(await una.account.acceptInvitation({ secret })).toEqual({ slug: owner.workspace.slug });
  });

  it("without SMTP the link is shown; a new address is confirmed before it replaces the old", async () => {
    delete process.env.BATON_SMTP_URL;
    const person = await createUser("mover");
    const api = apiAs({ ...person.caller, ip: "10.26.0.1" });
    const next = uniqueEmail("moved");
    expect(await codeOf(api.account.changeEmail({ newEmail: next, password: "not my password" }))).toBe(
      "BAD_REQUEST",
    );
    const answer = await api.account.changeEmail({ newEmail: next, password: person.password });
    expect(answer).toMatchObject({
      email: next,
      emailed: false,
      link: expect.stringContaining("/verify-email/"),
    });
    expect((await db.user.findUniqueOrThrow({ where: { id: person.user.id } })).email).toBe(person.email);
    await apiAs(null).account.confirmEmail({ secret: answer.link!.split("/verify-email/")[1]! });
    expect((await db.user.findUniqueOrThrow({ where: { id: person.user.id } })).email).toBe(next);

    // An address someone else confirmed meanwhile is not taken over.
    const other = await createUser("other");
    const taken = await apiAs({ ...other.caller, ip: "10.26.0.2" }).account.changeEmail({
      newEmail: uniqueEmail("contested"),
      password: other.password,
    });
    const contested = taken.email;
    await createAccount({ email: contested, name: "First", password: "correct horse battery" });
    expect(
      await codeOf(apiAs(null).account.confirmEmail({ secret: taken.link!.split("/verify-email/")[1]! })),
    ).toBe("CONFLICT");
  });
});

describe("deleting one's account", () => {
  it("is refused for a last owner, naming the workspaces; then ends tokens and leaves 'deleted user'", async () => {
    const leaver = await createUser("leaver");
    const keeper = await createUser("keeper");
    const invitation = await leaver.api.members.invite({
      workspace: leaver.workspace.slug,
      email: keeper.email,
      role: "ADMIN",
    });
    await keeper.api.account.acceptInvitation({ secret: invitation.link.split("/invite/")[1]! });
    const token = (
      await leaver.api.tokens.create({ workspace: leaver.workspace.slug, name: "ci", role: "ADMIN" })
    ).token;
    const session = await startSession({
      userId: leaver.user.id,
      method: "credentials",
      pendingSecondFactor: false,
    });

    const refused = await leaver.api.account
      .delete({ confirm: leaver.email, password: leaver.password })
      .catch((e: { code: string; message: string }) => e);
    expect(refused).toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining(leaver.workspace.slug),
    });
    expect((await leaver.api.account.status()).lastOwnerOf.map((w) => w.slug)).toEqual([
      leaver.workspace.slug,
    ]);

    // Hand the workspace over, then leave.
    const keeperMember = (await leaver.api.members.list({ workspace: leaver.workspace.slug })).items.find(
      (m) => m.email === keeper.email,
    )!;
    await leaver.api.members.changeRole({
      workspace: leaver.workspace.slug,
      memberId: keeperMember.id,
      role: "OWNER",
    });
    expect(
      await codeOf(leaver.api.account.delete({ confirm: leaver.email, password: "wrong password" })),
    ).toBe("BAD_REQUEST");
    await leaver.api.account.delete({ confirm: leaver.email, password: leaver.password });

    expect(await db.user.findUnique({ where: { id: leaver.user.id } })).toBeNull();
    await expect(checkSession(session)).rejects.toBeInstanceOf(SessionEnded);
    const rest = await handleRest(
      new Request("http://localhost/api/v1/workspace", { headers: { authorization: `Bearer ${token}` } }),
      "/workspace",
    );
    expect(rest.status).toBe(401);
    const entries = await db.auditEvent.findMany({ where: { workspaceId: leaver.workspace.id } });
    expect(entries.some((e) => e.actorLabel === leaver.email || e.target === leaver.email)).toBe(false);
    expect(
      entries.filter((e) => e.actor === leaver.user.id).every((e) => e.actorLabel === "deleted user"),
    ).toBe(true);
    expect(entries.map((e) => e.action)).toContain("member.account_deleted");
  });
});
