import { afterEach, describe, expect, it } from "vitest";
import { clientIp, isHttps, PEER_HEADER } from "@/server/net/client-ip";
import { parseTrustedProxies } from "@/server/net/trusted-proxies";

const request = (peer: string | undefined, extra: Record<string, string> = {}) =>
  new Headers({ ...(peer ? { [PEER_HEADER]: peer } : {}), ...extra });

afterEach(() => {
  delete process.env.BATON_TRUSTED_PROXIES;
});

describe("client IP", () => {
  it("is the socket address when no proxy is trusted, whatever the forwarded headers claim", () => {
    const headers = request("203.0.113.7", { "x-forwarded-for": "1.2.3.4", "x-real-ip": "5.6.7.8" });
    expect(clientIp(headers)).toBe("203.0.113.7");
  });

  it("follows X-Forwarded-For only through trusted proxies, from the nearest hop back", () => {
    process.env.BATON_TRUSTED_PROXIES = "10.0.0.0/8, ::1";
    // The client forged the first entry; the trusted proxy appended the address it saw.
    const forged = request("10.0.0.2", { "x-forwarded-for": "1.2.3.4, 198.51.100.9" });
    expect(clientIp(forged)).toBe("198.51.100.9");
    // Two trusted proxies in a row: the first untrusted address is the client.
    const chain = request("::1", { "x-forwarded-for": "198.51.100.9, 10.1.2.3" });
    expect(clientIp(chain)).toBe("198.51.100.9");
    // A trusted proxy that forwards nothing: X-Real-IP, else the proxy itself.
    expect(clientIp(request("10.0.0.2", { "x-real-ip": "198.51.100.10" }))).toBe("198.51.100.10");
    expect(clientIp(request("10.0.0.2"))).toBe("10.0.0.2");
    // An untrusted peer's headers count for nothing.
    expect(clientIp(request("192.0.2.1", { "x-forwarded-for": "1.2.3.4" }))).toBe("192.0.2.1");
  });

  it("stops at a malformed entry and normalises IPv4-mapped IPv6", () => {
    process.env.BATON_TRUSTED_PROXIES = "10.0.0.0/8";
    expect(clientIp(request("10.0.0.2", { "x-forwarded-for": "<script>, 10.0.0.3" }))).toBe("10.0.0.3");
    expect(clientIp(request("::ffff:203.0.113.7"))).toBe("203.0.113.7");
  });

  it("is unknown without a socket address (a request this process did not receive)", () => {
    expect(clientIp(request(undefined, { "x-forwarded-for": "1.2.3.4" }))).toBe("unknown");
  });

  it("refuses a malformed BATON_TRUSTED_PROXIES, naming the entry", () => {
    expect(() => parseTrustedProxies("10.0.0.0/8, example.com")).toThrow(
      /"example.com" is not an IP address/,
    );
  });

  it("believes X-Forwarded-Proto only from a trusted proxy, else goes by the public URL", () => {
    const headers = request("192.0.2.1", { "x-forwarded-proto": "https" });
    expect(isHttps(headers, "http://baton.example.com/")).toBe(false);
    expect(isHttps(request("192.0.2.1"), "https://baton.example.com/")).toBe(true);
    process.env.BATON_TRUSTED_PROXIES = "192.0.2.0/24";
    expect(isHttps(headers, "http://baton.example.com/")).toBe(true);
    expect(isHttps(request("192.0.2.1", { "x-forwarded-proto": "http" }), "https://b.example/")).toBe(false);
  });
});
