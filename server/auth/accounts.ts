// Accounts: sign-up, credential checks and password changes. Users are global; everything they
// own lives in workspaces.
import { db } from "@/server/db/client";
import { AppError } from "@/server/errors";
import { createWorkspace } from "@/server/workspaces/service";
import { assertSignInAllowed, recordFailedSignIn, recordSuccessfulSignIn } from "./brute-force";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./password";

export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

export async function signUp(input: { email: string; name: string; password: string; ip?: string }) {
  const existing = await db.user.findUnique({ where: { email: input.email }, select: { id: true } });
  if (existing) {
    throw new AppError("CONFLICT", "An account with this e-mail already exists", [
      { path: "email", message: "An account with this e-mail already exists; sign in instead" },
    ]);
  }
  const user = await db.user.create({
    data: { email: input.email, name: input.name, passwordHash: await hashPassword(input.password) },
    select: { id: true, email: true, name: true },
  });
  const workspace = await createWorkspace({
    userId: user.id,
    name: `${input.name.split(" ")[0]}'s workspace`,
    ip: input.ip,
  });
  return { user, workspace };
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
  await recordSuccessfulSignIn(email);
  return { id: user.id, email: user.email, name: user.name };
}

export async function changePassword(input: { userId: string; current: string; next: string }) {
  const user = await db.user.findUniqueOrThrow({ where: { id: input.userId } });
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, input.current))) {
    throw new AppError("BAD_REQUEST", "The current password is wrong", [
      { path: "current", message: "The current password is wrong" },
    ]);
  }
  await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(input.next) } });
  await db.auditEvent.create({
    data: { workspaceId: null, actor: user.id, actorLabel: user.email, action: "auth.password_change" },
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

/** OAuth sign-in: link the provider identity to the user with the same verified e-mail, or create one. */
export async function upsertOAuthUser(input: {
  provider: string;
  providerAccountId: string;
  email: string;
  name: string;
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
      data: { email, name: input.name },
      select: { id: true, email: true, name: true },
    });
    await createWorkspace({ userId: user.id, name: `${input.name.split(" ")[0]}'s workspace` });
  }
  await db.oAuthAccount.create({
    data: { provider: input.provider, providerAccountId: input.providerAccountId, userId: user.id },
  });
  return user;
}
