// Password reset by e-mail. Asking answers the same whether or not the address has an account;
// the link (hashed in the database, single-use, 30 minutes) goes only to the address, and asking
// is limited per address and per client address. Without SMTP the installation's administrator
// prints a link with `baton user reset-link <email>` and hands it over. Using the link sets the new
// password, proves the address (it is verified from then on), ends every session of the account
// and its other reset links, clears its sign-in failures, and is audited.
import { db } from "@/server/db/client";
import { notFound } from "@/server/errors";
import { mailEnabled, sendMail } from "@/server/mail/send";
import { recordAccountEvent } from "./accounts";
import { clearSignInFailures } from "./brute-force";
import { consumeLink, issueLink, linkUrl, readLink, retireLinks } from "./email-links";
import { takeMailAllowance } from "./mail-limits";
import { hashPassword } from "./password";
import { assertStrongPassword } from "./password-strength";
import { endSessions } from "./sessions";

async function newResetLink(user: { id: string; email: string }, baseUrl: string) {
  const { secret } = await issueLink("reset_password", { email: user.email, userId: user.id });
  return linkUrl(baseUrl, "reset_password", secret);
}

/** The same answer for every address: whether this installation sends e-mail at all. */
export async function requestPasswordReset(input: { email: string; ip: string; baseUrl: string }) {
  await takeMailAllowance("reset", input.email, input.ip);
  const user = await db.user.findUnique({ where: { email: input.email }, select: { id: true, email: true } });
  if (user && mailEnabled()) {
    const link = await newResetLink(user, input.baseUrl);
    // Not awaited: the answer must not take longer for an address that has an account.
    void sendMail({
      to: user.email,
      subject: "Reset your Baton password",
      text: `Open this link to choose a new password:\n\n${link}\n\nIt works once, within 30 minutes. If you did not ask for it, ignore this message: your password stays as it is.`,
    }).catch((error: unknown) => console.error("password reset mail failed", error));
    await recordAccountEvent(
      { userId: user.id, email: user.email, ip: input.ip },
      "auth.password_reset_requested",
    );
  }
  return { email: input.email, emailed: mailEnabled() };
}

/** For the administrator's CLI: a reset link for this account, to hand over by other means. */
export async function resetLinkFor(email: string, baseUrl: string): Promise<string> {
  const user = await db.user.findUnique({ where: { email }, select: { id: true, email: true } });
  if (!user) throw notFound("User");
  const link = await newResetLink(user, baseUrl);
  await recordAccountEvent({ userId: user.id, email: user.email }, "auth.password_reset_link", {
    by: "operator",
  });
  return link;
}

/** Whose password a reset link changes (looking does not use it up). */
export async function describeResetLink(secret: string) {
  const link = await readLink("reset_password", secret);
  return { email: link.email };
}

export async function resetPassword(input: { secret: string; password: string; ip?: string }) {
  const pending = await readLink("reset_password", input.secret);
  const user = await db.user.findUniqueOrThrow({
    where: { id: pending.userId ?? undefined },
    select: { id: true, email: true, name: true },
  });
  // Checked before the link is used up, so a refused password leaves it working.
  assertStrongPassword(input.password, [user.email, user.name]);
  const passwordHash = await hashPassword(input.password);
  await db.$transaction(async (tx) => {
    await consumeLink("reset_password", input.secret, tx);
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await tx.user.updateMany({
      where: { id: user.id, emailVerifiedAt: null },
      data: { emailVerifiedAt: new Date() },
    });
    await retireLinks("reset_password", user.id, tx);
  });
  const sessionsEnded = await endSessions(user.id);
  await clearSignInFailures(user.email);
  await recordAccountEvent({ userId: user.id, email: user.email, ip: input.ip }, "auth.password_reset", {
    sessionsEnded,
  });
  return { email: user.email };
}
