// Sessions: one row per signed-in browser. The session cookie is a next-auth JWT carrying the
// row's id (`sid`); every request checks the row (server/auth/options.ts), so a session ended
// here stops working at once, copied cookies included. Sessions end on sign-out, on a password
// change or reset (all others), on "sign out everywhere", one by one from the account page, and
// after 30 days unseen.
import Bowser from "bowser";
import { db } from "@/server/db/client";
import { AppError, notFound } from "@/server/errors";

/** A session unseen for this long has ended (next-auth's cookie lives as long). */
export const SESSION_IDLE_SECONDS = 30 * 24 * 3600;
const TOUCH_EVERY_MS = 60_000;

export class SessionEnded extends Error {
  constructor() {
    super("This session has ended; sign in again");
    this.name = "SessionEnded";
  }
}

/** What someone signing in to an account a platform administrator disabled is told. */
export function accountDisabled() {
  return new AppError(
    "FORBIDDEN",
    "This account is disabled; contact the administrator of this Baton installation",
  );
}

export interface ActiveSession {
  id: string;
  userId: string;
  email: string;
  pendingSecondFactor: boolean;
}

export async function startSession(input: {
  userId: string;
  method: string;
  pendingSecondFactor: boolean;
  ip?: string;
  userAgent?: string;
}): Promise<string> {
  // Every way of signing in ends here, so a disabled account gets no session whatever it used.
  const user = await db.user.findUnique({ where: { id: input.userId }, select: { disabledAt: true } });
  if (user?.disabledAt) throw accountDisabled();
  const session = await db.session.create({
    data: {
      userId: input.userId,
      method: input.method,
      pendingSecondFactor: input.pendingSecondFactor,
      ip: input.ip ?? null,
      userAgent: input.userAgent?.slice(0, 512) ?? null,
    },
    select: { id: true },
  });
  return session.id;
}

/**
 * The live session `id` names, or SessionEnded. Records when and from where it was last seen (at
 * most once a minute, or at once from a new address).
 */
export async function checkSession(id: unknown, seen: { ip?: string } = {}): Promise<ActiveSession> {
  if (typeof id !== "string" || !/^[0-9a-f-]{36}$/i.test(id)) throw new SessionEnded();
  const session = await db.session.findUnique({
    where: { id },
    select: {
      id: true,
      userId: true,
      pendingSecondFactor: true,
      endedAt: true,
      lastSeenAt: true,
      ip: true,
      user: { select: { email: true, disabledAt: true } },
    },
  });
  if (!session || session.endedAt || session.user.disabledAt) throw new SessionEnded();
  const idle = Date.now() - session.lastSeenAt.getTime();
  if (idle > SESSION_IDLE_SECONDS * 1000) throw new SessionEnded();
  const moved = seen.ip !== undefined && seen.ip !== "unknown" && seen.ip !== session.ip;
  if (idle > TOUCH_EVERY_MS || moved) {
    await db.session.update({
      where: { id },
      data: { lastSeenAt: new Date(), ...(moved ? { ip: seen.ip } : {}) },
    });
  }
  return {
    id: session.id,
    userId: session.userId,
    email: session.user.email,
    pendingSecondFactor: session.pendingSecondFactor,
  };
}

/** The second factor was given: the session may now do what its user may. */
export async function completeSecondFactor(sessionId: string): Promise<void> {
  await db.session.updateMany({
    where: { id: sessionId, endedAt: null },
    data: { pendingSecondFactor: false },
  });
}

export async function endSession(id: string): Promise<void> {
  await db.session.updateMany({ where: { id, endedAt: null }, data: { endedAt: new Date() } });
}

/** Ends every session of the user but `keep` (the one asking), or all of them. Answers how many. */
export async function endSessions(userId: string, keep?: string): Promise<number> {
  const { count } = await db.session.updateMany({
    where: { userId, endedAt: null, ...(keep ? { id: { not: keep } } : {}) },
    data: { endedAt: new Date() },
  });
  return count;
}

function describeDevice(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const parsed = Bowser.parse(userAgent);
  const browser = [parsed.browser.name, parsed.browser.version?.split(".")[0]].filter(Boolean).join(" ");
  const os = parsed.os.name;
  if (!browser && !os) return userAgent.slice(0, 60);
  return os ? `${browser || "Browser"} on ${os}` : browser;
}

/** The user's live sessions, the current one first, for the account page. */
export async function listSessions(userId: string, currentId?: string) {
  const sessions = await db.session.findMany({
    where: {
      userId,
      endedAt: null,
      lastSeenAt: { gt: new Date(Date.now() - SESSION_IDLE_SECONDS * 1000) },
    },
    select: { id: true, method: true, ip: true, userAgent: true, createdAt: true, lastSeenAt: true },
    orderBy: { lastSeenAt: "desc" },
  });
  return sessions
    .map(({ userAgent, ...session }) => ({
      ...session,
      device: describeDevice(userAgent),
      current: session.id === currentId,
    }))
    .sort((a, b) => Number(b.current) - Number(a.current));
}

/** Ends one of the user's own sessions (another user's id is simply not found). */
export async function endOwnSession(userId: string, sessionId: string): Promise<void> {
  const { count } = await db.session.updateMany({
    where: { id: sessionId, userId, endedAt: null },
    data: { endedAt: new Date() },
  });
  if (count === 0) throw notFound("Session");
}

/** Whether the account signed in from this address lately (exempts it from the account-wide delay). */
export async function signedInFromLately(userId: string, ip: string): Promise<boolean> {
  if (ip === "unknown") return false;
  const known = await db.session.findFirst({
    where: {
      userId,
      ip,
      pendingSecondFactor: false,
      createdAt: { gt: new Date(Date.now() - SESSION_IDLE_SECONDS * 1000) },
    },
    select: { id: true },
  });
  return known !== null;
}

export const sessionRequired = () => new AppError("UNAUTHORIZED", "Sign in first");
