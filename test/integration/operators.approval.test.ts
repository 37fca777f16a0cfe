// The approval operator through real runs: decisions through the API (roles, counts, one answer
// per member, REST), signed single-use links (sent by webhook and e-mail), and the timeout's
// default outcome.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET, POST } from "@/app/api/approvals/[token]/route";
import { createConnection } from "@/server/config/connections";
import { db } from "@/server/db/client";
import { requeue } from "@/server/engine/complete";
import { triggerRun } from "@/server/engine/runs";
import { generateKey } from "@/server/secrets/crypto";
import type { WorkspaceScope } from "@/server/tenancy/door";
import type { Role } from "@/server/tenancy/roles";
import { createToken } from "@/server/tokens/service";
import {
  startTestWorker,
  statesOf,
  stopTestWorker,
  storeDag,
  waitForRun,
  workspaceScope,
} from "../support/engine";
import { codeOf, createUser } from "../support/factories";
import { sendJson, startTestServer, type TestServer } from "../support/http-server";
import { instance } from "../support/operators";
import { raw } from "../support/rest";
import { type SmtpSink, startSmtpSink } from "../support/smtp-sink";

process.env.BATON_HTTP_ALLOW = "127.0.0.1/32";
process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
process.env.NEXTAUTH_SECRET = "approval-test-secret-approval-test-secret";
process.env.NEXTAUTH_URL = "https://baton.example.com/";

let owner: Awaited<ReturnType<typeof createUser>>;
let scope: WorkspaceScope;
let server: TestServer;
let smtp: SmtpSink;

async function member(role: Role) {
  const user = await createUser(role.toLowerCase());
  await db.membership.create({ data: { workspaceId: owner.workspace.id, userId: user.user.id, role } });
  return user;
}

beforeAll(async () => {
  server = await startTestServer({ "/hook": (_req, res) => sendJson(res, 200, { ok: true }) });
  smtp = await startSmtpSink();
  owner = await createUser("approvals");
  scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 20 });
  await createConnection(scope, {
    name: "mail",
    type: "smtp",
    config: { host: "127.0.0.1", port: smtp.port, from: "baton@example.com" },
  });
  await startTestWorker(4);
});
afterAll(async () => {
  await stopTestWorker();
  await server.close();
  await smtp.close();
});

/** Starts a run of a one-approval DAG and waits until the approval waits. */
async function waitingApproval(dagId: string, config: Record<string, unknown>) {
  await storeDag(scope, {
    id: dagId,
    params: { version: { type: "string", default: "1.0" } },
    tasks: [
      { id: "approve", operator: "approval", config },
      { id: "publish", operator: "test", dependsOn: ["approve"], config: { output: "published" } },
    ],
  });
  const { id } = await triggerRun(scope, { dagKey: dagId, params: { version: "2.1" } });
  await expect
    .poll(async () => (await db.taskInstance.findFirst({ where: { runId: id, taskId: "approve" } }))?.state, {
      timeout: 10_000,
    })
    .toBe("deferred");
  return id;
}

const decideInput = (runId: string, decision: "approve" | "reject", comment?: string) => ({
  workspace: owner.workspace.slug,
  runId,
  taskId: "approve",
  decision,
  ...(comment ? { comment } : {}),
});

describe("approval through the API", () => {
  it("needs the count of approvals from members with runs:operate and the minimum role", async () => {
    const runId = await waitingApproval("release", {
      message: "Release {{ params.version }}?",
      approvers: { count: 2, minRole: "operator" },
    });
    const viewer = await member("VIEWER");
    const operator = await member("OPERATOR");

    const { items: pending } = await viewer.api.approvals.pending({ workspace: owner.workspace.slug });
    expect(pending).toEqual([
      expect.objectContaining({
        runId,
        dagId: "release",
        taskId: "approve",
        message: "Release 2.1?",
        needed: 2,
      }),
    ]);
    expect(await codeOf(viewer.api.approvals.decide(decideInput(runId, "approve")))).toBe("FORBIDDEN");

    expect(await operator.api.approvals.decide(decideInput(runId, "approve", "looks good"))).toMatchObject({
      approvals: 1,
      needed: 2,
      outcome: "waiting for more approvals",
    });
    // The task ran again, saw one approval and went back to waiting, holding no worker.
    await expect
      .poll(async () => (await db.taskInstance.findFirst({ where: { runId, taskId: "approve" } }))?.state)
      .toBe("deferred");
    expect(await codeOf(operator.api.approvals.decide(decideInput(runId, "approve")))).toBe("CONFLICT");

    expect(await owner.api.approvals.decide(decideInput(runId, "approve"))).toMatchObject({
      outcome: "approved",
    });
    const run = await waitForRun(runId);
    expect(statesOf(run)).toEqual({ approve: "success", publish: "success" });
    const output = instance(run, "approve").output as { outcome: string; decisions: { label: string }[] };
    expect(output.outcome).toBe("approved");
    expect(output.decisions.map((d) => d.label)).toEqual([operator.email, owner.email]);
    expect((await viewer.api.approvals.pending({ workspace: owner.workspace.slug })).items).toEqual([]);
  });

  it("refuses members below minRole, and one rejection through REST fails the task", async () => {
    const runId = await waitingApproval("risky", {
      message: "Drop the old tables?",
      approvers: { minRole: "admin" },
    });
    const operator = await member("OPERATOR");
    const answer = await codeOf(operator.api.approvals.decide(decideInput(runId, "approve")));
    expect(answer).toBe("FORBIDDEN");

    const admin = await member("ADMIN");
    const { token } = await createToken(
      await (await import("@/server/tenancy/door")).openWorkspace(
        admin.caller,
        owner.workspace.slug,
        "tokens:manage",
      ),
      { name: "ci", role: "ADMIN" },
    );
    const response = await raw("POST", `/runs/${runId}/tasks/approve/reject`, {
      token,
      body: JSON.stringify({ comment: "not today" }),
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ decision: "reject", outcome: "rejected" });
    const run = await waitForRun(runId);
    expect(statesOf(run)).toEqual({ approve: "failed", publish: "upstream_failed" });
    expect(instance(run, "approve").error).toBe("Rejected by token ci: not today");
  });

  it("decides by the default outcome when nobody answers in time", async () => {
    const runId = await waitingApproval("lenient", {
      message: "Go?",
      timeoutSeconds: 60,
      defaultOutcome: "approve",
    });
    // Fast-forward: the wait's deadline passes, and the deferral's job comes due.
    const ti = await db.taskInstance.findFirstOrThrow({ where: { runId, taskId: "approve" } });
    const state = ti.deferState as Record<string, unknown>;
    await db.taskInstance.update({
      where: { id: ti.id },
      data: { deferState: { ...state, timeoutAt: new Date(Date.now() - 1000).toISOString() } },
    });
    await requeue(ti.id, ti.workspaceId, ti.tryNumber);
    const run = await waitForRun(runId);
    expect(statesOf(run)).toEqual({ approve: "success", publish: "success" });
    expect(instance(run, "approve").output).toMatchObject({ outcome: "approved", byTimeout: true });
  });
});

