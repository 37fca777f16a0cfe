// Webhooks end to end through the public route handler: token, HMAC (with its replay window) and
// GitHub authentication, idempotency under concurrency, param mapping and 422s, body and rate
// limits, sync mode, the delivery log with replay, secret rotation, REST and CLI.
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST } from "@/app/api/hooks/[endpointId]/route";
import type { DagDocument } from "@/server/dags/definition";
import { archiveDag, pushDag, unarchiveDag } from "@/server/dags/service";
import { db } from "@/server/db/client";
import { generateKey } from "@/server/secrets/crypto";
import { openWorkspace, type WorkspaceScope } from "@/server/tenancy/door";
import { createToken } from "@/server/tokens/service";
import { reencryptWebhookSecrets } from "@/server/webhooks/endpoints";
import { providers, signBody } from "@/server/webhooks/signature";

const githubSignature = (secret: string, body: string) =>
  providers.github.sign(secret, { body }, {})["x-hub-signature-256"]!;

import { baton } from "../support/cli";
import { startTestWorker, stopTestWorker, waitForRun } from "../support/engine";
import { createUser } from "../support/factories";
import { jsonCaller } from "../support/rest";

let owner: Awaited<ReturnType<typeof createUser>>;
let scope: WorkspaceScope;
let ws: string;

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  owner = await createUser("hooks");
  ws = owner.workspace.slug;
  await db.workspace.update({ where: { id: owner.workspace.id }, data: { maxConcurrentTasks: 50 } });
  scope = await openWorkspace(owner.caller, ws, "tokens:manage");
  await push({
    id: "deploy",
    params: {
      ref: { type: "string", required: true },
      pr: { type: "integer", default: 0 },
      sender: { type: "string", default: "unknown" },
    },
    tasks: [
      {
        id: "echo",
        operator: "test",
        config: { output: { ref: "{{ params.ref }}", pr: "{{ params.pr }}" } },
      },
    ],
  });
  await startTestWorker(8);
});
afterAll(() => stopTestWorker());

async function push(document: DagDocument) {
  await pushDag(scope, { document });
}

type Hook = Awaited<ReturnType<typeof owner.api.webhooks.create>> & { secret: string };

/** An endpoint with its secret: the one given, else the one Baton generated (shown once). */
async function hook(settings: Partial<Parameters<typeof owner.api.webhooks.create>[0]> = {}): Promise<Hook> {
  const created = await owner.api.webhooks.create({
    workspace: ws,
    dagId: "deploy",
    name: `hook-${Math.random().toString(36).slice(2, 8)}`,
    paramMapping: { ref: "/ref", pr: "/pull_request/number", sender: "header:X-Sender" },
    ...settings,
  });
  return { ...created, secret: settings.secret ?? created.secret! };
}

