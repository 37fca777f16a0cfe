// For server components: the signed-in user, or a redirect to sign-in that comes back to `returnTo`.
import { redirect } from "next/navigation";
import { currentUser } from "@/server/auth/session";
import { withCallback } from "./callback-url";

export async function requireUser(returnTo: string) {
  const user = await currentUser();
  if (!user) redirect(withCallback("/sign-in", returnTo));
  return user;
}
