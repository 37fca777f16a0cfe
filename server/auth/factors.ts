// Which second factors an account has (server/auth/two-factor.ts, passkeys.ts). Its own module,
// with nothing but the database, because the workspace door asks too.
import { db } from "@/server/db/client";

export async function secondFactorsOf(userId: string) {
  const user = await db.user.findUniqueOrThrow({
    where: { id: userId },
    select: {
      totpEnabledAt: true,
      _count: { select: { passkeys: true, recoveryCodes: { where: { usedAt: null } } } },
    },
  });
  return {
    totp: user.totpEnabledAt !== null,
    passkeys: user._count.passkeys,
    recoveryCodesLeft: user._count.recoveryCodes,
  };
}

export async function hasSecondFactor(userId: string): Promise<boolean> {
  const factors = await secondFactorsOf(userId);
  return factors.totp || factors.passkeys > 0;
}
