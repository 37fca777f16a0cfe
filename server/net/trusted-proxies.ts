// `BATON_TRUSTED_PROXIES`: the reverse proxies whose forwarded headers count (server/net/client-ip.ts).
// Pure parsing, so server/config.ts can check the value at start.
import ipaddr from "ipaddr.js";

export type TrustedProxies = [ipaddr.IPv4 | ipaddr.IPv6, number][];

/** Parses comma-separated CIDRs or single addresses (`10.0.0.0/8, ::1`); throws naming a bad entry. */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  return (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      try {
        if (entry.includes("/")) return ipaddr.parseCIDR(entry);
        const address = ipaddr.parse(entry);
        return [address, address.kind() === "ipv4" ? 32 : 128];
      } catch {
        throw new Error(
          `"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, 127.0.0.1, ::1/128)`,
        );
      }
    });
}

export function isTrusted(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: TrustedProxies): boolean {
  return ranges.some(([range, bits]) => address.kind() === range.kind() && address.match(range, bits));
}
