// The notify operator (e-mail through an SMTP connection to a local capture server, signed
// webhooks) and DAG-level onSuccess / onFailure callbacks, through real runs.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "@/server/config/connections";
import { createSecret } from "@/server/config/secrets";
import { db } from "@/server/db/client";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import { startTestWorker, statesOf, stopTestWorker, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { sendJson, startTestServer, type TestServer } from "../support/http-server";
import { instance, logOf, runDag } from "../support/operators";
import { type SmtpSink, startSmtpSink } from "../support/smtp-sink";

process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
delete process.env.BATON_SMTP_URL;

let scope: WorkspaceScope;
let server: TestServer;
let smtp: SmtpSink;

beforeAll(async () => {
  server = await startTestServer({
    "/hook": (_req, res) => sendJson(res, 200, { ok: true }),
    "/api/hook": (_req, res) => sendJson(res, 202, { ok: true }),
    "/gone": (_req, res) => sendJson(res, 410, { error: "gone" }),
  });
  smtp = await startSmtpSink();
  const owner = await createUser("notify");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 20 });
  await createConnection(scope, {
    name: "mail",
    type: "smtp",
    config: {
      host: "127.0.0.1",
      port: smtp.port,
      from: "Baton <baton@example.com>",
      user: "mailer",
      password: "smtp-pw-secret",
    },
  });
  await createConnection(scope, {
    name: "hooks",
    type: "http",
    config: { baseUrl: `${server.url}/api`, authHeaderName: "X-Api-Key", authHeaderValue: "hook-key-123" },
  });
  await createSecret(scope, { name: "SIGNING_KEY", value: "whsec-abc" });
  await startTestWorker(4);
});
afterAll(async () => {
  await stopTestWorker();
  await server.close();
  await smtp.close();
});

