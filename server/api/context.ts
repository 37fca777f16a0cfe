// Who is calling: a bearer token (REST and automation: a workspace's API token or a platform
// token) or the next-auth session (the web app).

import { currentSession } from "@/server/auth/session";
import { env } from "@/server/config";
import { clientIp } from "@/server/net/client-ip";
import { authenticatePlatformToken, PLATFORM_TOKEN_PREFIX } from "@/server/platform/tokens";
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
    const token = authorization.slice(7).trim();
    // A platform token is no workspace's caller: only the console's procedures accept it.
    if (token.startsWith(PLATFORM_TOKEN_PREFIX)) {
      return { caller: null, platformToken: await authenticatePlatformToken(token, ip), ip, baseUrl };
    }
    return { caller: await authenticateToken(token, ip), ip, baseUrl };
  }
  const session = allowSession ? await currentSession() : null;
  if (session?.pendingSecondFactor) {
    // Signed in with a password only: nothing but the second-factor step until it is given.
    return {
      caller: null,
      pendingSession: { userId: session.id, sessionId: session.sessionId, email: session.email },
      ip,
      baseUrl,
    };
  }
  const caller = session
    ? {
        kind: "user" as const,
        userId: session.id,
        email: session.email,
        sessionId: session.sessionId,
        sessionMethod: session.method,
        ip,
      }
    : null;
  return { caller, ip, baseUrl };
}
