// Real sockets, loopback only: every target outside 127.0.0.1 must be refused before any connection.
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createGuardedFetch,
  EgressBlockedError,
  type GuardedFetchError,
  guardedFetch,
} from "@/server/net/guarded-fetch";

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };

let server: http.Server;
let port: number;
let base: string;
let seen: Seen[] = [];

function route(request: http.IncomingMessage, body: string, response: http.ServerResponse) {
  const url = new URL(request.url!, "http://server");
  const to = url.searchParams.get("to");
  switch (url.pathname) {
    case "/redirect":
      response.writeHead(Number(url.searchParams.get("status") ?? 302), { location: to! }).end();
      return;
    case "/loop":
      response.writeHead(302, { location: `/loop?n=${Number(url.searchParams.get("n") ?? 0) + 1}` }).end();
      return;
    case "/big":
      response.writeHead(200, { "content-length": 4096 }).end("x".repeat(4096));
      return;
    case "/big-chunked":
      // No Content-Length, so the cap has to be enforced while reading.
      for (let i = 0; i < 8; i++) response.write("x".repeat(1024));
      response.end();
      return;
    case "/slow":
      return; // never answers
    default:
      response.writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] });
      response.end(JSON.stringify({ method: request.method, path: url.pathname, body }));
  }
}

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      route(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
});

async function failure(promise: Promise<unknown>): Promise<GuardedFetchError> {
  const error = await promise.then(
    () => expect.unreachable("request should have failed"),
    (error: unknown) => error,
  );
  return error as GuardedFetchError;
}

describe("without an allow-list", () => {
  const fetch = createGuardedFetch();

  it.each([
    ["127.0.0.1", "refused: 127.0.0.1 (loopback address)"],
    ["127.1", "refused: 127.0.0.1 (loopback address)"],
    ["2130706433", "refused: 127.0.0.1 (loopback address)"],
    ["0x7f.1", "refused: 127.0.0.1 (loopback address)"],
    [
      "[::ffff:127.0.0.1]",
      "refused: [::ffff:7f00:1] (loopback address embedded in an IPv4-mapped IPv6 address)",
    ],
  ])("refuses %s before connecting", async (host, message) => {
    const error = await failure(fetch(`http://${host}:${port}/`));
    expect(error).toBeInstanceOf(EgressBlockedError);
    expect(error.message).toBe(message);
    expect(seen).toEqual([]);
  });

  it("refuses a name that resolves to loopback", async () => {
    const error = await failure(fetch(`http://localhost:${port}/`));
    expect(error).toBeInstanceOf(EgressBlockedError);
    expect(error.message).toMatch(/^refused: localhost resolves to (127\.0\.0\.1|::1) \(loopback address\)$/);
    expect(seen).toEqual([]);
  });

  it("refuses when any resolved address is internal, naming it", async () => {
    const resolve = async () => ["93.184.215.14", "10.0.0.5"];
    const error = await failure(createGuardedFetch({ resolve })("http://example.internal/"));
    expect(error.message).toBe("refused: example.internal resolves to 10.0.0.5 (private address)");
    expect((error as EgressBlockedError).host).toBe("example.internal");
    expect((error as EgressBlockedError).reason).toBe("private address");
  });

  it("reports a name that does not resolve", async () => {
    const resolve = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.test"), { code: "ENOTFOUND" });
    };
    const error = await failure(createGuardedFetch({ resolve })("http://nowhere.test/"));
    expect(error.code).toBe("unresolvable");
    expect(error.message).toBe("could not resolve nowhere.test");
  });

  it("refuses schemes other than http and https", async () => {
    for (const url of ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1:70/"]) {
      expect(await failure(fetch(url))).toBeInstanceOf(EgressBlockedError);
    }
  });

  it("reads BATON_HTTP_ALLOW for the default client (unset here)", async () => {
    expect(process.env.BATON_HTTP_ALLOW).toBeUndefined();
    expect(await failure(guardedFetch(`${base}/`))).toBeInstanceOf(EgressBlockedError);
  });
});