/** POSTs through the app's route handler, as Next.js would. */
async function deliver(id: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await POST(
    new Request(`http://hooks.example.com/api/hooks/${id}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : new Uint8Array(body),
    }),
    { params: Promise.resolve({ endpointId: id }) },
  );
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

const json = (value: unknown) => JSON.stringify(value);
const signed = (hook: Hook, body: string, at = Math.floor(Date.now() / 1000)) => ({
  "x-baton-signature": signBody(hook.secret, body, at),
});

async function deliveries(hookId: string) {
  return (await owner.api.webhooks.deliveries({ workspace: ws, webhookId: hookId })).items;
}

/** An API token of the workspace, for the CLI's workspace commands. */
let cliTokenValue: string | undefined;
async function cliToken(): Promise<string> {
  cliTokenValue ??= (await createToken(scope, { name: "cli", role: "EDITOR" })).token;
  return cliTokenValue;
}

describe("authentication", () => {
  it("token: the right token starts a run with mapped params; a wrong one gets a generic 401", async () => {
    const h = await hook({ authMode: "token" });
    expect(h.url).toBe(`http://localhost:3000/api/hooks/${h.id}`);
    expect(h.secret).toMatch(/^whsec_/);
    const body = json({ ref: "main", pull_request: { number: 42 } });
    const ok = await deliver(h.id, body, { "x-baton-token": h.secret, "x-sender": "ci-bot" });
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({
      duplicate: false,
      statusUrl: `http://hooks.example.com/api/v1/runs/${ok.body.runId}`,
    });
    expect(ok.headers.get("location")).toBe(ok.body.statusUrl);
    const run = await waitForRun(ok.body.runId);
    expect(run).toMatchObject({
      state: "success",
      triggeredBy: "webhook",
      triggeredByLabel: `webhook ${h.name}`,
      params: { ref: "main", pr: 42, sender: "ci-bot" },
    });
    expect(run.taskInstances[0]!.output).toEqual({ ref: "main", pr: 42 });

    const wrong = await deliver(h.id, body, { "x-baton-token": `${h.secret}x` });
    const missing = await deliver(h.id, body);
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: "UNAUTHORIZED" } } });
    expect(missing.body).toEqual(wrong.body);
    const [last, previous] = await deliveries(h.id);
    expect(last).toMatchObject({
      statusCode: 401,
      result: "unauthorized",
      message: expect.stringContaining("no X-Baton-Token"),
    });
    expect(previous).toMatchObject({ statusCode: 401, result: "unauthorized", message: "wrong token" });
  });

  it("hmac: a fresh signature passes; a replayed one outside five minutes and a wrong one get the same 401", async () => {
    const h = await hook();
    const body = json({ ref: "v1.2.0" });
    expect((await deliver(h.id, body, signed(h, body))).status).toBe(202);

    const replayed = await deliver(h.id, body, signed(h, body, Math.floor(Date.now() / 1000) - 301));
    const forged = await deliver(h.id, body, { "x-baton-signature": signBody("not the secret", body) });
    const tampered = await deliver(h.id, json({ ref: "evil" }), signed(h, body));
    for (const refused of [replayed, forged, tampered]) {
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({
        error: { code: "UNAUTHORIZED", message: "The delivery is not authenticated", problems: [] },
      });
    }
    const log = await deliveries(h.id);
    expect(log.slice(0, 3).map((d) => d.message)).toEqual([
      "X-Baton-Signature does not match the body",
      "X-Baton-Signature does not match the body",
      expect.stringMatching(/more than 300 s/),
    ]);
  });

  it("github: X-Hub-Signature-256, form-encoded payloads, and redeliveries deduplicated by X-GitHub-Delivery", async () => {
    const h = await hook({ authMode: "github", paramMapping: { ref: "/ref", sender: "/sender/login" } });
    const payload = json({ ref: "refs/heads/main", sender: { login: "octocat" } });
    const form = `payload=${encodeURIComponent(payload)}`;
    const headers = {
      "content-type": "application/x-www-form-urlencoded",
      "x-hub-signature-256": githubSignature(h.secret, form),
      "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      "x-github-event": "push",
    };
    const first = await deliver(h.id, form, headers);
    expect(first.status).toBe(202);
    expect((await waitForRun(first.body.runId)).params).toMatchObject({
      ref: "refs/heads/main",
      sender: "octocat",
    });
    const redelivered = await deliver(h.id, form, headers);
    expect(redelivered.body).toMatchObject({ runId: first.body.runId, duplicate: true });
    const bad = await deliver(h.id, form, {
      ...headers,
      "x-hub-signature-256": githubSignature("wrong", form),
    });
    expect(bad.status).toBe(401);
  });
});

