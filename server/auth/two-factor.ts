// Second factors. An account may have an authenticator app (TOTP, RFC 6238, with otpauth) and
// passkeys (server/auth/passkeys.ts); with either, signing in with a password or a provider gives a
// session that can do nothing but give the second factor (a code, a recovery code or a passkey).
// Enrolling TOTP hands out ten one-time recovery codes (stored as sha256: they are random). The
// TOTP secret is encrypted under the master keys, bound to its user; a code is accepted once
// (a replayed code in the same 30 s is refused), one step either side of now.
import { createHash, randomBytes } from "node:crypto";
import * as OTPAuth from "otpauth";
import type { RateLimiterRes } from "rate-limiter-flexible";
import { renderSVG } from "uqr";
import { db } from "@/server/db/client";
import { AppError, RetryLater } from "@/server/errors";
import { decryptSecret, encryptSecret, reencrypt } from "@/server/secrets/crypto";
import { processKeyring } from "@/server/secrets/keyring";
import { recordAccountEvent } from "./accounts";
import { hasSecondFactor } from "./factors";
import { pgLimiter } from "./limiters";

export { hasSecondFactor, secondFactorsOf } from "./factors";

const RECOVERY_CODES = 10;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const totpAad = (userId: string) => `${userId}:totp`;
const normalizeCode = (code: string) => code.replace(/[\s-]/g, "").toLowerCase();

function totp(secret: OTPAuth.Secret, email: string) {
  return new OTPAuth.TOTP({
    issuer: "Baton",
    label: email,
    algorithm: "SHA1",
    digits: 6,
    period: 30,
    secret,
  });
}

/** Starts enrolling an authenticator app: a new secret, as text and as a QR code (SVG). */
export async function beginTotp(user: { userId: string; email: string }) {
  const current = await db.user.findUniqueOrThrow({
    where: { id: user.userId },
    select: { totpEnabledAt: true },
  });
  if (current.totpEnabledAt)
    throw new AppError("CONFLICT", "An authenticator app is set up already; remove it first");
  const secret = new OTPAuth.Secret({ size: 20 });
  await db.user.update({
    where: { id: user.userId },
    data: {
      totpSecret: encryptSecret(processKeyring(), secret.base32, totpAad(user.userId)),
      totpLastStep: null,
    },
  });
  const uri = totp(secret, user.email).toString();
  return { secret: secret.base32, uri, qrSvg: renderSVG(uri) };
}

/** The step a current code of this user's authenticator matches, or null. */
async function matchTotp(
  userId: string,
  code: string,
): Promise<{ step: number; last: number | null } | null> {
  const user = await db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { email: true, totpSecret: true, totpLastStep: true },
  });
  if (!user.totpSecret || !/^\d{6}$/.test(code)) return null;
  const secret = OTPAuth.Secret.fromBase32(decryptSecret(processKeyring(), user.totpSecret, totpAad(userId)));
  const delta = totp(secret, user.email).validate({ token: code, window: 1 });
  if (delta === null) return null;
  const step = Math.floor(Date.now() / 30_000) + delta;
  if (user.totpLastStep !== null && step <= user.totpLastStep) return null; // replayed
  return { step, last: user.totpLastStep };
}

/** Claims a TOTP step so the same code cannot be used twice (of two racing uses, one wins). */
async function claimStep(userId: string, match: { step: number; last: number | null }): Promise<boolean> {
  const { count } = await db.user.updateMany({
    where: { id: userId, totpLastStep: match.last },
    data: { totpLastStep: match.step },
  });
  return count === 1;
}

async function newRecoveryCodes(userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODES }, () => {
    const raw = randomBytes(5).toString("hex"); // 10 hex digits, shown as xxxxx-xxxxx
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
  await db.$transaction([
    db.recoveryCode.deleteMany({ where: { userId } }),
    db.recoveryCode.createMany({
      data: codes.map((code) => ({ userId, codeHash: sha256(normalizeCode(code)) })),
    }),
  ]);
  return codes;
}

