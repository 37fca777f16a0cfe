/**
 * Who is at the other end of a request: the one answer sign-in limiting, audit entries, session
 * lists and webhook rate limits all use.
 *
 * Next.js gives route handlers no socket address, and the X-Forwarded-For it passes on is the
 * client's own header when the client sent one (it fills the header from the socket only when it
 * is missing), so anyone could claim any address. The web process therefore records each
 * request's socket address itself, in a header it overwrites on every request
 * (`recordPeerAddresses`, installed by instrumentation.ts). Forwarded headers count only when
 * that socket address is one of the installation's trusted proxies (`BATON_TRUSTED_PROXIES`,
 * CIDRs); the client is then the rightmost X-Forwarded-For entry that is not itself a trusted
 * proxy. Otherwise the socket address is the client.
 */
import http from "node:http";
import https from "node:https";
import ipaddr from "ipaddr.js";
import { env } from "@/server/config";
import { isTrusted, type TrustedProxies } from "./trusted-proxies";

/** Set by this process on every request it receives; a value sent by a client is replaced. */
export const PEER_HEADER = "x-baton-peer-address";

type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined;

const trustedRanges = (): TrustedProxies => env.BATON_TRUSTED_PROXIES;

/** The address in canonical form (IPv4-mapped IPv6 as plain IPv4), or undefined when it is none. */
function normalize(text: string | undefined): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const value = text?.trim();
  if (!value || !ipaddr.isValid(value)) return undefined;
  return ipaddr.process(value);
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** The client's address for a request's headers, or "unknown" when the socket address is missing. */
export function clientIp(headers: HeaderSource): string {
  const peer = normalize(header(headers, PEER_HEADER));
  if (!peer) return "unknown";
  const ranges = trustedRanges();
  if (!isTrusted(peer, ranges)) return peer.toString();
  const forwarded = header(headers, "x-forwarded-for");
  if (!forwarded) return (normalize(header(headers, "x-real-ip")) ?? peer).toString();
  // Each trusted proxy appended the address it was reached from: walk back from the nearest.
  let client = peer;
  for (const hop of forwarded.split(",").reverse()) {
    const address = normalize(hop);
    if (!address) break; // a malformed entry: trust nothing further along
    client = address;
    if (!isTrusted(address, ranges)) break;
  }
  return client.toString();
}

/**
 * Whether the request reached the installation over HTTPS: a trusted proxy's word, else whether
 * the public URL (NEXTAUTH_URL) is https. The web server itself speaks plain HTTP, and the URL
 * Next.js hands over takes its scheme from a client's X-Forwarded-Proto, so neither can tell.
 */
export function isHttps(headers: HeaderSource, publicUrl = env.NEXTAUTH_URL ?? ""): boolean {
  const peer = normalize(header(headers, PEER_HEADER));
  const proto = header(headers, "x-forwarded-proto")?.split(",")[0]?.trim();
  if (peer && proto && isTrusted(peer, trustedRanges())) return proto === "https";
  return publicUrl.startsWith("https:");
}

let installed = false;
/**
 * Makes this process's HTTP servers stamp each request with its socket address (PEER_HEADER)
 * before any framework code sees it. Called once at start by instrumentation.ts.
 */
export function recordPeerAddresses(): void {
  if (installed) return;
  installed = true;
  for (const Server of [http.Server, https.Server]) {
    const emit = Server.prototype.emit;
    Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
      if (event === "request") {
        const request = args[0] as http.IncomingMessage;
        request.headers[PEER_HEADER] = request.socket?.remoteAddress ?? "";
      }
      return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
    } as typeof emit;
  }
}
