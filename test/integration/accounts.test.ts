import type { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { problemsOf } from "@/server/api/trpc";
import { authenticate, changePassword, finishSignUp } from "@/server/auth/accounts";
import { startSession } from "@/server/auth/sessions";
import { db } from "@/server/db/client";
import { httpStatus, RetryLater } from "@/server/errors";
import { apiAs, codeOf, createUser, uniqueEmail } from "../support/factories";
import { startSmtpSink } from "../support/smtp-sink";

describe("sign-up", () => {
  it("creates the account only when the link is used: verified, argon2id, a first workspace they own", async () => {
    const email = uniqueEmail("new");
    const answer = await apiAs(null).account.signUp({
      email: email.toUpperCase(),
      name: "Nora Smith",
      password: "a long password",
    });
    expect(answer).toMatchObject({
      email,
      emailed: false,
      link: expect.stringContaining("/sign-up/finish/"),
    });
    expect(await db.user.findUnique({ where: { email } })).toBeNull();
    const secret = answer.link!.split("/sign-up/finish/")[1]!;
    expect(await apiAs(null).account.signUpLink({ secret })).toEqual({ email, existing: false });

    const finished = await finishSignUp(secret);
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(finished.id).toBe(user.id);
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user.emailVerifiedAt).not.toBeNull();
    const memberships = await db.membership.findMany({
      where: { userId: user.id },
      include: { workspace: true },
    });
    expect(memberships).toHaveLength(1);
    expect(memberships[0]!.role).toBe("OWNER");
    expect(memberships[0]!.workspace.name).toBe("Nora's workspace");
    expect(memberships[0]!.workspace.slug).toBe(finished.workspace);
    await expect(authenticate({ email, password: "a long password", ip: "10.0.9.1" })).resolves.toMatchObject(
      {
        email,
      },
    );
    // The link works once.
    await expect(finishSignUp(secret)).rejects.toThrow(/expired or has been used/);
  });

  it("answers the same whether or not the address has an account (issue 15, finding 6)", async () => {
    const { email } = await createUser("dup");
    const fresh = uniqueEmail("fresh");
    const existing = await apiAs(null).account.signUp({ email, name: "Again", password: "another long one" });
    const created = await apiAs(null).account.signUp({
      email: fresh,
      name: "Fresh",
      password: "another long one",
    });
    expect(Object.keys(existing).sort()).toEqual(Object.keys(created).sort());
    expect(existing).toMatchObject({
      email,
      emailed: false,
      link: expect.stringContaining("/sign-up/finish/"),
    });
    // Only whoever opens the link (who reads the address's mail, when there is SMTP) learns more.
    const secret = existing.link!.split("/sign-up/finish/")[1]!;
    expect(await apiAs(null).account.signUpLink({ secret })).toEqual({ email, existing: true });
    await expect(finishSignUp(secret)).rejects.toThrow(/already exists/);
  });

  it("with SMTP, mails the link (or a note that the account exists) and shows nothing", async () => {
    const sink = await startSmtpSink();
    process.env.BATON_SMTP_URL = `smtp://127.0.0.1:${sink.port}`;
    try {
      const { email } = await createUser("mailed");
      const fresh = uniqueEmail("mailed-new");
      const answers = [
        await apiAs(null).account.signUp({ email, name: "Again", password: "another long one" }),
        await apiAs(null).account.signUp({ email: fresh, name: "Fresh", password: "another long one" }),
      ];
      expect(answers).toEqual([
        { email, emailed: true },
        { email: fresh, emailed: true },
      ]);
      const [note, invite] = await sink.waitFor(2);
      expect(note!.to).toEqual([email]);
      expect(note!.data).toContain("already");
      expect(invite!.to).toEqual([fresh]);
      // Quoted-printable bodies wrap long lines with "=" at the end.
      const body = invite!.data.replace(/=\r?\n/g, "");
      const secret = /\/sign-up\/finish\/([A-Za-z0-9_-]+)/.exec(body)![1]!;
      await finishSignUp(secret);
      expect(await db.user.findUnique({ where: { email: fresh } })).not.toBeNull();
    } finally {
      delete process.env.BATON_SMTP_URL;
      await sink.close();
    }
  });

  it("names the field of each bad input", async () => {
    const error = await apiAs(null)
      .account.signUp({ email: "not-an-email", name: "", password: "short" })
      .catch((e: { code: string; cause: { issues: { path: string[] }[] } }) => e);
    expect((error as { code: string }).code).toBe("BAD_REQUEST");
    const paths = (error as { cause: { issues: { path: string[] }[] } }).cause.issues.map((i) =>
      i.path.join("."),
    );
    expect(paths.sort()).toEqual(["email", "name", "password"]);
  });

  it("refuses a guessable password, saying why (issue 15, finding 6)", async () => {
    for (const weak of ["aaaaaaaaaa", "password123", "qwertyuiop1", "norasmith1990"]) {
      const error = await apiAs(null)
        .account.signUp({ email: "nora.smith@example.com", name: "Nora Smith", password: weak })
        .catch((e: TRPCError) => e);
      expect(error).toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(/too easy to guess/),
      });
      expect(problemsOf(error as TRPCError)[0]?.path).toBe("password");
    }
  });
});

