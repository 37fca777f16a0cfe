// next-auth's routes, with sign-in limiting in front of the password check: while this address
// must wait before trying this account again, the credentials callback answers 429 with
// Retry-After (and the message next-auth's client shows) instead of checking the password.
import NextAuth from "next-auth";
import { signInWait, tooManySignIns } from "@/server/auth/brute-force";
import { authOptions } from "@/server/auth/options";
import { env } from "@/server/config";
import { clientIp } from "@/server/net/client-ip";
import { observed } from "@/server/observability/http";

const handler = NextAuth(authOptions);
type Context = { params: Promise<{ nextauth: string[] }> };

async function POST(request: Request, context: Context) {
  const { nextauth } = await context.params;
  if (nextauth.join("/") === "callback/credentials") {
    const form = await request
      .clone()
      .formData()
      .catch(() => null);
    const email = form?.get("email");
    if (typeof email === "string" && email.trim()) {
      const seconds = await signInWait(email, clientIp(request.headers));
      if (seconds > 0) {
        const error = tooManySignIns(seconds);
        const base = env.NEXTAUTH_URL ?? new URL(request.url).origin;
        // next-auth's client reads the message from the error URL it is answered with.
        const url = `${base}/sign-in?error=${encodeURIComponent(error.message)}`;
        return Response.json({ url }, { status: 429, headers: { "Retry-After": String(seconds) } });
      }
    }
  }
  return handler(request, context);
}

const ROUTE = "/api/auth/[...nextauth]";
const observedGet = observed(ROUTE, handler);
const observedPost = observed(ROUTE, POST);

export { observedGet as GET, observedPost as POST };
