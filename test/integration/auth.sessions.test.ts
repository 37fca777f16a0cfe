// Issue 15 finding 5 and issue 29 item 5: sessions are rows the session cookie names, checked on
// every request; sign-out, a password change and "sign out everywhere" end them, and the account
// page lists them with "sign out" for each. (test/browser/accounts.http.test.ts shows a copied
// cookie stop working against the running app.)
import { describe, expect, it } from "vitest";
import { changePassword } from "@/server/auth/accounts";
import { checkSession, endSession, SessionEnded, startSession } from "@/server/auth/sessions";
import { db } from "@/server/db/client";
import { apiAs, codeOf, createUser } from "../support/factories";

const chrome =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

async function signedIn(name: string) {
  const person = await createUser(name);
  const begin = (ip: string) =>
    startSession({
      userId: person.user.id,
      method: "credentials",
      pendingSecondFactor: false,
      ip,
      userAgent: chrome,
    });
  const here = await begin("192.0.2.1");
  const there = await begin("192.0.2.2");
  const api = apiAs({ ...person.caller, sessionId: here });
  return { ...person, here, there, api };
}

describe("sessions", () => {
  it("end on sign-out: the row, so every copy of the cookie", async () => {
    const { here } = await signedIn("out");
    await expect(checkSession(here)).resolves.toMatchObject({ id: here });
    await endSession(here);
    await expect(checkSession(here)).rejects.toBeInstanceOf(SessionEnded);
    await expect(checkSession("not-a-session-id")).rejects.toBeInstanceOf(SessionEnded);
  });

  it("a password change ends every other session, and says how many", async () => {
    const { user, password, here, there, api } = await signedIn("pw");
    const answer = await api.account.changePassword({ current: password, next: "a fresh long passphrase" });
    expect(answer).toEqual({ sessionsEnded: 1 });
    await expect(checkSession(here)).resolves.toMatchObject({ userId: user.id });
    await expect(checkSession(there)).rejects.toBeInstanceOf(SessionEnded);
    // Called without a session to keep (the CLI, a reset), it ends them all.
    await changePassword({
      userId: user.id,
      current: "a fresh long passphrase",
      next: "another fresh passphrase",
    });
    await expect(checkSession(here)).rejects.toBeInstanceOf(SessionEnded);
  });

  it("are listed with device, address and last seen, and signed out one by one or everywhere", async () => {
    const { here, there, api, email } = await signedIn("list");
    const listed = await api.account.sessions();
    expect(listed.map((s) => [s.id, s.current])).toEqual([
      [here, true],
      [there, false],
    ]);
    expect(listed[1]).toMatchObject({
      device: "Chrome 131 on Linux",
      ip: "192.0.2.2",
      lastSeenAt: expect.any(Date),
    });

    // Someone else's session id is not found, and stays alive.
    const other = await signedIn("other");
    expect(await codeOf(api.account.endSession({ sessionId: other.there }))).toBe("NOT_FOUND");
    await expect(checkSession(other.there)).resolves.toBeTruthy();

    await api.account.endSession({ sessionId: there });
    await expect(checkSession(there)).rejects.toBeInstanceOf(SessionEnded);
    expect((await api.account.sessions()).map((s) => s.id)).toEqual([here]);

    const third = await startSession({
      userId: (await db.user.findUniqueOrThrow({ where: { email } })).id,
      method: "github",
      pendingSecondFactor: false,
    });
    expect(await api.account.signOutEverywhere()).toEqual({ sessionsEnded: 2 });
    for (const id of [here, third]) await expect(checkSession(id)).rejects.toBeInstanceOf(SessionEnded);
    const event = await db.auditEvent.findFirst({
      where: { actorLabel: email, action: "auth.signout_everywhere" },
    });
    expect(event).not.toBeNull();
  });

  it("record a new address at once and end after 30 days unseen", async () => {
    const { here } = await signedIn("seen");
    await checkSession(here, { ip: "198.51.100.7" });
    expect((await db.session.findUniqueOrThrow({ where: { id: here } })).ip).toBe("198.51.100.7");
    await db.session.update({
      where: { id: here },
      data: { lastSeenAt: new Date(Date.now() - 31 * 86_400_000) },
    });
    await expect(checkSession(here)).rejects.toBeInstanceOf(SessionEnded);
  });
});
