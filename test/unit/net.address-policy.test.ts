import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { addressRefusal, classifyHost, egressRefusal, parseAllowList } from "@/server/net/address-policy";

describe("classifyHost refuses internal targets", () => {
  it.each([
    // RFC 1918 and friends
    ["10.0.0.1", "private address"],
    ["172.16.0.1", "private address"],
    ["172.31.255.255", "private address"],
    ["192.168.1.1", "private address"],
    ["100.64.0.1", "carrier-grade NAT address"],
    // loopback, including every numeric spelling the URL standard accepts
    ["127.0.0.1", "loopback address"],
    ["127.255.255.254", "loopback address"],
    ["127.1", "loopback address"],
    ["127.0.0.1.", "loopback address"],
    ["0x7f000001", "loopback address"],
    ["2130706433", "loopback address"],
    ["017700000001", "loopback address"],
    ["0x7f.1", "loopback address"],
    ["0177.0.0.1", "loopback address"],
    ["１２７.0.0.1", "loopback address"],
    ["[::1]", "loopback address"],
    ["::1", "loopback address"],
    // unspecified, multicast, broadcast
    ["0.0.0.0", "unspecified address"],
    ["0", "unspecified address"],
    ["[::]", "unspecified address"],
    ["224.0.0.1", "multicast address"],
    ["239.255.255.250", "multicast address"],
    ["[ff02::1]", "multicast address"],
    ["255.255.255.255", "broadcast address"],
    // link-local and IPv6 private
    ["169.254.0.1", "link-local address"],
    ["[fe80::1]", "link-local address"],
    ["[fc00::1]", "private address"],
    ["[fd12:3456::1]", "private address"],
    ["[fec0::1]", "site-local address"],
    // cloud metadata, by address and by name
    ["169.254.169.254", "cloud metadata address"],
    ["169.254.170.2", "cloud metadata address"],
    ["100.100.100.200", "cloud metadata address"],
    ["[fd00:ec2::254]", "cloud metadata address"],
    ["[::ffff:169.254.169.254]", "cloud metadata address"],
    ["metadata.google.internal", "cloud metadata host"],
    ["METADATA.google.internal.", "cloud metadata host"],
    ["metadata", "cloud metadata host"],
    ["instance-data.ec2.internal", "cloud metadata host"],
    // reserved, documentation, benchmarking
    ["192.0.0.1", "reserved address"],
    ["192.0.2.1", "reserved address"],
    ["198.51.100.1", "reserved address"],
    ["203.0.113.1", "reserved address"],
    ["198.18.0.1", "reserved address"],
    ["240.0.0.1", "reserved address"],
    ["[2001:db8::1]", "reserved address"],
    ["[100::1]", "discard-only address"],
    // IPv6 spellings of internal IPv4 addresses
    ["[::ffff:127.0.0.1]", "loopback address embedded in an IPv4-mapped IPv6 address"],
    ["[::ffff:7f00:1]", "loopback address embedded in an IPv4-mapped IPv6 address"],
    ["[::ffff:10.0.0.1]", "private address embedded in an IPv4-mapped IPv6 address"],
    ["[::ffff:0:7f00:1]", "loopback address embedded in an IPv4-translated IPv6 address"],
    ["[64:ff9b::7f00:1]", "loopback address embedded in a NAT64 address"],
    ["[64:ff9b::a00:1]", "private address embedded in a NAT64 address"],
    ["[2002:7f00:1::1]", "loopback address embedded in a 6to4 address"],
    ["[2002:c0a8:101::1]", "private address embedded in a 6to4 address"],
    ["[64:ff9b:1::a00:1]", "local-use NAT64 address"],
    ["[2001::1]", "Teredo tunnel address"],
    ["[::7f00:1]", "address outside IPv6 global unicast space"],
    // not a host at all
    ["999.1.1.1", "not a valid host name or address"],
    ["user@127.0.0.1", "not a valid host name or address"],
    ["127.0.0.1:80", "not a valid host name or address"],
  ])("%s: %s", (host, reason) => {
    expect(classifyHost(host)).toEqual({ verdict: "refused", reason });
  });
});

describe("classifyHost lets public targets through", () => {
  it.each([
    ["93.184.215.14", "93.184.215.14"],
    ["8.8.8.8", "8.8.8.8"],
    ["1.1.1.1", "1.1.1.1"],
    ["0x5db8d70e", "93.184.215.14"],
    ["[2606:4700::1111]", "2606:4700::1111"],
    ["2001:4860:4860::8888", "2001:4860:4860::8888"],
    ["[::ffff:93.184.215.14]", "::ffff:5db8:d70e"],
    ["[64:ff9b::808:808]", "64:ff9b::808:808"],
    ["[2002:808:808::1]", "2002:808:808::1"],
  ])("%s", (host, address) => {
    const verdict = classifyHost(host);
    expect(verdict.verdict).toBe("public");
    expect(verdict.verdict === "public" && verdict.address.toString()).toBe(address);
  });

  it("leaves names to DNS", () => {
    expect(classifyHost("example.com")).toEqual({ verdict: "resolve", hostname: "example.com" });
    expect(classifyHost("Bücher.example")).toEqual({ verdict: "resolve", hostname: "xn--bcher-kva.example" });
    expect(classifyHost("localhost")).toEqual({ verdict: "resolve", hostname: "localhost" });
  });
});

