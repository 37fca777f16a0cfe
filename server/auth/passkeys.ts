// Passkeys (WebAuthn, with SimpleWebAuthn): a signed-in user registers one from the account page;
// it then serves as the second factor after a password, or signs in on its own (a passkey is
// something held and, with user verification, something known or been). Credentials are
// discoverable, so signing in needs no e-mail first. Each ceremony's challenge is stored, bound to
// its purpose (and user, when known), and used once within five minutes. The relying party is the
// public URL's host (NEXTAUTH_URL), so passkeys follow the installation, not a client's Host.
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { db } from "@/server/db/client";
import { AppError, notFound } from "@/server/errors";
import { recordAccountEvent, type SessionUser } from "./accounts";

const CHALLENGE_MINUTES = 5;

/** Who the passkeys belong to: the public URL's host and origin. */
export function relyingParty(baseUrl: string) {
  const url = new URL(baseUrl);
  return { id: url.hostname, origin: url.origin, name: "Baton" };
}

async function storeChallenge(challenge: string, purpose: "register" | "authenticate", userId?: string) {
  const row = await db.webAuthnChallenge.create({
    data: {
      challenge,
      purpose,
      userId: userId ?? null,
      expiresAt: new Date(Date.now() + CHALLENGE_MINUTES * 60_000),
    },
    select: { id: true },
  });
  return row.id;
}

/** Uses a challenge up (once), answering it; throws when it is unknown, used, expired or another's. */
async function takeChallenge(id: string, purpose: "register" | "authenticate", userId?: string) {
  const deleted = await db.webAuthnChallenge.delete({ where: { id } }).catch(() => null);
  if (
    !deleted ||
    deleted.purpose !== purpose ||
    deleted.expiresAt <= new Date() ||
    (userId !== undefined && deleted.userId !== null && deleted.userId !== userId)
  ) {
    throw new AppError("BAD_REQUEST", "This passkey request has expired; try again");
  }
  return deleted.challenge;
}

export async function listPasskeys(userId: string) {
  return db.passkey.findMany({
    where: { userId },
    select: { id: true, name: true, createdAt: true, lastUsedAt: true },
    orderBy: { createdAt: "asc" },
  });
}

export async function registrationOptions(user: { userId: string; email: string }, baseUrl: string) {
  const rp = relyingParty(baseUrl);
  const existing = await db.passkey.findMany({
    where: { userId: user.userId },
    select: { id: true, transports: true },
  });
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email,
    userID: new TextEncoder().encode(user.userId),
    attestationType: "none",
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
    authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
  });
  return { challengeId: await storeChallenge(options.challenge, "register", user.userId), options };
}

export async function registerPasskey(
  user: { userId: string; email: string; ip?: string },
  input: { challengeId: string; response: RegistrationResponseJSON; name: string },
  baseUrl: string,
) {
  const rp = relyingParty(baseUrl);
  const expectedChallenge = await takeChallenge(input.challengeId, "register", user.userId);
  const verification = await verifyRegistrationResponse({
    response: input.response,
    expectedChallenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    requireUserVerification: false,
  }).catch((error: Error) => {
    throw new AppError("BAD_REQUEST", `The passkey could not be verified: ${error.message}`);
  });
  if (!verification.verified) throw new AppError("BAD_REQUEST", "The passkey could not be verified");
  const { credential } = verification.registrationInfo;
  const passkey = await db.passkey.create({
    data: {
      id: credential.id,
      userId: user.userId,
      publicKey: Buffer.from(credential.publicKey),
      counter: BigInt(credential.counter),
      transports: credential.transports ?? [],
      name: input.name,
    },
    select: { id: true, name: true, createdAt: true, lastUsedAt: true },
  });
  await recordAccountEvent(user, "auth.passkey_added", { name: input.name });
  return passkey;
}

export async function removePasskey(user: { userId: string; email: string; ip?: string }, passkeyId: string) {
  const { count } = await db.passkey.deleteMany({ where: { id: passkeyId, userId: user.userId } });
  if (count === 0) throw notFound("Passkey");
  await recordAccountEvent(user, "auth.passkey_removed", { passkeyId });
}

/**
 * Options for signing in with a passkey: any of the user's (a second factor, `userId` given), or
 * any discoverable one (password-less sign-in).
 */
export async function authenticationOptions(baseUrl: string, userId?: string) {
  const allowCredentials = userId
    ? (await db.passkey.findMany({ where: { userId }, select: { id: true, transports: true } })).map((p) => ({
        id: p.id,
        transports: p.transports,
      }))
    : undefined;
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(baseUrl).id,
    allowCredentials,
    userVerification: "preferred",
  });
  return { challengeId: await storeChallenge(options.challenge, "authenticate", userId), options };
}

/**
 * Checks a passkey's answer to a challenge and answers its user. `userId`: only that user's
 * passkeys count (the second factor of a signed-in-by-password session).
 */
export async function verifyPasskey(
  input: { challengeId: string; response: AuthenticationResponseJSON },
  baseUrl: string,
  userId?: string,
): Promise<SessionUser> {
  const rp = relyingParty(baseUrl);
  const expectedChallenge = await takeChallenge(input.challengeId, "authenticate", userId);
  const passkey = await db.passkey.findUnique({
    where: { id: input.response.id },
    include: { user: { select: { id: true, email: true, name: true } } },
  });
  if (!passkey || (userId !== undefined && passkey.userId !== userId)) {
    throw new AppError("UNAUTHORIZED", "This passkey is not registered here");
  }
  const verification = await verifyAuthenticationResponse({
    response: input.response,
    expectedChallenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.id,
    credential: {
      id: passkey.id,
      publicKey: new Uint8Array(passkey.publicKey),
      counter: Number(passkey.counter),
      transports: passkey.transports,
    },
    requireUserVerification: false,
  }).catch((error: Error) => {
    throw new AppError("UNAUTHORIZED", `The passkey could not be verified: ${error.message}`);
  });
  if (!verification.verified) throw new AppError("UNAUTHORIZED", "The passkey could not be verified");
  await db.passkey.update({
    where: { id: passkey.id },
    data: { counter: BigInt(verification.authenticationInfo.newCounter), lastUsedAt: new Date() },
  });
  return passkey.user;
}
