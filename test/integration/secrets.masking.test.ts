// Secret values never reach what a run stores or shows (issue 15, finding 2): a task's error, its
// output, the logs of tasks downstream that print or template it, a failed callback's record, a
// webhook delivery's log. Masked at the write, raw, JSON-escaped and URL-encoded, and read back as a
// Viewer through the REST API, the way the security review found them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "@/server/config/connections";
import { createSecret } from "@/server/config/secrets";
import { db } from "@/server/db/client";
import { handleRest } from "@/server/rest/handler";
import { generateKey } from "@/server/secrets/crypto";
import { maskedForms } from "@/server/secrets/mask";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { createWebhook } from "@/server/webhooks/endpoints";
import { receiveWebhook } from "@/server/webhooks/receive";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { sendJson, startTestServer, type TestServer } from "../support/http-server";
import { instance, logOf, runDag } from "../support/operators";

process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;

/** Quotes, a backslash, slashes, + and spaces: its raw, JSON and URL forms all differ. */
const SECRET = 'p@ss/w0rd+"q"\\x y';
const CONN_PASSWORD = "conn-pw-0123456789";

let scope: WorkspaceScope;
let owner: Awaited<ReturnType<typeof createUser>>;
let viewerToken: string;
let server: TestServer;

/** Every form of every secret of this file that must never be readable. */
const leaks = (text: string) =>
  [SECRET, CONN_PASSWORD].flatMap((value) => maskedForms(value)).filter((form) => text.includes(form));

async function asViewer(path: string) {
  const response = await handleRest(
    new Request(`http://localhost/api/v1${path}`, { headers: { authorization: `Bearer ${viewerToken}` } }),
    path.split("?")[0]!,
  );
  expect(response.status).toBe(200);
  return response.text();
}

beforeAll(async () => {
  server = await startTestServer({
    // Echoes what it was sent in a refusal, as a badly behaved receiver would.
    "/echo": (request, response) => sendJson(response, 400, { received: request.body }),
  });
  owner = await createUser("masking");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 20 });
  await createSecret(scope, { name: "S", value: SECRET });
  await createConnection(scope, {
    name: "db",
    type: "postgres",
    config: { host: "127.0.0.1", port: 5432, database: "x", user: "u", password: CONN_PASSWORD },
  });
  viewerToken = (
    await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "viewer", role: "VIEWER" })
  ).token;
  await startTestWorker(4);
});
afterAll(async () => {
  await stopTestWorker();
  await server.close();
});

const code = (id: string, source: string, { config, ...extra }: Record<string, unknown> = {}) => ({
  id,
  operator: "code",
  config: { source, ...(config as object) },
  ...extra,
});