describe("addressRefusal", () => {
  it("judges addresses as a resolver returns them", () => {
    expect(addressRefusal(ipaddr.parse("fe80::1%eth0"))).toBe("link-local address");
    expect(addressRefusal(ipaddr.parse("::ffff:192.168.0.1"))).toBe(
      "private address embedded in an IPv4-mapped IPv6 address",
    );
    expect(addressRefusal(ipaddr.parse("2606:4700::1111"))).toBeNull();
  });
});

describe("egressRefusal", () => {
  const loopback = ipaddr.parse("127.0.0.1");
  const target = { hostname: "127.0.0.1", port: 8080, address: loopback };

  it("refuses internal addresses without an allow-list", () => {
    expect(egressRefusal(target, [])).toBe("loopback address");
    expect(egressRefusal({ ...target, hostname: "localhost" }, [])).toBe("loopback address");
    expect(egressRefusal({ ...target, address: ipaddr.parse("93.184.215.14") }, [])).toBeNull();
  });

  it("exempts allow-listed ranges, addresses and names, honouring ports", () => {
    expect(egressRefusal(target, parseAllowList(["127.0.0.1/32"]))).toBeNull();
    expect(egressRefusal(target, parseAllowList(["127.0.0.0/8"]))).toBeNull();
    expect(egressRefusal(target, parseAllowList(["127.0.0.1"]))).toBeNull();
    expect(egressRefusal(target, parseAllowList(["127.0.0.1:8080"]))).toBeNull();
    expect(egressRefusal(target, parseAllowList(["127.0.0.1:8081"]))).toBe("loopback address");
    expect(egressRefusal(target, parseAllowList(["127.0.0.2/32"]))).toBe("loopback address");
    expect(egressRefusal(target, parseAllowList(["::1/128"]))).toBe("loopback address");

    const byName = { ...target, hostname: "localhost" };
    expect(egressRefusal(byName, parseAllowList(["localhost"]))).toBeNull();
    expect(egressRefusal(byName, parseAllowList(["LOCALHOST.:8080"]))).toBeNull();
    expect(egressRefusal(byName, parseAllowList(["localhost:9"]))).toBe("loopback address");
    expect(egressRefusal(target, parseAllowList(["localhost"]))).toBe("loopback address");
  });

  it("matches IPv6 entries and IPv4-mapped addresses", () => {
    const v6 = { hostname: "[::1]", port: 80, address: ipaddr.parse("::1") };
    expect(egressRefusal(v6, parseAllowList(["[::1]:80"]))).toBeNull();
    expect(egressRefusal(v6, parseAllowList(["::1"]))).toBeNull();
    expect(egressRefusal(v6, parseAllowList(["[::1/128]:81"]))).toBe("loopback address");
    const mapped = { hostname: "[::ffff:7f00:1]", port: 80, address: ipaddr.parse("::ffff:127.0.0.1") };
    expect(egressRefusal(mapped, parseAllowList(["127.0.0.1/32"]))).toBeNull();
  });

  it("never exempts cloud metadata", () => {
    const metadata = { hostname: "169.254.169.254", port: 80, address: ipaddr.parse("169.254.169.254") };
    expect(egressRefusal(metadata, parseAllowList(["169.254.0.0/16", "169.254.169.254"]))).toBe(
      "cloud metadata address",
    );
    const byName = { hostname: "metadata.google.internal", port: 80, address: ipaddr.parse("10.1.2.3") };
    expect(egressRefusal(byName, parseAllowList(["metadata.google.internal", "10.0.0.0/8"]))).toBe(
      "cloud metadata host",
    );
  });
});

describe("parseAllowList", () => {
  it("skips blanks, so an unset or trailing-comma BATON_HTTP_ALLOW is fine", () => {
    expect(parseAllowList([""])).toEqual([]);
    expect(parseAllowList(" 127.0.0.1/32 , localhost,,[::1]:8080,".split(","))).toHaveLength(3);
  });

  it.each([
    ["not a host!", /not a CIDR, address or host name/],
    ["10.0.0.0/33", /not a CIDR, address or host name/],
    ["127.0.0.1:0", /port must be 1-65535/],
    ["localhost:70000", /port must be 1-65535/],
    ["[example.com]:80", /brackets must hold an IPv6 address/],
    ["user@host", /not a CIDR, address or host name/],
  ])("rejects %j", (entry, message) => {
    expect(() => parseAllowList([entry])).toThrow(message);
  });

  it("accepts numeric spellings of an address as that address", () => {
    expect(
      egressRefusal(
        { hostname: "x", port: 80, address: ipaddr.parse("127.0.0.1") },
        parseAllowList(["127.1"]),
      ),
    ).toBeNull();
  });
});
