// Proving an account's e-mail address: a link to the address (shown in the page when there is no
// SMTP, as invitations do). Accounts made by a sign-up link are proven by it; others (made before
// verification existed, or through a provider that did not vouch) confirm from the account page.
// A new address is confirmed the same way before it replaces the old one. Until an address is
// proven its account cannot accept invitations or be added to a workspace.
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { sendMail } from "@/server/mail/send";
import { recordAccountEvent } from "./accounts";
import { consumeLink, issueLink, linkUrl } from "./email-links";
import { takeMailAllowance } from "./mail-limits";
import { verifyPassword } from "./password";

export async function sendConfirmationLink(input: {
  userId: string;
  email: string;
  ip: string;
  baseUrl: string;
  /** A new address to confirm before it replaces the account's. */
  newEmail?: string;
}): Promise<{ email: string; emailed: boolean; link?: string }> {
  const to = input.newEmail ?? input.email;
  await takeMailAllowance("verify", to, input.ip);
  const { secret } = await issueLink("verify_email", {
    email: to,
    userId: input.userId,
    payload: input.newEmail ? { replaces: input.email } : {},
  });
  const link = linkUrl(input.baseUrl, "verify_email", secret);
  const emailed = await sendMail({
    to,
    subject: "Confirm your e-mail address for Baton",
    text: `Open this link to confirm that ${to} is yours${input.newEmail ? ` (it then replaces ${input.email})` : ""}:\n\n${link}\n\nIt works once, within a day.`,
  }).catch(() => false);
  return { email: to, emailed, ...(emailed ? {} : { link }) };
}

export async function requireVerifiedAddress(userId: string, who = "You") {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { emailVerifiedAt: true, email: true },
  });
  if (!user?.emailVerifiedAt) {
    throw new AppError(
      "FORBIDDEN",
      who === "You"
        ? "Confirm your e-mail address first (your account page sends the link)"
        : `${user?.email ?? "This user"} has not confirmed their e-mail address yet`,
    );
  }
}

/** Starts a change of address: after the password, a link goes to the new address. */
export async function requestEmailChange(input: {
  userId: string;
  newEmail: string;
  password: string;
  ip: string;
  baseUrl: string;
}) {
  const user = await db.user.findUniqueOrThrow({ where: { id: input.userId } });
  if (user.passwordHash && !(await verifyPassword(user.passwordHash, input.password))) {
    throw new AppError("BAD_REQUEST", "The password is wrong", [
      { path: "password", message: "The password is wrong" },
    ]);
  }
  if (input.newEmail === user.email) {
    throw new AppError("BAD_REQUEST", "That is your address already", [
      { path: "newEmail", message: "Already yours" },
    ]);
  }
  return sendConfirmationLink({ ...input, email: user.email });
}

/** Uses a confirmation link: the address is proven (and, for a change, becomes the account's). */
export async function confirmEmail(secret: string, ip?: string) {
  const confirmed = await db.$transaction(async (tx) => {
    const link = await consumeLink("verify_email", secret, tx);
    const user = await tx.user.findUnique({ where: { id: link.userId ?? undefined } });
    if (!user) throw new AppError("BAD_REQUEST", "This link's account no longer exists");
    const replaces = (link.payload as { replaces?: string }).replaces;
    if (replaces !== undefined) {
      if (user.email !== replaces)
        throw new AppError("CONFLICT", "The account's address changed since this link was sent");
      const taken = await tx.user.findUnique({ where: { email: link.email }, select: { id: true } });
      if (taken) throw new AppError("CONFLICT", `${link.email} belongs to another account`);
      await tx.user.update({
        where: { id: user.id },
        data: { email: link.email, emailVerifiedAt: new Date() },
      });
    } else if (user.email === link.email) {
      await tx.user.update({ where: { id: user.id }, data: { emailVerifiedAt: new Date() } });
    } else {
      throw new AppError("CONFLICT", "The account's address changed since this link was sent");
    }
    return { userId: user.id, email: link.email, replaces };
  });
  await recordAccountEvent(
    { userId: confirmed.userId, email: confirmed.email, ip },
    confirmed.replaces !== undefined ? "auth.email_change" : "auth.email_verified",
    confirmed.replaces !== undefined ? { from: confirmed.replaces } : {},
  );
  return { email: confirmed.email };
}
