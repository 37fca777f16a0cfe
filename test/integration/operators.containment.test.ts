// What tasks produce reaches the database whole or fails its attempt at once with the real
// reason: outputs holding NUL or lone surrogates (which PostgreSQL refuses) fail without retry,
// log lines and error text holding them are stored escaped, and an outcome the database refuses
// for its data fails its attempt instead of leaving it running until it is reaped as lost.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { operatorCatalog } from "@/server/operators/catalog";
import { defineOperator, type OperatorDefinition } from "@/server/operators/types";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, stopTestWorker, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { startTestServer, type TestServer } from "../support/http-server";
import { instance, logOf, runDag } from "../support/operators";

// Read by the guarded client on first use, which comes after this.
process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";

/** Defers with a state no check looks at: only the database can refuse it. */
const deferOddly = defineOperator({
  name: "defer_oddly",
  title: "Defer oddly",
  description: "Defers with a state holding a NUL character.",
  icon: "hourglass",
  docs: "Test only.",
  configSchema: z.strictObject({}),
  templatedFields: [],
  async execute() {
    return { defer: { until: new Date(Date.now() + 60_000), state: { note: "a\u0000b" } } };
  },
});

/** Fails with an error message of a megabyte, as an answer the task does not control could. */
const failLoudly = defineOperator({
  name: "fail_loudly",
  title: "Fail loudly",
  description: "Fails with a huge error message.",
  icon: "megaphone",
  docs: "Test only.",
  configSchema: z.strictObject({}),
  templatedFields: [],
  async execute(): Promise<never> {
    throw new Error(`server said: ${"e".repeat(1024 * 1024)}`);
  },
});

let scope: WorkspaceScope;
let server: TestServer;

beforeAll(async () => {
  for (const operator of [deferOddly, failLoudly]) {
    (operatorCatalog as Map<string, OperatorDefinition>).set(operator.name, operator as OperatorDefinition);
  }
  server = await startTestServer({
    "/nul-json": (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true,"name":"x\\u0000y"}');
    },
    "/nul-text": (_req, res) => res.end("before\u0000after"),
  });
  const owner = await createUser("containment");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 20 });
  await startTestWorker(4);
});
afterAll(async () => {
  await stopTestWorker();
  await server?.close();
});

// Retries allowed, so that a retried attempt would show.
const task = (id: string, operator: string, config: Record<string, unknown>) => ({
  id,
  operator,
  config,
  retries: 2,
  retryDelaySeconds: 1,
});

describe("values PostgreSQL cannot store", () => {
  it("fail their attempt at once, without retry, saying which value and where", async () => {
    const run = await runDag(scope, {
      id: "unstorable_outputs",
      tasks: [
        task("nul", "code", { source: "return { k: 'a\\u0000b' }" }),
        task("surrogate", "code", { source: "return '\\ud800'" }),
        task("nul_key", "code", { source: "return { rows: [{ ['x\\u0000']: 1 }] }" }),
        task("http_json", "http", { url: `${server.url}/nul-json` }),
        task("http_text", "http", { url: `${server.url}/nul-text`, responseType: "text" }),
        task("defer_state", "defer_oddly", {}),
        task("fine", "code", { source: "return { text: 'a\\\\u0000b', emoji: '😀' }" }),
      ],
    });
    const expected: Record<string, string> = {
      nul: "the string at output.k holds a NUL character (\\u0000)",
      surrogate: "the string at output holds a lone surrogate (half of a UTF-16 pair)",
      nul_key: 'the key at output.rows[0]["x\\u0000"] holds a NUL character (\\u0000)',
      http_json: "the string at output.name holds a NUL character (\\u0000)",
      http_text: "the string at output holds a NUL character (\\u0000)",
    };
    for (const [id, reason] of Object.entries(expected)) {
      const failed = instance(run, id);
      expect(failed.state, id).toBe("failed");
      expect(failed.error, id).toBe(
        `The output cannot be stored: ${reason}, which PostgreSQL refuses; remove it or encode the value (e.g. base64)`,
      );
      expect(failed.attempts, id).toHaveLength(1);
      expect(failed.attempts[0]!.error, id).toBe(failed.error);
    }
    // Only the database saw this one: its refusal is the attempt's recorded reason.
    const deferred = instance(run, "defer_state");
    expect(deferred.state).toBe("failed");
    expect(deferred.error).toMatch(/^The attempt's outcome could not be stored: .*\\u0000/);
    expect(deferred.attempts).toHaveLength(1);
    expect(instance(run, "fine").output).toEqual({ text: "a\\u0000b", emoji: "😀" });
  });

  it("an error of any size is recorded cut, saying how much was dropped", async () => {
    const run = await runDag(scope, {
      id: "loud_error",
      tasks: [{ id: "loud", operator: "fail_loudly", config: {} }],
    });
    const error = instance(run, "loud").error!;
    expect(error.length).toBeLessThan(17_000);
    expect(error).toMatch(/^server said: e+… \(\d+ more characters\)$/);
  });

  it("are stored escaped in log lines and error text, the rest of the line kept", async () => {
    const run = await runDag(scope, {
      id: "unstorable_logs",
      tasks: [
        {
          id: "logs",
          operator: "code",
          config: {
            source: [
              "console.log('before\\u0000after', 'and more');",
              "console.warn('lone \\ud800 high, lone \\udc00 low, pair 😀');",
              "throw new Error('bad\\u0000thing')",
            ].join("\n"),
          },
        },
      ],
    });
    const failed = instance(run, "logs");
    expect(failed.error).toBe("Error: bad\\u0000thing");
    expect(failed.attempts).toHaveLength(1);
    const log = await logOf(scope, run.id, "logs");
    expect(log).toContain("INFO before\\u0000after and more\n");
    expect(log).toContain("WARN lone \\ud800 high, lone \\udc00 low, pair 😀\n");
    expect(log).toContain("ERROR Error: bad\\u0000thing\n");
  });
});
