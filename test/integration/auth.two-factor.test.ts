// Issue 29 item 3: TOTP enrolment and sign-in with codes computed here (otpauth), recovery codes,
// and the workspace rule "members must use two factors" at the door, for tRPC and REST (tokens are
// exempt, but still bound to their creator). Passkeys: test/browser/passkeys.test.ts.
import * as OTPAuth from "otpauth";
import { beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "@/server/api/root";
import { authOptions } from "@/server/auth/options";
import { checkSession } from "@/server/auth/sessions";
import { rotateTotpSecrets } from "@/server/auth/two-factor";
import { db } from "@/server/db/client";
import { handleRest } from "@/server/rest/handler";
import { generateKey } from "@/server/secrets/crypto";
import { apiAs, codeOf, createUser } from "../support/factories";

type User = Awaited<ReturnType<typeof createUser>>;

// TOTP secrets are encrypted under the master keys, like workspace secrets.
process.env.BATON_MASTER_KEYS ??= `1:${generateKey()}`;

const codeAt = (secret: string, offsetSeconds = 0) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: Date.now() + offsetSeconds * 1000,
  });

/** Enrols an authenticator app for `person`, answering its key and recovery codes. */
async function enrolTotp(person: User) {
  const { secret, uri, qrSvg } = await person.api.twoFactor.beginTotp();
  expect(uri).toMatch(/^otpauth:\/\/totp\/Baton:/);
  expect(qrSvg).toContain("<svg");
  const { recoveryCodes } = await person.api.twoFactor.confirmTotp({ code: codeAt(secret) });
  return { secret, recoveryCodes };
}

/** Signs in as next-auth does after a password: its jwt callback starts the session row. */
async function passwordSession(person: User) {
  const jwt = authOptions.callbacks!.jwt! as unknown as (params: object) => Promise<{ sid: string }>;
  const token = await jwt({
    token: {},
    user: { id: person.user.id, email: person.email },
    account: { provider: "credentials" },
  });
  const pending = createCaller({
    caller: null,
    pendingSession: { userId: person.user.id, sessionId: token.sid, email: person.email },
    ip: "10.30.0.1",
    baseUrl: "http://localhost:3000",
  });
  return { sessionId: token.sid, pending };
}

describe("authenticator app (TOTP)", () => {
  it("enrols with a code from the app, refusing a wrong one; hands out ten recovery codes", async () => {
    const person = await createUser("totp");
    const { secret } = await person.api.twoFactor.beginTotp();
    expect(await codeOf(person.api.twoFactor.confirmTotp({ code: "000000" }))).toBe("BAD_REQUEST");
    const { recoveryCodes } = await person.api.twoFactor.confirmTotp({ code: codeAt(secret) });
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(await person.api.twoFactor.status()).toMatchObject({ totp: true, recoveryCodesLeft: 10 });
    const stored = await db.user.findUniqueOrThrow({ where: { id: person.user.id } });
    expect(stored.totpSecret).not.toContain(secret);
    const hashes = await db.recoveryCode.findMany({ where: { userId: person.user.id } });
    for (const row of hashes) expect(recoveryCodes.join()).not.toContain(row.codeHash);
  });

  it("makes a password sign-in owe a code: nothing works until it is given; codes are single-use", async () => {
    const person = await createUser("two-step");
    // Without a second factor, a password session is whole at once.
    expect((await checkSession((await passwordSession(person)).sessionId)).pendingSecondFactor).toBe(false);

    const { secret, recoveryCodes } = await enrolTotp(person);
    const { sessionId, pending } = await passwordSession(person);
    expect((await checkSession(sessionId)).pendingSecondFactor).toBe(true);
    expect(await pending.twoFactor.pendingFactors()).toMatchObject({ totp: true, passkeys: 0 });
    // The half-signed-in session is nobody to every other procedure.
    expect(await codeOf(pending.account.me())).toBe("UNAUTHORIZED");
    expect(await codeOf(pending.workspace.get({ workspace: person.workspace.slug }))).toBe("UNAUTHORIZED");

    expect(await codeOf(pending.twoFactor.giveCode({ code: "123456" }))).toBe("BAD_REQUEST");
    // The code used to enrol was for this 30-second step: replaying it is refused.
    expect(await codeOf(pending.twoFactor.giveCode({ code: codeAt(secret) }))).toBe("BAD_REQUEST");
    // The next step's code (accepted one step early, for clocks that differ) completes the sign-in.
    await pending.twoFactor.giveCode({ code: codeAt(secret, 30) });
    expect((await checkSession(sessionId)).pendingSecondFactor).toBe(false);

    // A recovery code signs in once.
    const second = await passwordSession(person);
    await second.pending.twoFactor.giveCode({ code: recoveryCodes[0]!.toUpperCase() });
    const third = await passwordSession(person);
    expect(await codeOf(third.pending.twoFactor.giveCode({ code: recoveryCodes[0]! }))).toBe("BAD_REQUEST");
    expect((await person.api.twoFactor.status()).recoveryCodesLeft).toBe(9);
  });

  it("stops guessing after ten wrong codes (429)", async () => {
    const person = await createUser("guessed");
    await enrolTotp(person);
    const { pending } = await passwordSession(person);
    for (let i = 0; i < 10; i++) {
      expect(await codeOf(pending.twoFactor.giveCode({ code: String(100000 + i) }))).toBe("BAD_REQUEST");
    }
    expect(await codeOf(pending.twoFactor.giveCode({ code: "999999" }))).toBe("TOO_MANY_REQUESTS");
  });

  it("follows a master key rotation (baton keys rotate)", async () => {
    const person = await createUser("rotated");
    const { secret } = await enrolTotp(person);
    const before = process.env.BATON_MASTER_KEYS!;
    try {
      process.env.BATON_MASTER_KEYS = `9:${generateKey()},${before}`;
      expect((await rotateTotpSecrets()).rotated).toBeGreaterThanOrEqual(1);
      const stored = await db.user.findUniqueOrThrow({ where: { id: person.user.id } });
      expect(stored.totpSecret).toMatch(/^v9:/);
      // The old key gone, the app's codes still work.
      process.env.BATON_MASTER_KEYS = process.env.BATON_MASTER_KEYS.split(",")[0]!;
      const { pending } = await passwordSession(person);
      await pending.twoFactor.giveCode({ code: codeAt(secret, 30) });
    } finally {
      process.env.BATON_MASTER_KEYS = before;
    }
  });

  it("is removed only with a current code", async () => {
    const person = await createUser("remover");
    const { secret } = await enrolTotp(person);
    expect(await codeOf(person.api.twoFactor.disableTotp({ code: "000000" }))).toBe("BAD_REQUEST");
    await person.api.twoFactor.disableTotp({ code: codeAt(secret, 30) });
    expect(await person.api.twoFactor.status()).toMatchObject({ totp: false, recoveryCodesLeft: 0 });
  });
});