describe("secret masking", () => {
  it("masks errors, outputs and downstream logs, as a Viewer reads them", async () => {
    const inputs = { k: "{{ secrets.S }}" };
    const run = await runDag(scope, {
      id: "leaky",
      tasks: [
        code("fail", "throw new Error('leak:' + inputs.k);", { config: { inputs } }),
        code(
          "ret",
          [
            "console.log('raw', inputs.k, 'json', JSON.stringify({ k: inputs.k }));",
            "console.log('url', encodeURIComponent(inputs.k), 'form', encodeURIComponent(inputs.k).replace(/%20/g, '+'));",
            "return { k: inputs.k, json: JSON.stringify({ k: inputs.k }), url: encodeURIComponent(inputs.k),",
            "  [inputs.k]: 'as a key', nested: [{ deep: 'x' + inputs.k + 'y' }] };",
          ].join("\n"),
          { config: { inputs } },
        ),
        // No secret in its own templates: it prints what upstream stored.
        code("show", "console.log(JSON.stringify(upstream)); return upstream.ret.k;", { dependsOn: ["ret"] }),
        code("templated", "console.log('templated', inputs.v); return inputs.v;", {
          dependsOn: ["ret"],
          config: { inputs: { v: "{{ tasks.ret.output.k }}" } },
        }),
        // Reaches the connection's password through a template.
        code("conn", "console.log('pw=' + inputs.pw); return { pw: inputs.pw };", {
          config: { inputs: { pw: "{{ conn.db.password }}" } },
        }),
      ],
    });
    expect(instance(run, "fail").error).toBe("Error: leak:***");
    expect(instance(run, "fail").attempts.at(-1)!.error).toBe("Error: leak:***");
    expect(instance(run, "ret").output).toEqual({
      k: "***",
      json: '{"k":"***"}',
      url: "***",
      "***": "as a key",
      nested: [{ deep: "x***y" }],
    });
    expect(instance(run, "show").output).toBe("***");
    expect(instance(run, "templated").output).toBe("***");
    expect(instance(run, "conn").output).toEqual({ pw: "***" });
    const logs = await Promise.all(
      ["fail", "ret", "show", "templated", "conn"].map((task) => logOf(scope, run.id, task)),
    );
    expect(logs[1]).toMatch(/raw \*\*\* json \{"k":"\*\*\*"\}/);
    expect(logs[1]).toMatch(/url \*\*\* form \*\*\*/);
    expect(logs[2]).toContain('"k":"***"');
    expect(logs[4]).toContain("pw=***");
    for (const log of logs) expect(leaks(log)).toEqual([]);

    // What the security review read: the run and every task's log, as a Viewer, over REST.
    const answers = [await asViewer(`/runs/${run.id}`)];
    for (const task of ["fail", "ret", "show", "templated", "conn"]) {
      answers.push(await asViewer(`/runs/${run.id}/tasks/${task}/logs`));
    }
    for (const answer of answers) expect(leaks(answer)).toEqual([]);
  });

  it("masks what a failed callback records", async () => {
    const run = await runDag(scope, {
      id: "callback_leak",
      tasks: [{ id: "boom", operator: "test", config: { outcome: "fail" } }],
      onFailure: [{ channel: "webhook", url: `${server.url}/echo`, text: "key {{ secrets.S }}" }],
    });
    expect(run.state).toBe("failed");
    const failure = await expect
      .poll(
        () =>
          db.auditEvent.findFirst({
            where: { workspaceId: scope.workspace.id, action: "run.callback_failed", target: run.id },
          }),
        { timeout: 15_000 },
      )
      .toBeTruthy();
    void failure;
    const event = await db.auditEvent.findFirstOrThrow({
      where: { workspaceId: scope.workspace.id, action: "run.callback_failed", target: run.id },
    });
    const recorded = JSON.stringify(event.metadata);
    expect(recorded).toMatch(/HTTP 400/);
    expect(recorded).toContain("key ***");
    expect(leaks(recorded)).toEqual([]);
    const audit = await owner.api.audit.list({ workspace: owner.workspace.slug });
    expect(leaks(JSON.stringify(audit))).toEqual([]);
  });

  it("masks the secrets a webhook's DAG reaches, and the endpoint's own, in its delivery log", async () => {
    await storeDag(scope, {
      id: "hooked",
      params: { note: { type: "string", default: "" } },
      tasks: [code("use", "return inputs.k.length;", { config: { inputs: { k: "{{ secrets.S }}" } } })],
    });
    const endpoint = await createWebhook(scope, {
      dagId: "hooked",
      name: "in",
      authMode: "token",
      baseUrl: "http://localhost",
    });
    const body = JSON.stringify({ note: `sender pasted ${SECRET} and ${endpoint.secret}` });
    const response = await receiveWebhook(
      new Request(`http://localhost/api/hooks/${endpoint.id}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-baton-token": endpoint.secret! },
        body,
      }),
      endpoint.id,
    );
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    await waitForRun(runId);
    const { items } = JSON.parse(await asViewer(`/webhooks/${endpoint.id}/deliveries`)) as {
      items: { id: string }[];
    };
    const delivery = items[0];
    const logged = await asViewer(`/webhooks/${endpoint.id}/deliveries/${delivery!.id}`);
    expect(logged).toContain("sender pasted *** and ***");
    expect(leaks(logged)).toEqual([]);
    expect(logged).not.toContain(endpoint.secret);
  });
});
