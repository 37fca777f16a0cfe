import { describe, expect, it } from "vitest";
import { authenticate, changePassword } from "@/server/auth/accounts";
import { db } from "@/server/db/client";
import { apiAs, codeOf, createUser, uniqueEmail } from "../support/factories";

describe("sign-up", () => {
  it("creates the user, an argon2id hash and a first workspace they own", async () => {
    const email = uniqueEmail("new");
    const result = await apiAs(null).account.signUp({
      email: email.toUpperCase(),
      name: "Nora Smith",
      password: "a long password",
    });
    expect(result.email).toBe(email);
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    const memberships = await db.membership.findMany({
      where: { userId: user.id },
      include: { workspace: true },
    });
    expect(memberships).toHaveLength(1);
    expect(memberships[0]!.role).toBe("OWNER");
    expect(memberships[0]!.workspace.name).toBe("Nora's workspace");
    expect(memberships[0]!.workspace.slug).toBe(result.workspace);
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

  it("refuses a second account with the same e-mail", async () => {
    const { email } = await createUser("dup");
    expect(
      await codeOf(apiAs(null).account.signUp({ email, name: "Again", password: "another long one" })),
    ).toBe("CONFLICT");
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

  it("locks an account after 10 failures, even with the right password, from any IP", async () => {
    const { email, password } = await createUser("locked");
    for (let i = 0; i < 10; i++) {
      await expect(authenticate({ email, password: "guess guess guess", ip: `10.2.0.${i}` })).rejects.toThrow(
        "Wrong",
      );
    }
    await expect(authenticate({ email, password, ip: "10.2.1.1" })).rejects.toThrow(
      "Too many failed sign-ins",
    );
    const counter = await db.rateLimit.findUnique({ where: { key: `signin:account:${email}` } });
    expect(counter?.points).toBe(10);
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
    const deletion = await db.auditEvent.findFirst({
      where: { action: "workspace.delete", target: second.slug },
    });
    expect(deletion?.workspaceId).toBeNull();
  });
});