describe('"members must use two factors"', () => {
  let owner: User;
  let member: User;
  let memberToken: string;

  async function rest(path: string, token: string) {
    const response = await handleRest(
      new Request(`http://localhost/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } }),
      path,
    );
    return response.status;
  }

  beforeAll(async () => {
    owner = await createUser("strict-owner");
    member = await createUser("strict-member");
    const invitation = await owner.api.members.invite({
      workspace: owner.workspace.slug,
      email: member.email,
      role: "ADMIN",
    });
    await member.api.account.acceptInvitation({ secret: invitation.link.split("/invite/")[1]! });
    memberToken = (
      await member.api.tokens.create({ workspace: owner.workspace.slug, name: "ci", role: "EDITOR" })
    ).token;
  });

  it("can only be turned on by someone with a second factor", async () => {
    const workspace = owner.workspace.slug;
    expect(await codeOf(owner.api.workspace.setTwoFactorRule({ workspace, required: true }))).toBe(
      "CONFLICT",
    );
    await enrolTotp(owner);
    expect(await owner.api.workspace.setTwoFactorRule({ workspace, required: true })).toEqual({
      requireTwoFactor: true,
    });
    expect(await owner.api.workspace.get({ workspace })).toMatchObject({ requireTwoFactor: true });
  });

  it("keeps members without one out (tRPC), asking them to enrol; tokens are exempt but bound to their creator (REST)", async () => {
    const workspace = owner.workspace.slug;
    const refused = await member.api.workspace
      .get({ workspace })
      .catch((e: { code: string; message: string }) => e);
    expect(refused).toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/two factors/) });
    expect(await codeOf(member.api.dags.list({ workspace }))).toBe("FORBIDDEN");
    // Outsiders still learn nothing: not found, as ever.
    const stranger = await createUser("stranger");
    expect(await codeOf(stranger.api.workspace.get({ workspace }))).toBe("NOT_FOUND");

    // The member's token works over REST without a second factor…
    expect(await rest("/workspace", memberToken)).toBe(200);
    expect(await rest("/dags", memberToken)).toBe(200);

    // …and once the member enrols, they enter too.
    await enrolTotp(member);
    expect(await member.api.workspace.get({ workspace })).toMatchObject({ slug: workspace });

    // Bound to its creator: removing the member ends the token, rule or not.
    const memberId = (await owner.api.members.list({ workspace })).items.find(
      (m) => m.email === member.email,
    )!.id;
    await owner.api.members.remove({ workspace, memberId });
    expect(await rest("/workspace", memberToken)).toBe(401);
    expect(await codeOf(apiAs(member.caller).workspace.get({ workspace }))).toBe("NOT_FOUND");
  });
});