const signatureOf = (body: string, key: string) =>
  `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;

describe("notify", () => {
  it("e-mails through an SMTP connection with its credentials", async () => {
    const run = await runDag(scope, {
      id: "mailer",
      params: { who: { type: "string", default: "team" } },
      tasks: [
        {
          id: "mail",
          operator: "notify",
          config: {
            channel: "email",
            connection: "mail",
            to: ["{{ params.who }}@example.com", "ops@example.com"],
            subject: "Report for {{ run.logical_date | date }}",
            text: "Hello {{ params.who }}",
          },
        },
      ],
    });
    expect(statesOf(run)).toEqual({ mail: "success" });
    const [mail] = await smtp.waitFor(1);
    expect(mail).toMatchObject({
      from: "baton@example.com",
      to: ["team@example.com", "ops@example.com"],
      user: "mailer",
    });
    expect(mail!.data).toMatch(/Subject: Report for \d{4}-\d{2}-\d{2}/);
    expect(mail!.data).toContain("Hello team");
    expect(await logOf(scope, run.id, "mail")).not.toContain("smtp-pw-secret");
  });

  it("fails clearly without a connection when the platform has no mailer", async () => {
    const run = await runDag(scope, {
      id: "no_mailer",
      tasks: [
        {
          id: "mail",
          operator: "notify",
          config: { channel: "email", to: ["a@example.com"], subject: "s", text: "t" },
        },
      ],
    });
    expect(instance(run, "mail").error).toMatch(/no mailer \(BATON_SMTP_URL\); name an SMTP connection/);
  });

  it("posts webhooks signed with a secret, and through an HTTP connection", async () => {
    const run = await runDag(scope, {
      id: "hooks",
      tasks: [
        {
          id: "signed",
          operator: "notify",
          config: {
            channel: "webhook",
            url: `${server.url}/hook`,
            text: "done: {{ dag.id }}",
            hmacSecretName: "SIGNING_KEY",
          },
        },
        {
          id: "via_connection",
          operator: "notify",
          config: { channel: "webhook", connection: "hooks", url: "/hook" },
        },
        { id: "refused", operator: "notify", config: { channel: "webhook", url: `${server.url}/gone` } },
      ],
    });
    expect(statesOf(run)).toEqual({ signed: "success", via_connection: "success", refused: "failed" });
    const signed = server.to("/hook").at(-1)!;
    expect(JSON.parse(signed.body)).toMatchObject({
      event: "task",
      text: "done: hooks",
      run: { id: run.id },
      task: { id: "signed", mapIndex: -1 },
    });
    expect(signed.headers["x-baton-signature"]).toBe(signatureOf(signed.body, "whsec-abc"));
    expect(signed.headers["content-type"]).toBe("application/json");
    const viaConnection = server.to("/api/hook").at(-1)!;
    expect(viaConnection.headers["x-api-key"]).toBe("hook-key-123");
    expect(instance(run, "refused").error).toMatch(/webhook notification to .*\/gone answered HTTP 410/);
  });
});

describe("DAG callbacks", () => {
  it("send onFailure notifications when a run fails, with the run's outputs", async () => {
    const hooksBefore = server.to("/hook").length;
    const mailsBefore = smtp.messages.length;
    const run = await runDag(scope, {
      id: "nightly",
      tasks: [
        { id: "extract", operator: "test", config: { output: { rows: 12 } } },
        { id: "load", operator: "test", dependsOn: ["extract"], config: { outcome: "fail" } },
      ],
      onFailure: [
        {
          channel: "webhook",
          url: `${server.url}/hook`,
          text: "{{ dag.id }} failed after {{ tasks.extract.output.rows }} rows",
          hmacSecretName: "SIGNING_KEY",
        },
        {
          channel: "email",
          connection: "mail",
          to: ["oncall@example.com"],
          subject: "{{ dag.id }} failed",
          text: "Run {{ run.id }}",
        },
      ],
      onSuccess: [{ channel: "webhook", url: `${server.url}/hook`, text: "should not be sent" }],
    });
    expect(run.state).toBe("failed");
    await expect.poll(() => server.to("/hook").length, { timeout: 10_000 }).toBe(hooksBefore + 1);
    const hook = server.to("/hook").at(-1)!;
    expect(JSON.parse(hook.body)).toEqual({
      event: "run.failed",
      dag: { id: "nightly" },
      run: { id: run.id, state: "failed", logicalDate: run.logicalDate.toISOString() },
      text: "nightly failed after 12 rows",
    });
    expect(hook.headers["x-baton-signature"]).toBe(signatureOf(hook.body, "whsec-abc"));
    const mails = await smtp.waitFor(mailsBefore + 1);
    expect(mails.at(-1)!.to).toEqual(["oncall@example.com"]);
    expect(mails.at(-1)!.data).toContain(`Run ${run.id}`);
  });

  it("send onSuccess notifications, and record callbacks that cannot be delivered", async () => {
    const hooksBefore = server.to("/hook").length;
    const run = await runDag(scope, {
      id: "hourly",
      tasks: [{ id: "work", operator: "test" }],
      onSuccess: [
        { channel: "webhook", url: `${server.url}/hook`, text: "{{ dag.id }} ok" },
        { channel: "webhook", url: `${server.url}/gone`, text: "lost" },
      ],
    });
    expect(run.state).toBe("success");
    await expect.poll(() => server.to("/hook").length, { timeout: 10_000 }).toBe(hooksBefore + 1);
    expect(JSON.parse(server.to("/hook").at(-1)!.body)).toMatchObject({
      event: "run.success",
      text: "hourly ok",
    });
    await expect
      .poll(
        async () =>
          db.auditEvent.findFirst({
            where: { workspaceId: scope.workspace.id, action: "run.callback_failed" },
          }),
        {
          timeout: 10_000,
        },
      )
      .toMatchObject({
        target: run.id,
        metadata: { callback: "onSuccess[1]", error: expect.stringMatching(/HTTP 410/) },
      });
  });
});
