/**
 * Which destinations outbound HTTP from user tasks may reach: ordinary public unicast addresses only.
 * Everything else (loopback, private, link-local, CGNAT, multicast, reserved, cloud metadata, and
 * IPv6 forms that embed such IPv4 addresses) is refused, except what an installation's allow-list
 * exempts. Pure functions; DNS and sockets live in guarded-fetch.ts.
 *
 * Range classification is ipaddr.js's; this module only decides which ranges are acceptable.
 */
import ipaddr from "ipaddr.js";

export type IPAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** What can be said about a URL host before resolving it. */
export type HostVerdict =
  | { verdict: "refused"; reason: string }
  | { verdict: "public"; address: IPAddress }
  /** A name: the addresses it resolves to decide. */
  | { verdict: "resolve"; hostname: string };

/**
 * Hosts exempt from the policy (env `BATON_HTTP_ALLOW`, or tests). Entries are CIDRs, addresses or
 * host names, each optionally with a port: `10.0.0.0/8`, `127.0.0.1:8080`, `[::1]:8080`, `localhost`.
 */
export type AllowList = readonly AllowEntry[];

type AllowEntry = { port?: number } & ({ range: [IPAddress, number] } | { hostname: string });

// Instance metadata endpoints hand out cloud credentials. They are refused even when an allow-list
// range covers them, because a broad entry such as 169.254.0.0/16 is too easy to write.
const CLOUD_METADATA_ADDRESSES = new Set(
  [
    "169.254.169.254", // AWS, GCP, Azure, OpenStack, DigitalOcean and most others
    "169.254.170.2", // AWS ECS task credentials
    "fd00:ec2::254", // AWS IMDS over IPv6
    "100.100.100.200", // Alibaba Cloud
    "192.0.0.192", // Oracle Cloud (legacy)
  ].map((address) => ipaddr.parse(address).toNormalizedString()),
);

// Names that reach metadata services without DNS, e.g. through /etc/hosts or the cloud's resolver.
const CLOUD_METADATA_HOSTNAMES = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
]);

// ipaddr.js names ranges; these read better in an error message.
const RANGE_DESCRIPTIONS: Record<string, string> = {
  unspecified: "unspecified address",
  broadcast: "broadcast address",
  multicast: "multicast address",
  linkLocal: "link-local address",
  loopback: "loopback address",
  carrierGradeNat: "carrier-grade NAT address",
  private: "private address",
  uniqueLocal: "private address",
  reserved: "reserved address",
  benchmarking: "benchmarking address",
  teredo: "Teredo tunnel address",
  rfc6052: "local-use NAT64 address",
  deprecatedSiteLocal: "site-local address",
  discard: "discard-only address",
};

// IPv6 forms that carry an IPv4 address, which then decides.
const EMBEDDINGS: Record<string, { bytes: [number, number]; description: string }> = {
  ipv4Mapped: { bytes: [12, 16], description: "an IPv4-mapped IPv6 address" },
  rfc6145: { bytes: [12, 16], description: "an IPv4-translated IPv6 address" },
  nat64: { bytes: [12, 16], description: "a NAT64 address" },
  "6to4": { bytes: [2, 6], description: "a 6to4 address" },
};

const GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");
const NAT64_WELL_KNOWN = ipaddr.parseCIDR("64:ff9b::/96");

/**
 * Classifies a host as written in a URL, including numeric spellings (`2130706433`, `0x7f.1`,
 * `127.1`) and bracketed IPv6, without DNS.
 */
export function classifyHost(host: string): HostVerdict {
  const hostname = canonicalHostname(host);
  if (hostname === null) return { verdict: "refused", reason: "not a valid host name or address" };
  const address = parseHostAddress(hostname);
  const reason = address ? addressRefusal(address) : hostnameRefusal(hostname);
  if (reason) return { verdict: "refused", reason };
  return address ? { verdict: "public", address } : { verdict: "resolve", hostname };
}

/**
 * The address a canonical URL hostname (as `URL#hostname` gives it) denotes, or null for a name.
 * The URL parser has already turned every numeric spelling into a dotted quad or bracketed IPv6.
 */
export function parseHostAddress(hostname: string): IPAddress | null {
  if (hostname.startsWith("[") && hostname.endsWith("]")) return ipaddr.IPv6.parse(hostname.slice(1, -1));
  if (ipaddr.IPv4.isValidFourPartDecimal(hostname)) return ipaddr.IPv4.parse(hostname);
  return null;
}

