// The signed-in user for server components and route handlers.
import { getServerSession } from "next-auth";
import { authOptions } from "./options";

export async function currentUser(): Promise<{ id: string; email: string } | null> {
  const session = await getServerSession(authOptions);
  const user = session?.user as { id?: string; email?: string | null } | undefined;
  return user?.id && user.email ? { id: user.id, email: user.email } : null;
}
