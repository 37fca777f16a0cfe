// For server components: the signed-in user, or a redirect to sign-in (or to its second step, for
// a session that still owes its second factor) that comes back to `returnTo`.
import { redirect } from "next/navigation";
import { currentSession } from "@/server/auth/session";
import { withCallback } from "./callback-url";

export async function requireUser(returnTo: string) {
  const session = await currentSession();
  if (!session) redirect(withCallback("/sign-in", returnTo));
  if (session.pendingSecondFactor) redirect(withCallback("/sign-in/second-factor", returnTo));
  return session;
}