describe("with 127.0.0.1 allow-listed", () => {
  const fetch = createGuardedFetch({ allow: ["127.0.0.1/32"] });

  it("makes the request and returns a buffered response", async () => {
    const response = await fetch(`${base}/hello?x=1`, { method: "post", body: "ping" });
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.statusText).toBe("OK");
    expect(response.url).toBe(`${base}/hello?x=1`);
    expect(response.redirected).toBe(false);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await response.json()).toEqual({ method: "POST", path: "/hello", body: "ping" });
    expect(JSON.parse(await response.text())).toMatchObject({ body: "ping" });
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    expect(seen[0]!.headers["content-length"]).toBe("4");
  });

  it("honours a port in the allow-list entry", async () => {
    await expect(createGuardedFetch({ allow: [`127.0.0.1:${port}`] })(`${base}/`)).resolves.toMatchObject({
      status: 200,
    });
    const otherPort = await failure(
      createGuardedFetch({ allow: [`127.0.0.1:${port}`] })("http://127.0.0.1:9/"),
    );
    expect(otherPort).toBeInstanceOf(EgressBlockedError);
  });

  it.each([
    ["http://127.0.0.2:1/", "refused: 127.0.0.2 (loopback address) on redirect from 127.0.0.1"],
    ["http://[::1]/", "refused: [::1] (loopback address) on redirect from 127.0.0.1"],
    [
      "http://169.254.169.254/latest/meta-data/",
      "refused: 169.254.169.254 (cloud metadata address) on redirect",
    ],
    [
      "http://metadata.google.internal/",
      "refused: metadata.google.internal (cloud metadata host) on redirect",
    ],
    ["file:///etc/passwd", "refused: file: URL (only http: and https: URLs) on redirect"],
  ])("refuses a redirect to %s", async (target, message) => {
    const redirect = `${base}/redirect?to=${encodeURIComponent(target)}`;
    const error = await failure(createGuardedFetch({ allow: [`127.0.0.1:${port}`] })(redirect));
    expect(error).toBeInstanceOf(EgressBlockedError);
    expect(error.message.startsWith(message)).toBe(true);
    expect(seen.map((request) => request.url)).toEqual([`/redirect?to=${encodeURIComponent(target)}`]);
  });

  it("follows allowed redirects", async () => {
    const response = await fetch(`${base}/redirect?to=/landing`);
    expect(response.redirected).toBe(true);
    expect(response.url).toBe(`${base}/landing`);
    expect(await response.json()).toMatchObject({ method: "GET", path: "/landing" });
  });

  it("turns POST into a body-less GET on 301/302/303 and keeps it on 307/308", async () => {
    const init = { method: "POST", body: "payload", headers: { "content-type": "text/plain" } };
    for (const status of [301, 302, 303]) {
      seen = [];
      const response = await fetch(`${base}/redirect?status=${status}&to=/next`, init);
      expect(await response.json()).toEqual({ method: "GET", path: "/next", body: "" });
      expect(seen[1]!.headers["content-type"]).toBeUndefined();
    }
    for (const status of [307, 308]) {
      const response = await fetch(`${base}/redirect?status=${status}&to=/next`, init);
      expect(await response.json()).toEqual({ method: "POST", path: "/next", body: "payload" });
    }
  });

  it("keeps credentials on same-origin redirects and strips them cross-origin", async () => {
    const headers = { authorization: "Bearer secret", cookie: "session=1", "x-trace": "t" };
    await fetch(`${base}/redirect?to=/same`, { headers });
    expect(seen[1]!.headers).toMatchObject({ authorization: "Bearer secret", cookie: "session=1" });

    // Another origin that reaches the same server: a name the injected resolver maps to loopback.
    seen = [];
    const resolve = async () => ["127.0.0.1"];
    const crossing = createGuardedFetch({ allow: ["127.0.0.1/32"], resolve });
    const other = `http://other.test:${port}/cross`;
    await crossing(`${base}/redirect?to=${encodeURIComponent(other)}`, { headers });
    expect(seen[1]!.headers.authorization).toBeUndefined();
    expect(seen[1]!.headers.cookie).toBeUndefined();
    expect(seen[1]!.headers["x-trace"]).toBe("t");
  });

  it("connects to the checked address and keeps the name in the Host header", async () => {
    const lookups: string[] = [];
    const resolve = async (hostname: string) => {
      lookups.push(hostname);
      return ["127.0.0.1"];
    };
    const response = await createGuardedFetch({ allow: ["127.0.0.1/32"], resolve })(
      `http://pinned.test:${port}/`,
    );
    expect(response.status).toBe(200);
    expect(lookups).toEqual(["pinned.test"]);
    expect(seen[0]!.headers.host).toBe(`pinned.test:${port}`);
  });

  it("keeps the host name for TLS while connecting to the checked address", async () => {
    // A plain TCP listener is enough to see the ClientHello, which carries the SNI name in clear.
    let hello: Buffer = Buffer.alloc(0);
    const probe = net.createServer((socket) =>
      socket.once("data", (chunk: Buffer) => {
        hello = chunk;
        socket.destroy();
      }),
    );
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const tlsPort = (probe.address() as AddressInfo).port;
    try {
      const resolve = async () => ["127.0.0.1"];
      const fetch = createGuardedFetch({ allow: ["127.0.0.1/32"], resolve });
      await failure(fetch(`https://tls.pinned.test:${tlsPort}/`));
      expect(hello.includes("tls.pinned.test")).toBe(true);
    } finally {
      await new Promise((resolve) => probe.close(resolve));
    }
  });

  it("refuses cloud metadata names even when they resolve to an allowed address", async () => {
    const resolve = async () => ["127.0.0.1"];
    const error = await failure(
      createGuardedFetch({ allow: ["127.0.0.1/32"], resolve })(`http://metadata:${port}/`),
    );
    expect(error.message).toBe("refused: metadata (cloud metadata host)");
    expect(seen).toEqual([]);
  });

  it("caps the response body, declared or streamed", async () => {
    for (const path of ["/big", "/big-chunked"]) {
      const error = await failure(fetch(`${base}${path}`, { maxResponseBytes: 1000 }));
      expect(error.code).toBe("response_too_large");
      expect(error.message).toBe(`response from 127.0.0.1:${port} exceeds 1000 bytes`);
    }
    const capped = createGuardedFetch({ allow: ["127.0.0.1/32"], maxResponseBytes: 1000 });
    expect((await failure(capped(`${base}/big`))).code).toBe("response_too_large");
    expect((await (await fetch(`${base}/big-chunked`, { maxResponseBytes: 8192 })).text()).length).toBe(8192);
  });

  it("times out with a clear error", async () => {
    const error = await failure(fetch(`${base}/slow`, { timeoutMs: 200 }));
    expect(error.code).toBe("timeout");
    expect(error.message).toBe(`request to 127.0.0.1:${port} timed out after 200 ms`);
  });

  it("passes a caller's abort through as an abort, not a timeout", async () => {
    const error = await failure(fetch(`${base}/slow`, { signal: AbortSignal.abort() }));
    expect((error as Error).name).toBe("AbortError");
  });

  it("stops after the redirect limit", async () => {
    const error = await failure(
      createGuardedFetch({ allow: ["127.0.0.1/32"], maxRedirects: 3 })(`${base}/loop`),
    );
    expect(error.code).toBe("too_many_redirects");
    expect(error.message).toBe(`more than 3 redirects from 127.0.0.1:${port}`);
    expect(seen).toHaveLength(4);
  });

  it("returns the redirect itself when asked to", async () => {
    const response = await fetch(`${base}/redirect?to=http://169.254.169.254/`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("http://169.254.169.254/");
    expect(response.redirected).toBe(false);
  });
});

describe("createGuardedFetch", () => {
  it("rejects a malformed allow-list at once", () => {
    expect(() => createGuardedFetch({ allow: ["10.0.0.0/99"] })).toThrow(/allow-list entry "10.0.0.0\/99"/);
  });
});
