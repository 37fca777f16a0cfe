// The http operator and http_sensor through real runs, against a local server on 127.0.0.1 (which
// this file allows, as a self-hoster would allow an internal service), plus fetch in code tasks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "@/server/config/connections";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, statesOf, stopTestWorker, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { sendJson, startTestServer, type TestServer } from "../support/http-server";
import { instance, logOf, runDag } from "../support/operators";

// Read by the guarded client on first use, which comes after this.
process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let scope: WorkspaceScope;
let server: TestServer;
let readyAfter = 3;

beforeAll(async () => {
  server = await startTestServer({
    "/v1/json": (req, res) =>
      sendJson(res, 200, { hello: "world", q: req.query.get("q"), auth: req.headers.authorization ?? null }),
    "/v1/reflect": (req, res) => sendJson(res, 401, { youSent: req.headers.authorization }),
    "/echo": (req, res) =>
      sendJson(res, 200, { method: req.method, type: req.headers["content-type"], body: req.body }),
    "/status/404": (_req, res) => sendJson(res, 404, { error: "nope" }),
    "/status/503": (_req, res) => sendJson(res, 503, { error: "busy" }),
    "/big": (_req, res) => res.end("x".repeat(4000)),
    "/text": (_req, res) => res.end("plain words"),
    "/redirect-private": (_req, res) => {
      res.writeHead(302, { location: "http://10.0.0.1/admin" });
      res.end();
    },
    "/redirect-loopback": (_req, res) => {
      res.writeHead(307, { location: "http://127.0.0.2:80/" });
      res.end();
    },
    "/ready": (_req, res) => {
      readyAfter--;
      if (readyAfter > 0) sendJson(res, 503, { ready: false });
      else sendJson(res, 200, { ready: true, build: { state: "done" } });
    },
    "/never": (_req, res) => sendJson(res, 503, { ready: false }),
  });
  const owner = await createUser("http");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 50 });
  await createConnection(scope, {
    name: "api",
    type: "http",
    config: { baseUrl: `${server.url}/v1`, authHeaderValue: "Bearer s3cret-token" },
  });
  await startTestWorker(4);
});
afterAll(async () => {
  await stopTestWorker();
  await server.close();
});

const http = (id: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id,
  operator: "http",
  config,
  ...extra,
});

describe("http", () => {
  it("calls a connection's API with its credentials, query and params; the JSON body is the output", async () => {
    const run = await runDag(
      scope,
      {
        id: "http_get",
        params: { q: { type: "string", default: "baton" } },
        tasks: [http("get", { connection: "api", url: "/json", query: { q: "{{ params.q }}" } })],
      },
      { q: "tasks" },
    );
    expect(run.state).toBe("success");
    // The server echoes the credential it received; the stored output masks it (docs/secrets.md).
    expect(instance(run, "get").output).toEqual({ hello: "world", q: "tasks", auth: "***" });
    expect(server.to("/v1/json").at(-1)!.headers.authorization).toBe("Bearer s3cret-token");
    expect(await logOf(scope, run.id, "get")).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/v1\/json → 200 OK/);
  });

  it("sends JSON and text bodies", async () => {
    const run = await runDag(scope, {
      id: "http_bodies",
      tasks: [
        http("json", { method: "POST", url: `${server.url}/echo`, json: { a: [1, 2] } }),
        http("text", { method: "PUT", url: `${server.url}/echo`, text: "hi there" }),
        http("as_text", { url: `${server.url}/text`, responseType: "text" }),
      ],
    });
    expect(statesOf(run)).toEqual({ json: "success", text: "success", as_text: "success" });
    expect(instance(run, "json").output).toEqual({
      method: "POST",
      type: "application/json",
      body: '{"a":[1,2]}',
    });
    expect(instance(run, "text").output).toMatchObject({ method: "PUT", body: "hi there" });
    expect(instance(run, "as_text").output).toBe("plain words");
  });

  it("fails on unexpected statuses: 4xx without retry, 5xx retried", async () => {
    const run = await runDag(scope, {
      id: "http_statuses",
      tasks: [
        http("missing", { url: `${server.url}/status/404` }, { retries: 2, retryDelaySeconds: 0 }),
        http("busy", { url: `${server.url}/status/503` }, { retries: 1, retryDelaySeconds: 0 }),
        http("accepted", { url: `${server.url}/status/404`, expectedStatus: [404] }),
      ],
    });
    expect(statesOf(run)).toEqual({ missing: "failed", busy: "failed", accepted: "success" });
    expect(instance(run, "missing").attempts).toHaveLength(1);
    expect(instance(run, "missing").error).toMatch(
      /HTTP 404 Not Found from 127\.0\.0\.1:\d+ \(expected 2xx\)/,
    );
    expect(instance(run, "busy").attempts).toHaveLength(2);
  });

  it("caps the response size and refuses non-JSON for responseType json", async () => {
    const run = await runDag(scope, {
      id: "http_limits",
      tasks: [
        http("big", { url: `${server.url}/big`, maxResponseBytes: 1000 }),
        http("not_json", { url: `${server.url}/text` }),
      ],
    });
    expect(instance(run, "big").error).toMatch(/exceeds 1000 bytes/);
    expect(instance(run, "not_json").error).toMatch(/The response is not JSON .*set responseType: text/);
  });

  it("masks the connection's secret in errors and keeps it on its own origin", async () => {
    const run = await runDag(scope, {
      id: "http_secret",
      tasks: [
        http("reflect", { connection: "api", url: "/reflect" }),
        http("elsewhere", { connection: "api", url: "http://127.0.0.1:1/steal" }),
      ],
    });
    const reflect = instance(run, "reflect");
    expect(reflect.error).toMatch(/HTTP 401/);
    expect(reflect.error).not.toContain("s3cret-token");
    expect(reflect.error).toContain("***");
    expect(instance(run, "elsewhere").error).toMatch(/is not the origin of connection "api"/);
  });

  it("refuses a redirect from the allowed server to a private or loopback address", async () => {
    const run = await runDag(scope, {
      id: "http_redirects",
      tasks: [
        http("private", { url: `${server.url}/redirect-private` }),
        http("loopback", { url: `${server.url}/redirect-loopback` }),
      ],
    });
    expect(instance(run, "private").error).toMatch(
      /^refused: 10\.0\.0\.1 \(private address\) on redirect from 127\.0\.0\.1:\d+$/,
    );
    expect(instance(run, "loopback").error).toMatch(
      /^refused: 127\.0\.0\.2 \(loopback address\) on redirect/,
    );
    expect(instance(run, "private").attempts).toHaveLength(1);
  });
});