describe("sign-in", () => {
  it("accepts the right password and records success and failure in the audit log", async () => {
    const { email, password, user } = await createUser("signin");
    await expect(authenticate({ email, password: "wrong password!", ip: "10.1.1.1" })).rejects.toThrow(
      "Wrong e-mail or password",
    );
    const signedIn = await authenticate({ email: email.toUpperCase(), password, ip: "10.1.1.1" });
    expect(signedIn.id).toBe(user.id);
    const actions = (
      await db.auditEvent.findMany({
        where: { actorLabel: email, action: { startsWith: "auth." } },
        orderBy: { id: "asc" },
      })
    ).map((e) => e.action);
    expect(actions).toEqual(["auth.signin_failed", "auth.signin"]);
  });

  it("makes an address that keeps failing wait, twice as long each time, with 429 and Retry-After", async () => {
    const { email, password } = await createUser("delayed");
    const ip = "10.2.0.1";
    const waitingFor = () =>
      authenticate({ email, password, ip }).then(
        () => 0,
        (error: RetryLater) => {
          expect(error).toBeInstanceOf(RetryLater);
          expect(httpStatus[error.code]).toBe(429);
          return error.retryAfterSeconds;
        },
      );
    for (let i = 0; i < 5; i++) {
      await expect(authenticate({ email, password: "guess guess guess", ip })).rejects.toThrow("Wrong");
    }
    await expect(authenticate({ email, password: "guess guess guess", ip })).rejects.toThrow("Wrong");
    // Five free failures; the sixth makes this address wait 1 s, even with the right password.
    expect(await waitingFor()).toBe(1);
    // Time passing is the wait's row expiring; the next failure doubles it.
    const passTime = () => db.rateLimit.deleteMany({ where: { key: { startsWith: "signin:wait:pair:" } } });
    await passTime();
    await expect(authenticate({ email, password: "guess guess guess", ip })).rejects.toThrow("Wrong");
    expect(await waitingFor()).toBe(2);
    await passTime();
    await expect(authenticate({ email, password, ip })).resolves.toMatchObject({ email });
  });

  it("does not let anyone lock the owner out (issue 15, finding 6)", async () => {
    const { email, password, user } = await createUser("target");
    // The owner signed in from home before the attack.
    await startSession({
      userId: user.id,
      method: "credentials",
      pendingSecondFactor: false,
      ip: "10.5.0.1",
    });
    // An attacker fails from a new address each time (each under its own free allowance). Past
    // the account's 10 free failures each one doubles the account-wide wait; the wait's row
    // expiring stands for the time the attacker waits between tries.
    const passTime = () =>
      db.rateLimit.deleteMany({ where: { key: { startsWith: "signin:wait:account:" } } });
    for (let i = 0; i < 16; i++) {
      await passTime();
      await expect(authenticate({ email, password: "guess guess guess", ip: `10.6.0.${i}` })).rejects.toThrow(
        "Wrong",
      );
    }
    // From a new address the owner waits (at most a minute, never a 15-minute lock)…
    const elsewhere = await authenticate({ email, password, ip: "10.7.0.1" }).catch((e: RetryLater) => e);
    expect(elsewhere).toBeInstanceOf(RetryLater);
    expect((elsewhere as RetryLater).retryAfterSeconds).toBeGreaterThan(30);
    expect((elsewhere as RetryLater).retryAfterSeconds).toBeLessThanOrEqual(60);
    // …but from an address the account signed in from lately, they get in at once.
    await expect(authenticate({ email, password, ip: "10.5.0.1" })).resolves.toMatchObject({ email });
  });

  it("blocks an IP that tries many accounts", async () => {
    const ip = "10.3.3.3";
    for (let i = 0; i < 50; i++) {
      await expect(authenticate({ email: `nobody${i}@example.com`, password: "x", ip })).rejects.toThrow();
    }
    const { email, password } = await createUser("victim");
    await expect(authenticate({ email, password, ip })).rejects.toThrow("Too many failed sign-ins");
    // The same account from elsewhere is fine.
    await expect(authenticate({ email, password, ip: "10.3.3.4" })).resolves.toMatchObject({ email });
  });
});

describe("change password", () => {
  it("needs the current password, then the new one works and the old does not", async () => {
    const { user, email, password } = await createUser("pw");
    await expect(
      changePassword({ userId: user.id, current: "not it at all", next: "brand new password" }),
    ).rejects.toThrow("current password is wrong");
    await expect(changePassword({ userId: user.id, current: password, next: "pw12345678" })).rejects.toThrow(
      /too easy to guess/,
    );
    await changePassword({ userId: user.id, current: password, next: "brand new password" });
    await expect(authenticate({ email, password, ip: "10.4.0.1" })).rejects.toThrow();
    await expect(
      authenticate({ email, password: "brand new password", ip: "10.4.0.1" }),
    ).resolves.toMatchObject({ email });
  });
});

describe("workspaces", () => {
  it("are created, listed, renamed and deleted by their owner", async () => {
    const owner = await createUser("ws");
    const second = await owner.api.account.createWorkspace({ name: "Data Platform" });
    expect(second.slug).toBe("data-platform");
    const third = await owner.api.account.createWorkspace({ name: "Data Platform" });
    expect(third.slug).toMatch(/^data-platform-[0-9a-f]{6}$/);
    expect((await owner.api.account.workspaces()).map((w) => w.slug)).toEqual([
      owner.workspace.slug,
      second.slug,
      third.slug,
    ]);

    await owner.api.workspace.rename({ workspace: second.slug, name: "Analytics" });
    expect((await owner.api.workspace.get({ workspace: second.slug })).name).toBe("Analytics");

    expect(await codeOf(owner.api.workspace.delete({ workspace: second.slug, confirm: "nope" }))).toBe(
      "BAD_REQUEST",
    );
    await owner.api.workspace.delete({ workspace: second.slug, confirm: second.slug });
    expect(await codeOf(owner.api.workspace.get({ workspace: second.slug }))).toBe("NOT_FOUND");
    // On record in the installation's log (the workspace is kept for its grace period).
    const deletion = await db.auditEvent.findFirst({
      where: { action: "workspace.delete", target: second.slug, workspaceId: null },
    });
    expect(deletion).toMatchObject({ actor: owner.user.id });
  });
});
