// The signed-in user for server components and route handlers: the next-auth session, whose row
// is checked on every call (server/auth/options.ts), so an ended session reads as signed out.
import { getServerSession } from "next-auth";
import { authOptions, type SessionUserFields } from "./options";

export interface CurrentSession {
  id: string;
  email: string;
  sessionId: string;
  /** Signed in with a password (or OAuth) but not yet with the account's second factor. */
  pendingSecondFactor: boolean;
  /** How it signed in (sso:<workspaceId>: through that workspace's single sign-on). */
  method: string;
}

export async function currentSession(): Promise<CurrentSession | null> {
  const session = await getServerSession(authOptions);
  const user = session?.user as Partial<SessionUserFields> | undefined;
  if (!user?.id || !user.email || !user.sessionId) return null;
  return {
    id: user.id,
    email: user.email,
    sessionId: user.sessionId,
    pendingSecondFactor: user.pendingSecondFactor === true,
    method: user.method ?? "credentials",
  };
}

/** A fully signed-in user (second factor given, when the account has one), or null. */
export async function currentUser(): Promise<CurrentSession | null> {
  const session = await currentSession();
  return session && !session.pendingSecondFactor ? session : null;
}
