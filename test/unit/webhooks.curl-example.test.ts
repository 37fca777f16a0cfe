// The curl example of the Webhooks page, run as a person would paste it (bash, curl, openssl)
// against a local server that checks it with the webhook verifier itself, for each auth mode.
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curlExample, sampleDelivery, shellQuote } from "@/app/w/[workspace]/webhooks/curl-example";
import type { ParamSpec } from "@/server/dags/definition";
import { type AuthMode, authModes, verifyDelivery } from "@/server/webhooks/signature";

const run = promisify(execFile);
// Base64 after whsec_ (what a Standard Webhooks key is), and a quote to test the shell quoting.
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const QUOTED_SECRET = "it's-a-secret";

let server: Server;
let url: string;
/** What the server saw last. */
let received: { mode: AuthMode; headers: Record<string, string>; body: Buffer } | undefined;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const mode = new URL(request.url ?? "/", "http://x").pathname.slice(1) as AuthMode;
      // Twilio signs the URL it called: this server's, with the query.
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
      );
      const body = Buffer.concat(chunks);
      received = { mode, headers, body };
      const verdict = verifyDelivery(
        mode,
        [SECRET, QUOTED_SECRET],
        { headers, body, url: `${url}${request.url}` },
        optionsOf(mode),
      );
      response.statusCode = verdict.ok ? 202 : 401;
      response.end(JSON.stringify(verdict));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => server?.close());

const params: Record<string, ParamSpec> = {
  ref: { type: "string", required: false, default: "main" },
  pr: { type: "integer", required: true },
  event: { type: "string", required: false, enum: ["push", "ping"] },
};
const mapping = { ref: "/ref", pr: "/pull_request/number", event: "header:X-Event" };

const genericOptions = { header: "X-Signature", algorithm: "sha512", encoding: "base64", prefix: "sha512=" };
const optionsOf = (mode: AuthMode) => (mode === "generic_hmac" ? genericOptions : {});

describe("the curl example", () => {
  for (const mode of authModes) {
    it(`authenticates as ${mode} expects`, async () => {
      const secret = mode === "standard" ? SECRET : QUOTED_SECRET;
      const text = curlExample({
        url: `${url}/${mode}`,
        authMode: mode,
        authOptions: optionsOf(mode),
        secret,
        mapping,
        params,
      });
      const { stdout } = await run("bash", ["-c", text]);
      expect(JSON.parse(stdout)).toEqual({ ok: true });
      expect(JSON.parse(received!.body.toString())).toEqual({ ref: "main", pull_request: { number: 1 } });
      expect(received!.headers["x-event"]).toBe("push");
    });
  }

  it("reads the secret from WEBHOOK_SECRET when it is not on screen, and says so when unset", async () => {
    const text = curlExample({ url: `${url}/hmac`, authMode: "hmac", mapping: {}, params: {} });
    expect(text).not.toContain(SECRET);
    const { stdout } = await run("bash", ["-c", text], { env: { ...process.env, WEBHOOK_SECRET: SECRET } });
    expect(JSON.parse(stdout)).toEqual({ ok: true });
    const { WEBHOOK_SECRET: _, ...without } = process.env;
    await expect(run("bash", ["-c", text], { env: without })).rejects.toThrow(/set WEBHOOK_SECRET/);
  });

  it("is refused with a wrong secret", async () => {
    const text = curlExample({ url: `${url}/hmac`, authMode: "hmac", secret: "wrong", mapping, params });
    expect(JSON.parse((await run("bash", ["-c", text])).stdout).ok).toBe(false);
  });
});

describe("sample deliveries", () => {
  it("put the whole body when a param maps it, and unescape pointer keys", () => {
    expect(
      sampleDelivery({ payload: "" }, { payload: { type: "object", required: false, default: { a: 1 } } })
        .body,
    ).toBe('{"a":1}');
    expect(sampleDelivery({ x: "/a~1b/c~0d" }, {}).body).toBe('{"a/b":{"c~d":"example"}}');
    expect(sampleDelivery({}, {}).body).toBe('{"event":"test"}');
  });

  it("quote for the shell", async () => {
    const { stdout } = await run("bash", ["-c", `printf '%s' ${shellQuote(`it's "$HOME" \\n`)}`]);
    expect(stdout).toBe(`it's "$HOME" \\n`);
  });
});