/** Why a host name is refused before it is even resolved, or null. */
export function hostnameRefusal(hostname: string): string | null {
  return CLOUD_METADATA_HOSTNAMES.has(bareName(hostname)) ? "cloud metadata host" : null;
}

/** Why an address must not be contacted (e.g. "private address"), or null for public unicast. */
export function addressRefusal(address: IPAddress): string | null {
  if (isCloudMetadata(address)) return "cloud metadata address";
  if (address instanceof ipaddr.IPv4) {
    const range = address.range();
    return range === "unicast" ? null : describe(range);
  }
  const embedding = EMBEDDINGS[embeddingKind(address)];
  if (embedding) {
    const reason = addressRefusal(embeddedIPv4(address)!);
    return reason && `${reason} embedded in ${embedding.description}`;
  }
  const range = address.range();
  if (range !== "unicast") return describe(range);
  // ipaddr.js calls anything unlisted "unicast", including IPv4-compatible ::a.b.c.d and unassigned space.
  return address.match(GLOBAL_UNICAST) ? null : "address outside IPv6 global unicast space";
}

/**
 * The whole decision for one resolved address of a request: cloud metadata is always refused, the
 * allow-list exempts matching names and ranges, and everything else must be public.
 */
export function egressRefusal(
  target: { hostname: string; port: number; address: IPAddress },
  allow: AllowList,
): string | null {
  const address = unmapped(target.address);
  const metadata =
    hostnameRefusal(target.hostname) ?? (isCloudMetadata(address) ? "cloud metadata address" : null);
  if (metadata) return metadata;
  const hostname = bareName(target.hostname);
  const allowed = allow.some(
    (entry) =>
      (entry.port === undefined || entry.port === target.port) &&
      ("hostname" in entry
        ? entry.hostname === hostname
        : entry.range[0].kind() === address.kind() && address.match(entry.range)),
  );
  return allowed ? null : addressRefusal(target.address);
}

/** Parses allow-list entries; throws naming the first entry that is not a CIDR, address or host name. */
export function parseAllowList(entries: readonly string[]): AllowList {
  return entries
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map(parseAllowEntry);
}

function parseAllowEntry(entry: string): AllowEntry {
  const invalid = (why: string) => new Error(`allow-list entry "${entry}": ${why}`);
  // "[v6]:port" and "v4:port" / "name:port" carry a port; a bare IPv6 address has several colons.
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  const [, target = entry, portText] = bracketed ?? withPort ?? [];
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(port >= 1 && port <= 65_535)) throw invalid("port must be 1-65535");

  if (ipaddr.isValidCIDR(target)) return { range: ipaddr.parseCIDR(target), port };
  const hostname = canonicalHostname(target);
  if (hostname === null) throw invalid("not a CIDR, address or host name");
  const address = parseHostAddress(hostname);
  if (!address && bracketed) throw invalid("brackets must hold an IPv6 address or CIDR");
  if (!address) return { hostname: bareName(hostname), port };
  const single = unmapped(address);
  return { range: [single, single instanceof ipaddr.IPv4 ? 32 : 128], port };
}

/** `host` as the URL parser would normalise it (lower case, punycode, numeric IPv4 forms), or null. */
function canonicalHostname(host: string): string | null {
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  try {
    const url = new URL(`http://${bracketed}/`);
    // Anything beyond a bare host (credentials, port, path) means the input was not one.
    if (url.host !== url.hostname || url.username || url.pathname !== "/" || url.search || url.hash)
      return null;
    return url.hostname;
  } catch {
    return null;
  }
}

function bareName(hostname: string): string {
  return hostname.toLowerCase().replace(/\.+$/, "");
}

function isCloudMetadata(address: IPAddress): boolean {
  const v4 = address instanceof ipaddr.IPv6 ? embeddedIPv4(address) : null;
  return CLOUD_METADATA_ADDRESSES.has((v4 ?? address).toNormalizedString());
}

function unmapped(address: IPAddress): IPAddress {
  return address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

/** The IPv4 address an IPv6 address stands for (mapped, translated, NAT64, 6to4), or null. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const embedding = EMBEDDINGS[embeddingKind(address)];
  return embedding ? new ipaddr.IPv4(address.toByteArray().slice(...embedding.bytes)) : null;
}

function embeddingKind(address: ipaddr.IPv6): string {
  // Only the well-known NAT64 prefix has a fixed layout; 64:ff9b:1::/48 is for local use.
  return address.match(NAT64_WELL_KNOWN) ? "nat64" : address.range();
}

function describe(range: string): string {
  return RANGE_DESCRIPTIONS[range] ?? `special-purpose address (${range})`;
}
