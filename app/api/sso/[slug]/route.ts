// Starts a workspace's single sign-on: the browser goes to the workspace's identity provider,
// holding the state in a cookie so that only this browser can finish (server/sso/sign-in.ts).
// Signed in already, the sign-in links the account to the provider.
import { currentUser } from "@/server/auth/session";
import { env } from "@/server/config";
import { observed } from "@/server/observability/http";
import { SSO_STATE_COOKIE, ssoProblem } from "@/server/sso/http";
import { startSso } from "@/server/sso/sign-in";

type Params = { params: Promise<{ slug: string }> };

export const GET = observed("/api/sso/[slug]", async (request: Request, { params }: Params) => {
  const { slug } = await params;
  const baseUrl = env.NEXTAUTH_URL ?? new URL(request.url).origin;
  try {
    const signedIn = await currentUser();
    const { url, state } = await startSso({ slug, baseUrl, linkUserId: signedIn?.id ?? null });
    const secure = baseUrl.startsWith("https:") ? "; Secure" : "";
    return new Response(null, {
      status: 302,
      headers: {
        location: url,
        "cache-control": "no-store",
        "set-cookie": `${SSO_STATE_COOKIE}=${state}; Path=/api/sso/${slug}; HttpOnly; SameSite=Lax; Max-Age=600${secure}`,
      },
    });
  } catch (error) {
    return ssoProblem(error);
  }
});