describe("http_sensor", () => {
  it("pokes until the condition holds, holding no worker in between", async () => {
    readyAfter = 3;
    const before = server.to("/ready").length;
    const run = await runDag(scope, {
      id: "http_sensor_ready",
      tasks: [
        {
          id: "wait",
          operator: "http_sensor",
          config: {
            url: `${server.url}/ready`,
            pokeIntervalSeconds: 1,
            jsonPath: "build.state",
            equals: "done",
          },
        },
        { id: "after", operator: "noop", dependsOn: ["wait"] },
      ],
    });
    expect(statesOf(run)).toEqual({ wait: "success", after: "success" });
    expect(server.to("/ready").length - before).toBe(3);
    const wait = instance(run, "wait");
    expect(wait.output).toEqual({ status: 200, body: { ready: true, build: { state: "done" } } });
    expect(wait.attempts).toHaveLength(1);
    expect(await logOf(scope, run.id, "wait")).toMatch(
      /check 2: HTTP 503 Service Unavailable; next check at/,
    );
  });

  it("fails after its timeout, or is skipped with softFail", async () => {
    const sensor = (id: string, softFail: boolean) => ({
      id,
      operator: "http_sensor",
      config: { url: `${server.url}/never`, pokeIntervalSeconds: 1, timeoutSeconds: 1, softFail },
    });
    const run = await runDag(scope, {
      id: "http_sensor_timeout",
      tasks: [sensor("hard", false), sensor("soft", true)],
    });
    expect(statesOf(run)).toEqual({ hard: "failed", soft: "skipped" });
    expect(instance(run, "hard").error).toMatch(/not met within 1 s \(\d+ checks; last: HTTP 503/);
  });
});

describe("fetch in code", () => {
  it("goes through the guarded client when the task allows it, and is absent otherwise", async () => {
    const run = await runDag(scope, {
      id: "code_fetch",
      tasks: [
        {
          id: "fetcher",
          operator: "code",
          config: {
            fetch: true,
            source: `const r = await fetch(inputs.url + "/v1/json?q=sandbox");\nreturn { status: r.status, body: await r.json() };`,
            inputs: { url: server.url },
          },
        },
        {
          id: "blocked",
          operator: "code",
          config: {
            fetch: true,
            source: `try { await fetch("http://169.254.169.254/latest/meta-data/"); return "reached"; }\ncatch (e) { return String(e.message); }`,
          },
        },
        { id: "offline", operator: "code", config: { source: "return typeof fetch;" } },
      ],
    });
    expect(statesOf(run)).toEqual({ fetcher: "success", blocked: "success", offline: "success" });
    expect(instance(run, "fetcher").output).toEqual({
      status: 200,
      body: { hello: "world", q: "sandbox", auth: null },
    });
    expect(instance(run, "blocked").output).toMatch(/refused: 169\.254\.169\.254 \(cloud metadata address\)/);
    expect(instance(run, "offline").output).toBe("undefined");
  });
});