describe("idempotency", () => {
  it("fifty concurrent deliveries with one Idempotency-Key create one run", async () => {
    const h = await hook({ authMode: "token" });
    const body = json({ ref: "release" });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        deliver(h.id, body, { "x-baton-token": h.secret, "idempotency-key": "release-2025-06-01" }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(202));
    const runIds = new Set(answers.map((a) => a.body.runId));
    expect(runIds.size).toBe(1);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") === "true")).toHaveLength(49);
    await waitForRun([...runIds][0]);
    const runs = await db.dagRun.findMany({
      where: { workspaceId: owner.workspace.id, triggeredByLabel: `webhook ${h.name}` },
    });
    expect(runs.map((r) => r.id)).toEqual([...runIds]);
    const log = await deliveries(h.id);
    expect(log.filter((d) => d.result === "accepted")).toHaveLength(1);
    expect(log.filter((d) => d.result === "duplicate")).toHaveLength(49);
  });

  it("reads the key from a configured body field; a key expires after 24 hours", async () => {
    const h = await hook({ authMode: "token", idempotencyField: "/event/id" });
    const send = () =>
      deliver(h.id, json({ ref: "main", event: { id: "evt_123" } }), { "x-baton-token": h.secret });
    const first = await send();
    const again = await send();
    expect(again.body).toMatchObject({ runId: first.body.runId, duplicate: true });
    await db.webhookDelivery.updateMany({
      where: { endpointId: h.id, idempotencyKey: "evt_123" },
      data: { receivedAt: new Date(Date.now() - 25 * 3_600_000) },
    });
    const later = await send();
    expect(later.status).toBe(202);
    expect(later.body.duplicate).toBe(false);
    expect(later.body.runId).not.toBe(first.body.runId);
  });

  it("a delivery refused for its params does not hold the key", async () => {
    const h = await hook({ authMode: "token" });
    const headers = { "x-baton-token": h.secret, "idempotency-key": "k1" };
    expect((await deliver(h.id, json({}), headers)).status).toBe(422);
    expect((await deliver(h.id, json({ ref: "main" }), headers)).body.duplicate).toBe(false);
  });
});

