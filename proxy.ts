// Next.js runs this before every request: it gives each response the security headers
// (server/http/security-headers.ts) and hands the page renderer the nonce its scripts must carry.
import { type NextRequest, NextResponse } from "next/server";
import { REQUEST_PATH_HEADER } from "@/server/http/request-path";
import { securityHeaders } from "@/server/http/security-headers";
import { isHttps } from "@/server/net/client-ip";

export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
  const headers = securityHeaders({
    nonce,
    https: isHttps(request.headers),
    development: process.env.NODE_ENV === "development",
  });
  // Next.js reads the nonce for its own scripts from the request's policy.
  const forwarded = new Headers(request.headers);
  forwarded.set("content-security-policy", headers["Content-Security-Policy"]);
  // The path asked for, for layouts that send a signed-out visitor to sign in and back (layouts
  // are not told their URL). Set here, so a client cannot supply its own.
  forwarded.set(REQUEST_PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  const response = NextResponse.next({ request: { headers: forwarded } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}
