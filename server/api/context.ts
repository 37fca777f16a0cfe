// Who is calling: a bearer token (REST and automation) or the next-auth session (the web app).

import { currentUser } from "@/server/auth/session";
import { env } from "@/server/config";
import { clientIp } from "@/server/net/client-ip";
import { authenticateToken } from "@/server/tokens/service";
import type { Context } from "./trpc";

export async function contextFromRequest(
  request: Request,
  { allowSession }: { allowSession: boolean },
): Promise<Context> {
  const ip = clientIp(request.headers);
  const baseUrl = env.NEXTAUTH_URL ?? new URL(request.url).origin;
  const authorization = request.headers.get("authorization");
  if (authorization?.toLowerCase().startsWith("bearer ")) {
    return { caller: await authenticateToken(authorization.slice(7).trim(), ip), ip, baseUrl };
  }
  const user = allowSession ? await currentUser() : null;
  return { caller: user ? { kind: "user", userId: user.id, email: user.email, ip } : null, ip, baseUrl };
}
