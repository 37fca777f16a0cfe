// Where a workspace's identity provider sends the browser back: the answer is checked and traded
// for a single-use ticket, which the sign-in page turns into a session (next-auth provider "sso").
import { env } from "@/server/config";
import { clientIp } from "@/server/net/client-ip";
import { observed } from "@/server/observability/http";
import { cookie, SSO_STATE_COOKIE, ssoProblem } from "@/server/sso/http";
import { finishSso } from "@/server/sso/sign-in";

type Params = { params: Promise<{ slug: string }> };

export const GET = observed("/api/sso/[slug]/callback", async (request: Request, { params }: Params) => {
  const { slug } = await params;
  const baseUrl = env.NEXTAUTH_URL ?? new URL(request.url).origin;
  try {
    const { ticket } = await finishSso({
      slug,
      baseUrl,
      callbackUrl: request.url,
      cookieState: cookie(request, SSO_STATE_COOKIE),
      ip: clientIp(request.headers),
    });
    const target = new URL("/sign-in/sso", baseUrl);
    target.searchParams.set("ticket", ticket);
    target.searchParams.set("workspace", slug);
    return new Response(null, {
      status: 302,
      headers: {
        location: target.toString(),
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
        "set-cookie": `${SSO_STATE_COOKIE}=; Path=/api/sso/${slug}; HttpOnly; SameSite=Lax; Max-Age=0`,
      },
    });
  } catch (error) {
    return ssoProblem(error);
  }
});