describe("approval through signed links", () => {
  const tokenOf = (url: string) => {
    expect(url.startsWith("https://baton.example.com/api/approvals/")).toBe(true);
    return url.slice("https://baton.example.com/api/approvals/".length);
  };
  const get = (token: string) =>
    GET(new Request(`http://localhost/api/approvals/${token}`), { params: Promise.resolve({ token }) });
  const post = (token: string, comment = "") =>
    POST(
      new Request(`http://localhost/api/approvals/${token}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ comment }),
      }),
      { params: Promise.resolve({ token }) },
    );

  it("sends the links by webhook; a link decides once, without signing in", async () => {
    const before = server.to("/hook").length;
    const runId = await waitingApproval("linked", {
      message: "Publish {{ params.version }}?",
      approvers: { count: 2 },
      notify: { channel: "webhook", url: `${server.url}/hook` },
    });
    const hooks = server.to("/hook");
    expect(hooks.length).toBe(before + 1);
    const body = JSON.parse(hooks.at(-1)!.body) as {
      event: string;
      approval: { message: string; approveUrl: string; rejectUrl: string };
    };
    expect(body).toMatchObject({ event: "approval.requested", approval: { message: "Publish 2.1?" } });
    const approve = tokenOf(body.approval.approveUrl);
    const reject = tokenOf(body.approval.rejectUrl);

    // Looking at the link (or a mail scanner fetching it) decides nothing.
    const page = await get(approve);
    expect(page.status).toBe(200);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await page.text();
    expect(html).toContain("Approve this step?");
    expect(html).toContain("Publish 2.1?");
    expect(html).toContain('<form method="post">');
    expect((await db.taskInstance.findFirstOrThrow({ where: { runId, taskId: "approve" } })).state).toBe(
      "deferred",
    );

    // A tampered link is refused.
    const forged = `${approve.slice(0, -2)}${approve.endsWith("AA") ? "BB" : "AA"}`;
    expect((await post(forged)).status).toBe(404);

    const decided = await post(approve, "<b>ship it</b>");
    expect(decided.status).toBe(200);
    expect(await decided.text()).toContain("Approved");
    await expect
      .poll(async () => (await db.taskInstance.findFirst({ where: { runId, taskId: "approve" } }))?.state)
      .toBe("deferred");
    // Single use: while the approval still waits (for a second approval), the same link and its
    // reject twin are spent.
    const again = await post(approve);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("already been used");
    expect((await post(reject)).status).toBe(409);
    expect((await get(approve)).status).toBe(409);

    expect(await owner.api.approvals.decide(decideInput(runId, "approve"))).toMatchObject({
      outcome: "approved",
    });
    const run = await waitForRun(runId);
    expect(statesOf(run)).toEqual({ approve: "success", publish: "success" });
    expect(instance(run, "approve").output).toMatchObject({
      decisions: [
        { decision: "approve", label: "signed link", comment: "<b>ship it</b>", via: "link" },
        { decision: "approve", label: owner.email, via: "member" },
      ],
    });
    // And once the approval has ended, no link decides anything.
    const late = await post(reject);
    expect(late.status).toBe(409);
    expect(await late.text()).toContain("no longer waiting");
  });

  it("sends them by e-mail through an SMTP connection; the reject link fails the task", async () => {
    const runId = await waitingApproval("mailed", {
      message: "Pay invoice?",
      notify: {
        channel: "email",
        connection: "mail",
        to: ["boss@example.com"],
        subject: "Approve {{ params.version }}",
        text: "Please decide.",
      },
    });
    const [mail] = await smtp.waitFor(1);
    expect(mail!.to).toEqual(["boss@example.com"]);
    expect(mail!.data).toContain("Subject: Approve 2.1");
    const text = mail!.data.replace(/=\r\n/g, "");
    const reject = /Reject: (https:\/\/\S+)/.exec(text)?.[1];
    expect(text).toContain("Please decide.");
    expect(reject).toBeDefined();
    expect((await post(tokenOf(reject!), "too expensive")).status).toBe(200);
    const run = await waitForRun(runId);
    expect(statesOf(run)).toEqual({ approve: "failed", publish: "upstream_failed" });
    expect(instance(run, "approve").error).toBe("Rejected by signed link: too expensive");
  });
});