describe("mapping and limits", () => {
  it("answers 422 naming each param that does not fit, and where it came from", async () => {
    const h = await hook({ authMode: "token" });
    const bad = await deliver(h.id, json({ pull_request: { number: "forty-two" } }), {
      "x-baton-token": h.secret,
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("UNPROCESSABLE_CONTENT");
    const problems = bad.body.error.problems as { path: string; message: string }[];
    expect(problems.map((p) => p.path).sort()).toEqual(["params.pr", "params.ref"]);
    expect(problems.find((p) => p.path === "params.pr")!.message).toContain(
      'mapped from "/pull_request/number"',
    );
    expect((await deliveries(h.id))[0]).toMatchObject({ statusCode: 422, result: "invalid" });
  });

  it("refuses a mapping to params the DAG does not declare", async () => {
    await expect(hook({ paramMapping: { nope: "/x" } })).rejects.toMatchObject({
      code: "UNPROCESSABLE_CONTENT",
    });
  });

  it("answers 413 to a body over the limit, and 400 to broken JSON", async () => {
    const h = await hook({ authMode: "token" });
    const big = await deliver(h.id, Buffer.alloc(1_048_577, 32), { "x-baton-token": h.secret });
    expect(big).toMatchObject({ status: 413, body: { error: { code: "PAYLOAD_TOO_LARGE" } } });
    expect((await deliver(h.id, "{not json", { "x-baton-token": h.secret })).status).toBe(400);
  });

  it("answers 429 with Retry-After once the workspace is over its rate", async () => {
    const other = await createUser("hooks-limited");
    const otherScope = await openWorkspace(other.caller, other.workspace.slug, "dags:write");
    await pushDag(otherScope, { document: { id: "limited", tasks: [{ id: "t", operator: "noop" }] } });
    await db.workspace.update({ where: { id: other.workspace.id }, data: { webhookRateLimitPerMinute: 3 } });
    const h = await other.api.webhooks.create({
      workspace: other.workspace.slug,
      dagId: "limited",
      name: "x",
      authMode: "token",
    });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof deliver>> | undefined;
    for (let i = 0; i < 5; i++) {
      last = await deliver(h.id, "{}", { "x-baton-token": h.secret! });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    // The answer names the quota and its value, so the sender's owner knows what to raise.
    expect(last!.body.error.message).toContain("accepts 3 a minute (quota webhookRateLimitPerMinute)");
    const retryAfter = Number(last!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another workspace is not affected.
    const mine = await hook({ authMode: "token" });
    expect((await deliver(mine.id, json({ ref: "x" }), { "x-baton-token": mine.secret })).status).toBe(202);
  });

  it("answers 404 for unknown ids, disabled endpoints and non-POST methods; 409 for an archived DAG", async () => {
    expect((await deliver("00000000-0000-4000-8000-000000000000", "{}")).status).toBe(404);
    expect((await deliver("not-a-uuid", "{}")).status).toBe(404);
    const h = await hook({ authMode: "token" });
    await owner.api.webhooks.update({ workspace: ws, webhookId: h.id, enabled: false });
    expect((await deliver(h.id, json({ ref: "x" }), { "x-baton-token": h.secret })).status).toBe(404);
    await owner.api.webhooks.update({ workspace: ws, webhookId: h.id, enabled: true });
    await archiveDag(scope, "deploy");
    const archived = await deliver(h.id, json({ ref: "x" }), { "x-baton-token": h.secret });
    await unarchiveDag(scope, "deploy");
    expect(archived.status).toBe(409);
  });
});

describe("sync mode", () => {
  it("waits for the run and answers its outputs, or 202 when it takes longer", async () => {
    const syncHook = async (dagId: string, durationMs: number) => {
      await push({
        id: dagId,
        params: { amount: { type: "number", default: 1 } },
        tasks: [
          {
            id: "price",
            operator: "test",
            config: { durationMs, output: { eur: "{{ params.amount }}" } },
          },
        ],
      });
      return owner.api.webhooks.create({
        workspace: ws,
        dagId,
        name: "sync",
        authMode: "token",
        mode: "sync",
        waitSeconds: 2,
        paramMapping: { amount: "/amount" },
      });
    };
    const fast = await syncHook("quote", 0);
    const answered = await deliver(fast.id, json({ amount: 12.5 }), { "x-baton-token": fast.secret! });
    expect(answered).toMatchObject({
      status: 200,
      body: { state: "success", outputs: { price: { eur: 12.5 } } },
    });
    const slow = await syncHook("slow_quote", 4000);
    const started = Date.now();
    const accepted = await deliver(slow.id, json({ amount: 1 }), { "x-baton-token": slow.secret! });
    expect(accepted.status).toBe(202);
    expect(accepted.body.state).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  }, 20_000);
});

describe("delivery log, replay and rotation", () => {
  it("logs deliveries with credentials redacted, and replays one as a new run", async () => {
    const h = await hook({ authMode: "token" });
    const sent = await deliver(h.id, json({ ref: "main" }), {
      "x-baton-token": h.secret,
      "x-request-id": "abc",
    });
    await waitForRun(sent.body.runId);
    const [logged] = await deliveries(h.id);
    const full = await owner.api.webhooks.delivery({
      workspace: ws,
      webhookId: h.id,
      deliveryId: logged!.id,
    });
    expect(full.headers["x-baton-token"]).toBe("[redacted]");
    expect(full.headers["x-request-id"]).toBe("abc");
    expect(full).toMatchObject({ body: json({ ref: "main" }), runId: sent.body.runId, result: "accepted" });
    expect(JSON.stringify(full)).not.toContain(h.secret);

    const replay = await owner.api.webhooks.replay({
      workspace: ws,
      webhookId: h.id,
      deliveryId: logged!.id,
    });
    expect(replay.runId).not.toBe(sent.body.runId);
    expect((await waitForRun(replay.runId)).params).toMatchObject({ ref: "main" });
    expect((await deliveries(h.id))[0]).toMatchObject({ id: replay.deliveryId, replayOf: logged!.id });
  });

  it("cannot replay a delivery whose body the log cut", async () => {
    const h = await hook({ authMode: "token", paramMapping: { ref: "/ref" } });
    process.env.BATON_WEBHOOK_LOG_BODY_BYTES = "16";
    try {
      await deliver(h.id, json({ ref: "a-rather-long-branch-name" }), { "x-baton-token": h.secret });
    } finally {
      delete process.env.BATON_WEBHOOK_LOG_BODY_BYTES;
    }
    const [logged] = await deliveries(h.id);
    expect(logged).toMatchObject({ bodyTruncated: true });
    await expect(
      owner.api.webhooks.replay({ workspace: ws, webhookId: h.id, deliveryId: logged!.id }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("rotates the secret, with a grace period for the old one", async () => {
    const h = await hook({ authMode: "token" });
    const body = json({ ref: "x" });
    const graced = await owner.api.webhooks.rotateSecret({
      workspace: ws,
      webhookId: h.id,
      graceSeconds: 60,
    });
    expect(graced.secret).not.toBe(h.secret);
    expect(graced.previousSecretExpiresAt).not.toBeNull();
    expect((await deliver(h.id, body, { "x-baton-token": h.secret })).status).toBe(202);
    expect((await deliver(h.id, body, { "x-baton-token": graced.secret! })).status).toBe(202);
    const now = await owner.api.webhooks.rotateSecret({ workspace: ws, webhookId: h.id });
    expect((await deliver(h.id, body, { "x-baton-token": graced.secret! })).status).toBe(401);
    expect((await deliver(h.id, body, { "x-baton-token": now.secret! })).status).toBe(202);
    const listed = await owner.api.webhooks.get({ workspace: ws, webhookId: h.id });
    expect(JSON.stringify(listed)).not.toContain(now.secret!);
    expect(listed).not.toHaveProperty("secret");
  });

  it("keeps working across a master-key rotation", async () => {
    const h = await hook({ authMode: "token" });
    const oldKeys = process.env.BATON_MASTER_KEYS!;
    const newKey = `2:${generateKey()}`;
    try {
      process.env.BATON_MASTER_KEYS = `${oldKeys},${newKey}`;
      const rotated = await reencryptWebhookSecrets(scope);
      expect(rotated.failed).toBe(0);
      expect(rotated.rotated).toBeGreaterThanOrEqual(1);
      process.env.BATON_MASTER_KEYS = newKey; // the old key is gone
      expect((await deliver(h.id, json({ ref: "x" }), { "x-baton-token": h.secret })).status).toBe(202);
      expect((await owner.api.webhooks.get({ workspace: ws, webhookId: h.id })).keyVersion).toBe(2);
    } finally {
      process.env.BATON_MASTER_KEYS = `${oldKeys},${newKey}`;
    }
  });

  it("needs dags:write to change endpoints", async () => {
    const viewer = await createUser("hook-viewer");
    await db.membership.create({
      data: { workspaceId: owner.workspace.id, userId: viewer.user.id, role: "VIEWER" },
    });
    await expect(
      viewer.api.webhooks.create({ workspace: ws, dagId: "deploy", name: "nope" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await viewer.api.webhooks.list({ workspace: ws })).items).not.toHaveLength(0);
  });
});

describe("REST and CLI", () => {
  it("manages endpoints over REST", async () => {
    const token = (await createToken(scope, { name: "ops", role: "EDITOR" })).token;
    const call = jsonCaller(token);
    const created = await call("POST", "/dags/deploy/webhooks", {
      name: "rest",
      authMode: "token",
      paramMapping: { ref: "/ref" },
    });
    expect(created).toMatchObject({ status: 201, body: { name: "rest", dagId: "deploy" } });
    const id = created.body.id as string;
    const listed = await call("GET", "/webhooks?dagId=deploy");
    expect(listed.body.items.map((h: { id: string }) => h.id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    expect((await call("PATCH", `/webhooks/${id}`, { mode: "sync", waitSeconds: 5 })).body).toMatchObject({
      mode: "sync",
    });
    const rotated = await call("POST", `/webhooks/${id}/rotate-secret`, {});
    expect(rotated.body.secret).toMatch(/^whsec_/);
    const sent = await deliver(id, json({ ref: "rest" }), { "x-baton-token": rotated.body.secret });
    expect(sent.status).toBeLessThan(300);
    const log = await call("GET", `/webhooks/${id}/deliveries`);
    const deliveryId = log.body.items[0].id as string;
    expect(
      (await call("GET", `/webhooks/${id}/deliveries/${deliveryId}`)).body.headers["x-baton-token"],
    ).toBe("[redacted]");
    expect((await call("POST", `/webhooks/${id}/deliveries/${deliveryId}/replay`, {})).status).toBe(201);
    expect((await call("DELETE", `/webhooks/${id}`)).status).toBe(204);
    expect((await call("GET", `/webhooks/${id}`)).status).toBe(404);
  });

  it("baton webhook create | list | rotate-secret", async () => {
    const created = await baton(
      [
        "webhook",
        "create",
        "--dag",
        "deploy",
        "--name",
        "from-cli",
        "--auth",
        "token",
        "--map",
        "ref=/ref",
        "--map",
        "sender=header:X-Sender",
      ],
      { token: await cliToken() },
    );
    expect(created.code, created.stderr).toBe(0);
    const fields = Object.fromEntries(
      created.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(/\s+/, 2) as [string, string]),
    );
    expect(fields.url).toMatch(new RegExp(`/api/hooks/${fields.id}$`));
    expect(
      (await deliver(fields.id!, json({ ref: "cli" }), { "x-baton-token": fields.secret! })).status,
    ).toBe(202);

    const listed = await baton(["webhook", "list", "--dag", "deploy", "--json"], { token: await cliToken() });
    expect(JSON.parse(listed.stdout).map((h: { name: string }) => h.name)).toContain("from-cli");
    expect(listed.stdout).not.toContain(fields.secret);

    const rotated = await baton(["webhook", "rotate-secret", "--id", fields.id!], {
      token: await cliToken(),
    });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout.trim()).toMatch(/^whsec_\S+$/);
    expect(
      (await deliver(fields.id!, json({ ref: "cli" }), { "x-baton-token": rotated.stdout.trim() })).status,
    ).toBe(202);

    const bad = await baton(["webhook", "create", "--dag", "deploy", "--name", "x", "--map", "ref"], {
      token: await cliToken(),
    });
    expect(bad.code).toBe(2);
    const unknown = await baton(["webhook", "create", "--dag", "deploy", "--name", "y", "--map", "zz=/a"], {
      token: await cliToken(),
    });
    expect(unknown.code).toBe(1);
  });
});

describe("the CLI with a sender's secret", () => {
  it("baton webhook create --auth stripe --secret-stdin --option: stored, never printed, and Stripe's signature passes", async () => {
    const secret = "whsec_from_the_stripe_dashboard_cli";
    const { code, stdout, stderr } = await baton(
      [
        "webhook",
        "create",
        "--dag",
        "deploy",
        "--name",
        "stripe-cli",
        "--auth",
        "stripe",
        "--option",
        "toleranceSeconds=600",
        "--secret-stdin",
        "--map",
        "ref=/ref",
        "--json",
      ],
      { stdin: `${secret}\n`, token: await cliToken() },
    );
    expect(code, stderr).toBe(0);
    expect(stdout).not.toContain(secret);
    const created = JSON.parse(stdout) as {
      id: string;
      authMode: string;
      authOptions: Record<string, unknown>;
    };
    expect(created).toMatchObject({ authMode: "stripe", authOptions: { toleranceSeconds: 600 } });
    const body = json({ id: "evt_cli", ref: "from-cli" });
    const header = new Stripe("sk_test_unused").webhooks.generateTestHeaderString({ payload: body, secret });
    expect((await deliver(created.id, body, { "stripe-signature": header })).status).toBe(202);
  });
});

describe("provider presets, freshly signed deliveries through the route", () => {
  const stripeSdk = new Stripe("sk_test_unused");
  const cases: Array<{
    authMode: Parameters<typeof owner.api.webhooks.create>[0]["authMode"] & string;
    secret?: string;
    authOptions?: Record<string, unknown>;
    /** A signed delivery: content type, body, headers (the provider's id included). */
    signed: (
      secret: string,
      url: string,
      n: number,
    ) => { type: string; body: string; headers: Record<string, string> };
  }> = [
    {
      authMode: "github",
      signed: (secret, _url, n) => {
        const body = json({ ref: `gh-${n}` });
        return {
          type: "application/json",
          body,
          headers: {
            ...providers.github.sign(secret, { body }, {}),
            "x-github-delivery": `gh-delivery-${n}`,
          },
        };
      },
    },
    {
      authMode: "gitlab",
      signed: (secret, _url, n) => ({
        type: "application/json",
        body: json({ ref: `gl-${n}` }),
        headers: { "x-gitlab-token": secret, "idempotency-key": `gl-${n}` },
      }),
    },
    {
      authMode: "stripe",
      secret: "whsec_pasted_from_the_stripe_dashboard",
      signed: (secret, _url, n) => {
        const body = json({ id: `evt_${n}`, object: "event", ref: `stripe-${n}` });
        return {
          type: "application/json",
          body,
          headers: {
            "stripe-signature": stripeSdk.webhooks.generateTestHeaderString({ payload: body, secret }),
          },
        };
      },
    },
    {
      authMode: "slack",
      secret: "8f742231b10e8888abcd99yyyzzz85a5",
      signed: (secret, _url, n) => {
        const body = json({ type: "event_callback", event_id: `Ev${n}`, ref: `slack-${n}` });
        return {
          type: "application/json",
          body,
          headers: providers.slack.sign(secret, { body }, { toleranceSeconds: 300 }),
        };
      },
    },
    {
      authMode: "standard",
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      signed: (secret, _url, n) => {
        const body = json({ ref: `std-${n}` });
        return {
          type: "application/json",
          body,
          headers: providers.standard.sign(secret, { body, id: `msg_${n}` }, { toleranceSeconds: 300 }),
        };
      },
    },
    {
      authMode: "shopify",
      secret: "shpss_example_client_secret",
      signed: (secret, _url, n) => {
        const body = json({ id: n, ref: `shop-${n}` });
        return {
          type: "application/json",
          body,
          headers: { ...providers.shopify.sign(secret, { body }, {}), "x-shopify-webhook-id": `shop-${n}` },
        };
      },
    },
    {
      authMode: "twilio",
      secret: "0123456789abcdef0123456789abcdef",
      signed: (secret, url, n) => {
        const body = new URLSearchParams({ CallSid: `CA${n}`, ref: `tw-${n}` }).toString();
        return {
          type: "application/x-www-form-urlencoded",
          body,
          headers: {
            ...providers.twilio.sign(secret, { body, url }, {}),
            "i-twilio-idempotency-token": `tw-${n}`,
          },
        };
      },
    },
    {
      authMode: "generic_hmac",
      authOptions: { header: "X-Signature", algorithm: "sha1", encoding: "base64", prefix: "sha1=" },
      signed: (secret, _url, n) => {
        const body = json({ ref: `gen-${n}` });
        const headers = providers.generic_hmac.sign(
          secret,
          { body },
          { header: "x-signature", algorithm: "sha1", encoding: "base64", prefix: "sha1=" },
        );
        return { type: "application/json", body, headers: { ...headers, "idempotency-key": `gen-${n}` } };
      },
    },
    {
      authMode: "token",
      authOptions: { header: "X-Webhook-Secret" },
      signed: (secret, _url, n) => ({
        type: "application/json",
        body: json({ ref: `tok-${n}` }),
        headers: { "x-webhook-secret": secret, "idempotency-key": `tok-${n}` },
      }),
    },
  ];

  for (const c of cases) {
    it(`${c.authMode}: accepted, deduplicated by its delivery id, refused with another secret`, async () => {
      const h = await hook({
        authMode: c.authMode,
        paramMapping: { ref: "/ref" },
        ...(c.secret ? { secret: c.secret } : {}),
        ...(c.authOptions ? { authOptions: c.authOptions } : {}),
      });
      const send = (secret: string, n: number) => {
        // The URL the sender calls (Twilio signs it): where deliver() posts.
        const { type, body, headers } = c.signed(secret, `http://hooks.example.com/api/hooks/${h.id}`, n);
        return deliver(h.id, body, { "content-type": type, ...headers });
      };
      const first = await send(h.secret, 1);
      expect(first.status, JSON.stringify(first.body)).toBe(202);
      const repeat = await send(h.secret, 1);
      expect(repeat.body).toMatchObject({ runId: first.body.runId, duplicate: true });
      expect((await waitForRun(first.body.runId)).params).toMatchObject({
        ref: expect.stringContaining("-1"),
      });
      const other = await send(
        c.authMode === "standard"
          ? "whsec_c2hvcnRlcl9idXRfdmFsaWRfa2V5X2J5dGVzX2hlcmU="
          : `${h.secret}-other`,
        2,
      );
      expect(other.status).toBe(401);
    });
  }

  it("slack: the URL verification challenge is answered, logged, and starts no run", async () => {
    const h = await hook({ authMode: "slack", secret: "8f742231b10e8888abcd99yyyzzz85a5" });
    const body = json({
      token: "x",
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      type: "url_verification",
    });
    const answer = await deliver(
      h.id,
      body,
      providers.slack.sign(h.secret, { body }, { toleranceSeconds: 300 }),
    );
    expect(answer).toMatchObject({
      status: 200,
      body: { challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" },
    });
    expect((await deliveries(h.id))[0]).toMatchObject({ result: "challenge", runId: null });
  });

  it("a pasted secret that cannot be the preset's is refused by name; switching preset keeps a fitting secret", async () => {
    await expect(hook({ authMode: "standard", secret: "not base64 at all!" })).rejects.toMatchObject({
      code: "UNPROCESSABLE_CONTENT",
      cause: { problems: [{ path: "secret", message: expect.stringContaining("base64") }] },
    });
    await expect(
      hook({ authMode: "generic_hmac", authOptions: { header: "X-Sig", algorithm: "md5" } }),
    ).rejects.toMatchObject({
      cause: { problems: [{ path: "authOptions.algorithm" }] },
    });
    // A pasted secret that is not base64 (a generated one is base64url: a quarter of them fit).
    const h = await hook({ authMode: "github", secret: "gh-pasted*secret" });
    await expect(
      owner.api.webhooks.update({ workspace: ws, webhookId: h.id, authMode: "standard" }),
    ).rejects.toMatchObject({
      cause: { problems: [{ path: "secret" }] },
    });
    const pasted = await owner.api.webhooks.update({
      workspace: ws,
      webhookId: h.id,
      authMode: "stripe",
      secret: "whsec_rolled_in_stripe",
      authOptions: { toleranceSeconds: 600 },
    });
    expect(pasted).toMatchObject({ authMode: "stripe", authOptions: { toleranceSeconds: 600 } });
    expect(JSON.stringify(pasted)).not.toContain("whsec_rolled_in_stripe");
    const body = json({ id: "evt_rolled", ref: "rolled" });
    const header = stripeSdk.webhooks.generateTestHeaderString({
      payload: body,
      secret: "whsec_rolled_in_stripe",
    });
    expect((await deliver(h.id, body, { "stripe-signature": header })).status).toBe(202);
  });
});
