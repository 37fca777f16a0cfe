// The egress guard as tasks meet it, with no allow-list (as on the hosted platform): hostile
// targets in http tasks, http sensors, code's fetch and notify webhooks fail with the guard's
// refusal, and so do PostgreSQL and SMTP connections aimed at the platform's own network.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "@/server/config/connections";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, stopTestWorker, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { sendJson, startTestServer, type TestServer } from "../support/http-server";
import { instance, runDag } from "../support/operators";
import { type SmtpSink, startSmtpSink } from "../support/smtp-sink";

delete process.env.BATON_HTTP_ALLOW;
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

let scope: WorkspaceScope;
let server: TestServer;
let smtp: SmtpSink;

beforeAll(async () => {
  server = await startTestServer({ "/": (_req, res) => sendJson(res, 200, { secret: "internal" }) });
  smtp = await startSmtpSink();
  const owner = await createUser("guard");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 100 });
  await startTestWorker(8);
});
afterAll(async () => {
  await stopTestWorker();
  await server.close();
  await smtp.close();
});

/** Hostile targets, each with the reason the guard gives. */
const hostile = (port: number): Array<[string, RegExp]> => [
  [`http://127.0.0.1:${port}/`, /loopback address/],
  ["http://127.0.0.1/", /loopback address/],
  ["http://127.1/", /loopback address/],
  ["http://0x7f000001/", /loopback address/],
  ["http://2130706433/", /loopback address/],
  ["http://017700000001/", /loopback address/],
  ["http://0177.0.0.1/", /loopback address/],
  ["http://0x7f.0.0.1/", /loopback address/],
  ["http://[::1]/", /loopback address/],
  ["http://[::ffff:127.0.0.1]/", /loopback address/],
  ["http://[::ffff:7f00:1]/", /loopback address/],
  [`http://localhost:${port}/`, /localhost resolves to .*loopback address/],
  ["http://0.0.0.0/", /unspecified address/],
  ["http://[::]/", /unspecified address/],
  ["http://10.0.0.1/", /private address/],
  ["http://167772161/", /private address/],
  ["http://0x0a000001/", /private address/],
  ["http://172.16.0.1/", /private address/],
  ["http://172.31.255.254:8080/", /private address/],
  ["http://192.168.0.1/", /private address/],
  ["http://[::ffff:192.168.1.1]/", /private address/],
  ["http://[fc00::1]/", /private address/],
  ["http://[fd12:3456::1]/", /private address/],
  ["http://169.254.169.254/latest/meta-data/", /cloud metadata address/],
  ["http://[::ffff:169.254.169.254]/", /cloud metadata address/],
  ["http://[fd00:ec2::254]/", /cloud metadata address/],
  ["http://100.100.100.200/", /cloud metadata address/],
  ["http://metadata.google.internal/computeMetadata/v1/", /cloud metadata host/],
  ["http://169.254.1.1/", /link-local address/],
  ["http://[fe80::1]/", /link-local address/],
  ["http://100.64.0.1/", /carrier-grade NAT address/],
  ["http://224.0.0.1/", /multicast address/],
  ["http://[ff02::1]/", /multicast address/],
  ["http://255.255.255.255/", /broadcast address/],
  ["http://240.0.0.1/", /reserved address/],
  ["http://[64:ff9b::7f00:1]/", /loopback address/],
  ["http://[2002:7f00:1::]/", /loopback address/],
];

describe("with no allow-list", () => {
  it("an http task to the local test server fails with the guard's message", async () => {
    const run = await runDag(scope, {
      id: "guard_local",
      tasks: [{ id: "call", operator: "http", config: { url: `${server.url}/` }, retries: 2 }],
    });
    const call = instance(run, "call");
    expect(call.state).toBe("failed");
    expect(call.error).toBe("refused: 127.0.0.1 (loopback address)");
    expect(call.attempts).toHaveLength(1); // a refusal is not retried
    expect(server.requests).toHaveLength(0);
  });

  it("refuses every hostile target as a clear task error", async () => {
    const targets = hostile(server.port);
    expect(targets.length).toBeGreaterThanOrEqual(30);
    const run = await runDag(
      scope,
      {
        id: "guard_targets",
        tasks: targets.map(([url], i) => ({ id: `t${i}`, operator: "http", config: { url } })),
      },
      undefined,
      60_000,
    );
    for (const [i, [url, reason]] of targets.entries()) {
      const task = instance(run, `t${i}`);
      expect(task.state, url).toBe("failed");
      expect(task.error, url).toMatch(/^refused: /);
      expect(task.error, url).toMatch(reason);
    }
    expect(server.requests).toHaveLength(0);
  });

  it("refuses the same in sensors, code and notify webhooks", async () => {
    const run = await runDag(scope, {
      id: "guard_others",
      tasks: [
        { id: "sensor", operator: "http_sensor", config: { url: `${server.url}/`, pokeIntervalSeconds: 1 } },
        {
          id: "code",
          operator: "code",
          config: {
            fetch: true,
            source: `return await fetch("http://[::ffff:127.0.0.1]:${server.port}/").then((r) => r.text());`,
          },
        },
        {
          id: "hook",
          operator: "notify",
          config: { channel: "webhook", url: "http://192.168.1.1/hook", text: "x" },
        },
      ],
    });
    expect(instance(run, "sensor").error).toBe("refused: 127.0.0.1 (loopback address)");
    expect(instance(run, "code").error).toMatch(
      /^TypeError: fetch failed: refused: \[::ffff:7f00:1\] \(loopback address embedded in an IPv4-mapped/,
    );
    expect(instance(run, "hook").error).toBe("refused: 192.168.1.1 (private address)");
    expect(server.requests).toHaveLength(0);
  });

  it("refuses PostgreSQL and SMTP connections to the platform's own network", async () => {
    const database = new URL(process.env.DATABASE_URL!);
    await createConnection(scope, {
      name: "platform_db",
      type: "postgres",
      config: {
        host: "127.0.0.1",
        port: Number(database.port),
        database: database.pathname.slice(1),
        user: decodeURIComponent(database.username),
        ssl: false,
      },
    });
    await createConnection(scope, {
      name: "metadata_db",
      type: "postgres",
      config: { host: "169.254.169.254", database: "x", user: "x", ssl: false },
    });
    await createConnection(scope, {
      name: "relay",
      type: "smtp",
      config: { host: "localhost", port: smtp.port, from: "baton@example.com" },
    });
    const run = await runDag(scope, {
      id: "guard_tcp",
      tasks: [
        { id: "sql", operator: "sql", config: { connection: "platform_db", statement: "select 1" } },
        { id: "metadata", operator: "sql", config: { connection: "metadata_db", statement: "select 1" } },
        {
          id: "mail",
          operator: "notify",
          config: { channel: "email", connection: "relay", to: ["a@example.com"], subject: "s", text: "t" },
        },
      ],
    });
    expect(instance(run, "sql").error).toBe(
      "refused: 127.0.0.1 (loopback address); the PostgreSQL connection may not reach it",
    );
    expect(instance(run, "metadata").error).toMatch(
      /^refused: 169\.254\.169\.254 \(cloud metadata address\)/,
    );
    expect(instance(run, "mail").error).toMatch(
      /^refused: localhost resolves to .* \(loopback address\); the SMTP/,
    );
    expect(smtp.messages).toHaveLength(0);
  });
});
