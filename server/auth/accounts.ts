// Accounts: sign-up, credential checks and password changes. Users are global; everything they
// own lives in workspaces.
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { sendMail } from "@/server/mail/send";
import { createWorkspace } from "@/server/workspaces/service";
import { workspacesOnlyOwnedBy } from "./account-deletion";
import { assertSignInAllowed, recordFailedSignIn, recordSuccessfulSignIn } from "./brute-force";
import { consumeLink, issueLink, linkUrl, readLink } from "./email-links";
import { takeMailAllowance } from "./mail-limits";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./password";
import { assertStrongPassword } from "./password-strength";
import { accountDisabled, endSessions } from "./sessions";

export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

/**
 * Creates a user and their first workspace at once: for the operator's CLI, tests and a finished
 * sign-up link. `verified`: the address is known to be theirs (a link, or the operator's word).
 */
export async function createAccount(input: {
  email: string;
  name: string;
  password?: string;
  passwordHash?: string;
  verified?: boolean;
  ip?: string;
}) {
  const existing = await db.user.findUnique({ where: { email: input.email }, select: { id: true } });
  if (existing) {
    throw new AppError("CONFLICT", "An account with this e-mail already exists", [
      { path: "email", message: "An account with this e-mail already exists; sign in instead" },
    ]);
  }
  const passwordHash = input.passwordHash ?? (input.password ? await hashPassword(input.password) : null);
  const user = await db.user.create({
    data: {
      email: input.email,
      name: input.name,
      passwordHash,
      emailVerifiedAt: input.verified === false ? null : new Date(),
    },
    select: { id: true, email: true, name: true },
  });
  const workspace = await createWorkspace({
    userId: user.id,
    name: `${input.name.split(" ")[0]}'s workspace`,
    ip: input.ip,
  });
  return { user, workspace };
}

/**
 * Sign-up as the public does it, giving away nothing about which addresses have accounts: the
 * answer is the same either way ("we sent a link", or the link itself when there is no SMTP), and
 * the account is only created when the link is opened, by whoever receives mail at the address.
 * An address that has an account gets a link that says so (and how to reset the password).
 */
export async function requestSignUp(input: {
  email: string;
  name: string;
  password: string;
  ip: string;
  baseUrl: string;
}): Promise<{ email: string; emailed: boolean; link?: string }> {
  assertStrongPassword(input.password, [input.email, input.name]);
  await takeMailAllowance("signup", input.email, input.ip);
  // Hashed either way, so both paths take the same time.
  const passwordHash = await hashPassword(input.password);
  const existing = await db.user.findUnique({ where: { email: input.email }, select: { id: true } });
  const { secret } = await issueLink("signup", {
    email: input.email,
    userId: existing?.id ?? null,
    payload: existing ? { existing: true } : { name: input.name, passwordHash },
  });
  const link = linkUrl(input.baseUrl, "signup", secret);
  const emailed = await sendMail({
    to: input.email,
    subject: existing ? "You already have a Baton account" : "Finish creating your Baton account",
    text: existing
      ? `Someone (you, we hope) tried to sign up for Baton with this address, which has an account already.\n\nSign in: ${input.baseUrl.replace(/\/$/, "")}/sign-in\nForgot the password? ${input.baseUrl.replace(/\/$/, "")}/forgot-password\n\nIf it was not you, ignore this message.`
      : `Open this link to finish creating your account:\n\n${link}\n\nIt works once, within a day. If you did not sign up, ignore this message.`,
  }).catch(() => false);
  return { email: input.email, emailed, ...(emailed ? {} : { link }) };
}

/** What a sign-up link will do, for its page (the link is not used up by looking). */
export async function describeSignUpLink(secret: string) {
  const link = await readLink("signup", secret);
  return { email: link.email, existing: (link.payload as { existing?: boolean }).existing === true };
}

/** Uses a sign-up link: creates the account (its address proven) and answers the user to sign in. */
export async function finishSignUp(
  secret: string,
  ip?: string,
): Promise<SessionUser & { workspace: string }> {
  const link = await consumeLink("signup", secret);
  const pending = link.payload as { existing?: boolean; name?: string; passwordHash?: string };
  if (pending.existing || !pending.name || !pending.passwordHash) {
    throw new AppError(
      "CONFLICT",
      "An account with this e-mail already exists: sign in, or reset the password",
    );
  }
  const { user, workspace } = await createAccount({
    email: link.email,
    name: pending.name,
    passwordHash: pending.passwordHash,
    verified: true,
    ip,
  });
  await recordAccountEvent({ userId: user.id, email: user.email, ip }, "auth.signup");
  return { ...user, workspace: workspace.slug };
}

