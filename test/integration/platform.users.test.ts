// The platform console's long lists and its user management: workspaces and users sorted and
// paged by the server, and an operator disabling, enabling, resetting and signing out an account,
// each in the installation's audit log under the administrator's name.

import type { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { problemsOf } from "@/server/api/trpc";
import { authenticate } from "@/server/auth/accounts";
import { resetPassword } from "@/server/auth/password-reset";
import { checkSession, SessionEnded, startSession } from "@/server/auth/sessions";
import { db } from "@/server/db/client";
import { openWorkspace } from "@/server/tenancy/door";
import { authenticateToken, createToken } from "@/server/tokens/service";
import { createWorkspace } from "@/server/workspaces/service";
import { baton } from "../support/cli";
import { codeOf, createUser } from "../support/factories";

type Person = Awaited<ReturnType<typeof createUser>>;
let admin: Person;

beforeAll(async () => {
  admin = await createUser("admin");
  const granted = await baton(["admin", "grant", admin.email]);
  expect(granted, granted.stderr).toMatchObject({ code: 0 });
});

async function installationEvents(action: string, target: string) {
  return db.auditEvent.findMany({ where: { workspaceId: null, action, target }, orderBy: { id: "asc" } });
}

describe("the workspace list, sorted and paged by the server", () => {
  it("walks every matching workspace page by page in the order asked for, with the total", async () => {
    const owner = await createUser("pager");
    const tag = `pg${Date.now().toString(36)}`;
    // Names out of alphabetical order of creation; member counts differ.
    const names = ["delta", "alpha", "echo", "charlie", "bravo"];
    for (const [i, name] of names.entries()) {
      const workspace = await createWorkspace({ userId: owner.user.id, name: `${tag} ${name}` });
      // Creation times a millisecond apart at least, so that "created" has one order.
      await db.workspace.update({
        where: { id: workspace.id },
        data: { createdAt: new Date(Date.UTC(2026, 0, 1 + i)) },
      });
      for (let m = 0; m < i; m++) {
        const member = await createUser(`m${i}${m}`);
        await db.membership.create({
          data: { workspaceId: workspace.id, userId: member.user.id, role: "VIEWER" },
        });
      }
    }

    const walk = async (sort: "name" | "created" | "members", direction: "asc" | "desc") => {
      const seen: string[] = [];
      for (let page = 1; page <= 3; page++) {
        const result = await admin.api.platform.workspaces({
          search: tag,
          sort,
          direction,
          page,
          pageSize: 2,
        });
        expect(result).toMatchObject({ total: 5, page, pageSize: 2 });
        seen.push(...result.workspaces.map((w) => w.name.slice(tag.length + 1)));
      }
      return seen;
    };
    expect(await walk("name", "asc")).toEqual(["alpha", "bravo", "charlie", "delta", "echo"]);
    expect(await walk("name", "desc")).toEqual(["echo", "delta", "charlie", "bravo", "alpha"]);
    expect(await walk("created", "asc")).toEqual(names);
    // Members: delta 1, alpha 2, echo 3, charlie 4, bravo 5.
    expect(await walk("members", "desc")).toEqual(["bravo", "charlie", "echo", "alpha", "delta"]);

    // Past the last page: an empty page, still with the total.
    const beyond = await admin.api.platform.workspaces({ search: tag, page: 9, pageSize: 2 });
    expect(beyond).toMatchObject({ workspaces: [], total: 5 });
  });

  it("refuses a bad page or page size, naming the field", async () => {
    for (const [input, path] of [
      [{ page: 0 }, "page"],
      [{ pageSize: 1000 }, "pageSize"],
      [{ sort: "taskRuns" }, "sort"],
    ] as const) {
      try {
        await admin.api.platform.workspaces(input as never);
        throw new Error("expected a refusal");
      } catch (error) {
        expect((error as TRPCError).code).toBe("BAD_REQUEST");
        expect(problemsOf(error as TRPCError).map((p) => p.path)).toEqual([path]);
      }
    }
  });
});

describe("user management", () => {
  it("lists accounts by search, sorted and paged, with their sessions and workspaces", async () => {
    const tag = `usr${Date.now().toString(36)}`;
    const people = [];
    for (const name of ["c", "a", "b"]) people.push(await createUser(`${tag}${name}`));
    await startSession({ userId: people[0]!.user.id, method: "credentials", pendingSecondFactor: false });
    const first = await admin.api.platform.users({ search: tag, sort: "email", pageSize: 2 });
    expect(first.total).toBe(3);
    expect(first.users.map((u) => u.email)).toEqual([people[1]!.email, people[2]!.email]);
    const second = await admin.api.platform.users({
      search: tag.toUpperCase(),
      sort: "email",
      page: 2,
      pageSize: 2,
    });
    expect(second.users).toEqual([
      expect.objectContaining({ email: people[0]!.email, liveSessions: 1, workspaces: 1, disabledAt: null }),
    ]);
    const newest = await admin.api.platform.users({ search: tag, sort: "created", direction: "desc" });
    expect(newest.users.map((u) => u.email)).toEqual([people[2]!.email, people[1]!.email, people[0]!.email]);
  });

  it("disabling ends the sessions, stops every sign-in and the API tokens; enabling lets them back", async () => {
    const person = await createUser("disabled");
    const session = await startSession({
      userId: person.user.id,
      method: "credentials",
      pendingSecondFactor: false,
    });
    const scope = await openWorkspace(person.caller, person.workspace.slug, "tokens:manage");
    const { token } = await createToken(scope, { name: "script", role: "EDITOR" });
    await expect(authenticateToken(token)).resolves.toMatchObject({ kind: "token" });

    expect(
      await admin.api.platform.disableUser({ userId: person.user.id, reason: "card fraud" }),
    ).toMatchObject({
      disabled: true,
      changed: true,
    });
    await expect(checkSession(session)).rejects.toBeInstanceOf(SessionEnded);
    await expect(
      authenticate({ email: person.email, password: person.password, ip: "127.0.0.1" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("disabled") });
    // A passkey, a provider or single sign-on all end in a new session: none is started.
    await expect(
      startSession({ userId: person.user.id, method: "passkey", pendingSecondFactor: false }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(authenticateToken(token)).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    // Twice: nothing more happens, nothing more is recorded.
    expect(await admin.api.platform.disableUser({ userId: person.user.id, reason: "again" })).toMatchObject({
      changed: false,
    });
    const disabled = await installationEvents("platform.user.disable", person.email);
    expect(disabled).toEqual([
      expect.objectContaining({
        actor: admin.user.id,
        actorLabel: admin.email,
        metadata: { userId: person.user.id, reason: "card fraud", sessionsEnded: 1 },
      }),
    ]);
    // A password reset is refused while disabled (it would sign them back in).
    expect(await codeOf(admin.api.platform.resetUserPassword({ userId: person.user.id }))).toBe("CONFLICT");

    await admin.api.platform.enableUser({ userId: person.user.id });
    await expect(
      authenticate({ email: person.email, password: person.password, ip: "127.0.0.1" }),
    ).resolves.toMatchObject({ id: person.user.id });
    await expect(authenticateToken(token)).resolves.toMatchObject({ kind: "token" });
    expect(await installationEvents("platform.user.enable", person.email)).toHaveLength(1);
  });

  it("revokes every session of an account, audited with how many ended", async () => {
    const person = await createUser("signed-in");
    const sessions = [];
    for (let i = 0; i < 2; i++)
      sessions.push(
        await startSession({ userId: person.user.id, method: "credentials", pendingSecondFactor: false }),
      );
    expect(await admin.api.platform.revokeUserSessions({ userId: person.user.id })).toEqual({
      email: person.email,
      sessionsEnded: 2,
    });
    for (const id of sessions) await expect(checkSession(id)).rejects.toBeInstanceOf(SessionEnded);
    // They can sign in again: only the sessions ended.
    await expect(
      authenticate({ email: person.email, password: person.password, ip: "127.0.0.1" }),
    ).resolves.toMatchObject({ id: person.user.id });
    expect(await installationEvents("platform.user.revoke_sessions", person.email)).toEqual([
      expect.objectContaining({
        actor: admin.user.id,
        metadata: { userId: person.user.id, sessionsEnded: 2 },
      }),
    ]);
  });

  it("hands the administrator a reset link that sets a new password, audited", async () => {
    const person = await createUser("forgetful");
    const { link, emailed } = await admin.api.platform.resetUserPassword({ userId: person.user.id });
    expect(emailed).toBe(false);
    const secret = new URL(link).pathname.split("/").pop()!;
    await resetPassword({ secret, password: "a brand new passphrase 42" });
    await expect(
      authenticate({ email: person.email, password: "a brand new passphrase 42", ip: "127.0.0.1" }),
    ).resolves.toMatchObject({ id: person.user.id });
    expect(await installationEvents("platform.user.reset_password", person.email)).toEqual([
      expect.objectContaining({ actor: admin.user.id, metadata: { userId: person.user.id, emailed: false } }),
    ]);
  });

  it("refuses disabling oneself, an unknown account and a malformed id, naming the field", async () => {
    const self = await admin.api.platform
      .disableUser({ userId: admin.user.id, reason: "oops" })
      .catch((e) => e);
    expect(self.code).toBe("BAD_REQUEST");
    expect(problemsOf(self)).toEqual([{ path: "userId", message: "You cannot disable your own account" }]);
    expect(await codeOf(admin.api.platform.revokeUserSessions({ userId: crypto.randomUUID() }))).toBe(
      "NOT_FOUND",
    );
    const malformed = await admin.api.platform.enableUser({ userId: "bob" }).catch((e) => e);
    expect(problemsOf(malformed).map((p) => p.path)).toEqual(["userId"]);
    const noReason = await admin.api.platform
      .disableUser({ userId: crypto.randomUUID(), reason: " " })
      .catch((e) => e);
    expect(problemsOf(noReason).map((p) => p.path)).toEqual(["reason"]);
    expect((await db.user.findUniqueOrThrow({ where: { id: admin.user.id } })).disabledAt).toBeNull();
  });
});
