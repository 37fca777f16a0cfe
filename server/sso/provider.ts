// A workspace's OpenID Connect provider as an openid-client Client. The issuer URL is the tenant's
// input, so every request openid-client makes goes through the egress policy (address-policy.ts,
// allow-list BATON_HTTP_ALLOW): a workspace cannot point discovery at the installation's network.
import dns from "node:dns";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { type BaseClient, custom, Issuer } from "openid-client";
import { env } from "@/server/config";
import { AppError } from "@/server/errors";
import { egressRefusal, parseAllowList, parseHostAddress } from "@/server/net/address-policy";

/** Resolves like dns.lookup, refusing addresses the egress policy forbids. */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, "", 0);
    const allow = parseAllowList((env.BATON_HTTP_ALLOW ?? "").split(","));
    for (const { address } of addresses) {
      const refusal = egressRefusal({ hostname, port: 0, address: ipaddr.parse(address) }, allow);
      if (refusal) {
        return callback(
          Object.assign(new Error(`${hostname}: ${refusal}`), { code: "EGRESS_BLOCKED" }),
          "",
          0,
        );
      }
    }
    const first = addresses[0];
    if (!first)
      return callback(Object.assign(new Error(`${hostname}: no address`), { code: "ENOTFOUND" }), "", 0);
    if ((options as { all?: boolean }).all)
      return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
    return callback(null, first.address, first.family);
  });
};

/**
 * openid-client's per-request hook: an address written as an IP literal is never looked up, so it
 * is checked here; names are checked by the lookup, after resolution.
 */
const guarded = (url: URL, options: object) => {
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const literal = parseHostAddress(hostname);
  if (literal) {
    const allow = parseAllowList((env.BATON_HTTP_ALLOW ?? "").split(","));
    const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
    const refusal = egressRefusal({ hostname, port, address: literal }, allow);
    if (refusal) throw new Error(`${url.host}: ${refusal}`);
  }
  return { ...options, timeout: 10_000, lookup: guardedLookup };
};
Issuer[custom.http_options] = guarded;

export interface ProviderSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** Discovers the issuer and builds its client; a provider that cannot be reached is the settings' fault. */
export async function providerClient(settings: ProviderSettings, redirectUri: string): Promise<BaseClient> {
  let issuer: Issuer<BaseClient>;
  try {
    issuer = await Issuer.discover(settings.issuer);
  } catch (error) {
    throw new AppError("BAD_REQUEST", `The identity provider at ${settings.issuer} could not be used`, [
      { path: "issuer", message: `Discovery failed: ${(error as Error).message}` },
    ]);
  }
  issuer[custom.http_options] = guarded;
  const client = new issuer.Client({
    client_id: settings.clientId,
    client_secret: settings.clientSecret,
    redirect_uris: [redirectUri],
    response_types: ["code"],
  });
  client[custom.http_options] = guarded;
  return client;
}

/** Where the provider sends people back: one address per workspace. */
export const redirectUriFor = (baseUrl: string, slug: string) =>
  `${baseUrl.replace(/\/$/, "")}/api/sso/${slug}/callback`;