/** Finishes enrolling with a first code from the app; answers the recovery codes (shown once). */
export async function confirmTotp(user: { userId: string; email: string; ip?: string }, code: string) {
  const match = await matchTotp(user.userId, normalizeCode(code));
  if (!match || !(await claimStep(user.userId, match))) {
    throw new AppError("BAD_REQUEST", "That code is not right; enter the one your app shows now", [
      { path: "code", message: "Not the current code" },
    ]);
  }
  await db.user.update({ where: { id: user.userId }, data: { totpEnabledAt: new Date() } });
  const recoveryCodes = await newRecoveryCodes(user.userId);
  await recordAccountEvent(user, "auth.totp_enabled");
  return { recoveryCodes };
}

export async function regenerateRecoveryCodes(user: { userId: string; email: string; ip?: string }) {
  if (!(await hasSecondFactor(user.userId))) {
    throw new AppError("CONFLICT", "Recovery codes come with a second factor; set one up first");
  }
  const recoveryCodes = await newRecoveryCodes(user.userId);
  await recordAccountEvent(user, "auth.recovery_codes_renewed");
  return { recoveryCodes };
}

/** Removes the authenticator app, after a current code from it (or a recovery code). */
export async function disableTotp(user: { userId: string; email: string; ip?: string }, code: string) {
  if (!(await verifySecondFactorCode(user.userId, code))) {
    throw new AppError("BAD_REQUEST", "That code is not right", [
      { path: "code", message: "Not a current or recovery code" },
    ]);
  }
  await db.user.update({
    where: { id: user.userId },
    data: { totpSecret: null, totpEnabledAt: null, totpLastStep: null },
  });
  if (!(await hasSecondFactor(user.userId)))
    await db.recoveryCode.deleteMany({ where: { userId: user.userId } });
  await recordAccountEvent(user, "auth.totp_disabled");
}

/** Whether `code` is a current TOTP code or an unused recovery code of the user (using it up). */
export async function verifySecondFactorCode(userId: string, code: string): Promise<boolean> {
  const normal = normalizeCode(code);
  const enabled = await db.user.findUnique({ where: { id: userId }, select: { totpEnabledAt: true } });
  if (enabled?.totpEnabledAt) {
    const match = await matchTotp(userId, normal);
    if (match) return claimStep(userId, match);
  }
  const { count } = await db.recoveryCode.updateMany({
    where: { userId, codeHash: sha256(normal), usedAt: null },
    data: { usedAt: new Date() },
  });
  return count === 1;
}

// Wrong second-factor codes: 10 per account per 15 minutes, then 429 until the window ends (a
// six-digit code must not be guessable by trying them all).
const codeLimiter = pgLimiter({ keyPrefix: "second-factor", points: 10, duration: 15 * 60 });

/** The sign-in's second step with a code: throws on a wrong one (429 after too many). */
export async function giveSecondFactorCode(
  user: { userId: string; email: string; ip?: string },
  code: string,
) {
  const spent = await codeLimiter().get(user.userId);
  if (spent && spent.consumedPoints >= 10) {
    throw new RetryLater("Too many wrong codes. Try again later.", Math.ceil(spent.msBeforeNext / 1000));
  }
  if (!(await verifySecondFactorCode(user.userId, code))) {
    await codeLimiter()
      .consume(user.userId)
      .catch((res: RateLimiterRes) => res);
    await recordAccountEvent(user, "auth.second_factor_failed");
    throw new AppError("BAD_REQUEST", "That code is not right", [
      { path: "code", message: "Not a current or recovery code" },
    ]);
  }
  await recordAccountEvent(user, "auth.second_factor");
}

/**
 * Re-encrypts authenticator secrets not under the current key version (part of `baton keys
 * rotate`, like workspaces' secrets), each only if unchanged since it was read.
 */
export async function rotateTotpSecrets(keyring = processKeyring()) {
  const current = `v${keyring.currentVersion}:`;
  const stale = await db.user.findMany({
    where: { totpSecret: { not: null }, NOT: { totpSecret: { startsWith: current } } },
    select: { id: true, totpSecret: true },
  });
  const counts = { found: stale.length, rotated: 0, failed: 0 };
  for (const user of stale) {
    try {
      const totpSecret = reencrypt(keyring, user.totpSecret!, totpAad(user.id));
      const { count } = await db.user.updateMany({
        where: { id: user.id, totpSecret: user.totpSecret },
        data: { totpSecret },
      });
      counts.rotated += count;
    } catch {
      counts.failed++;
    }
  }
  return counts;
}