/** Checks e-mail and password with brute-force protection; records the outcome in the audit log. */
export async function authenticate(input: {
  email: string;
  password: string;
  ip: string;
}): Promise<SessionUser> {
  const email = input.email.trim().toLowerCase();
  await assertSignInAllowed(email, input.ip);
  const user = await db.user.findUnique({ where: { email } });
  const ok = user?.passwordHash ? await verifyPassword(user.passwordHash, input.password) : false;
  if (!user?.passwordHash) await burnPasswordCheck(input.password);
  await db.auditEvent.create({
    data: {
      workspaceId: null,
      actor: user?.id ?? "anonymous",
      actorLabel: email,
      action: ok ? "auth.signin" : "auth.signin_failed",
      ip: input.ip,
    },
  });
  if (!ok || !user) {
    await recordFailedSignIn(email, input.ip);
    throw new AppError("UNAUTHORIZED", "Wrong e-mail or password");
  }
  await recordSuccessfulSignIn(email, input.ip);
  // Only after the password proved right, so that the answer tells a stranger nothing.
  if (user.disabledAt) throw accountDisabled();
  return { id: user.id, email: user.email, name: user.name };
}

/** Changes the password and ends every other session of the account (`keep`: the one asking). */
export async function changePassword(input: {
  userId: string;
  current: string;
  next: string;
  keep?: string;
}) {
  const user = await db.user.findUniqueOrThrow({ where: { id: input.userId } });
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, input.current))) {
    throw new AppError("BAD_REQUEST", "The current password is wrong", [
      { path: "current", message: "The current password is wrong" },
    ]);
  }
  assertStrongPassword(input.next, [user.email, user.name], "next");
  await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(input.next) } });
  const sessionsEnded = await endSessions(user.id, input.keep);
  await db.auditEvent.create({
    data: {
      workspaceId: null,
      actor: user.id,
      actorLabel: user.email,
      action: "auth.password_change",
      metadata: { sessionsEnded },
    },
  });
  return { sessionsEnded };
}

/** Records an account-level audit event (no workspace) done by the user themself. */
export async function recordAccountEvent(
  user: { userId: string; email: string; ip?: string },
  action: string,
  metadata: Record<string, unknown> = {},
) {
  await db.auditEvent.create({
    data: {
      workspaceId: null,
      actor: user.userId,
      actorLabel: user.email,
      action,
      metadata: metadata as object,
      ip: user.ip ?? null,
    },
  });
}

/** The signed-in user's own account events (sign-ins, password changes). */
export function listAccountEvents(userId: string) {
  return db.auditEvent.findMany({
    where: { actor: userId, workspaceId: null },
    orderBy: { createdAt: "desc" },
    take: 50,
  });
}

/**
 * OAuth sign-in: link the provider identity to the user with the same e-mail, or create one. The
 * provider's word that the address is verified (`verified`) marks the account's address verified.
 */
export async function upsertOAuthUser(input: {
  provider: string;
  providerAccountId: string;
  email: string;
  name: string;
  verified: boolean;
}): Promise<SessionUser> {
  const linked = await db.oAuthAccount.findUnique({
    where: {
      provider_providerAccountId: { provider: input.provider, providerAccountId: input.providerAccountId },
    },
    select: { user: { select: { id: true, email: true, name: true } } },
  });
  if (linked) return linked.user;
  const email = input.email.toLowerCase();
  let user = await db.user.findUnique({ where: { email }, select: { id: true, email: true, name: true } });
  if (!user) {
    user = await db.user.create({
      data: { email, name: input.name, emailVerifiedAt: input.verified ? new Date() : null },
      select: { id: true, email: true, name: true },
    });
    await createWorkspace({ userId: user.id, name: `${input.name.split(" ")[0]}'s workspace` });
  } else if (input.verified) {
    await db.user.updateMany({
      where: { id: user.id, emailVerifiedAt: null },
      data: { emailVerifiedAt: new Date() },
    });
  }
  await db.oAuthAccount.create({
    data: { provider: input.provider, providerAccountId: input.providerAccountId, userId: user.id },
  });
  return user;
}

/** The account's standing for its own page: address proven, password set, workspaces it alone owns. */
export async function accountStatus(userId: string) {
  const user = await db.user.findUniqueOrThrow({
    where: { id: userId },
    select: { email: true, emailVerifiedAt: true, passwordHash: true },
  });
  return {
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    hasPassword: user.passwordHash !== null,
    lastOwnerOf: await workspacesOnlyOwnedBy(userId),
  };
}
