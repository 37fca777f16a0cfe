// Accepting, idempotency and run creation as one story: a delivery is accepted by one insert and
// answered 202 with the run it will start; the engine creates that run and settles the delivery in
// one transaction. Web processes and workers killed at random points leave no delivery accepted
// without its run, and no delivery with two; a retry with the same key is answered at once.
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST } from "@/app/api/hooks/[endpointId]/route";
import { archiveDag, pushDag, unarchiveDag } from "@/server/dags/service";
import { db } from "@/server/db/client";
import { startAllDeliveryRuns } from "@/server/engine/webhook-runs";
import { resumeWorkspace, suspendWorkspace } from "@/server/quotas/suspension";
import { handleRest } from "@/server/rest/handler";
import { generateKey } from "@/server/secrets/crypto";
import { openWorkspace, type WorkspaceScope } from "@/server/tenancy/door";
import { createToken } from "@/server/tokens/service";
import { signBody } from "@/server/webhooks/signature";
import { createUser } from "../support/factories";

let owner: Awaited<ReturnType<typeof createUser>>;
let scope: WorkspaceScope;
let ws: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
  owner = await createUser("ingest");
  ws = owner.workspace.slug;
  await db.workspace.update({
    where: { id: owner.workspace.id },
    data: { maxConcurrentTasks: 0, webhookRateLimitPerMinute: 100_000 },
  });
  scope = await openWorkspace(owner.caller, ws, "dags:write");
  await pushDag(scope, {
    document: {
      id: "ingest",
      maxActiveRuns: 1000,
      params: { ref: { type: "string", required: true } },
      tasks: [{ id: "t", operator: "noop" }],
    },
  });
});
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

async function hook() {
  const created = await owner.api.webhooks.create({
    workspace: ws,
    dagId: "ingest",
    name: `hook-${Math.random().toString(36).slice(2, 8)}`,
    paramMapping: { ref: "/ref" },
  });
  return { ...created, secret: created.secret! };
}

async function deliver(h: { id: string; secret: string }, ref: string, key?: string) {
  const body = JSON.stringify({ ref });
  const response = await POST(
    new Request(`http://hooks.example.com/api/hooks/${h.id}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-baton-signature": signBody(h.secret, body),
        ...(key ? { "idempotency-key": key } : {}),
      },
      body,
    }),
    { params: Promise.resolve({ endpointId: h.id }) },
  );
  return { status: response.status, body: await response.json() };
}

const runsOf = (endpointName: string) =>
  db.dagRun.findMany({
    where: { workspaceId: owner.workspace.id, triggeredByLabel: `webhook ${endpointName}` },
  });

function spawnChild(script: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start in 60 s`)), 60_000);
    child.stdout!.on("data", (data: Buffer) => {
      if (data.toString().includes("ready")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on("error", reject);
  });
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });

describe("accepting", () => {
  it("answers 202 naming the run before it exists; the engine creates exactly that run once", async () => {
    const h = await hook();
    const accepted = await deliver(h, "main", "once");
    expect(accepted).toMatchObject({ status: 202, body: { duplicate: false } });
    const { runId, deliveryId } = accepted.body;
    expect(await db.dagRun.findUnique({ where: { id: runId } })).toBeNull();
    expect(await db.webhookDelivery.findUnique({ where: { id: deliveryId } })).toMatchObject({
      result: "pending",
      statusCode: 202,
      runId,
    });

    // A retry with the same key while the run does not exist yet: answered at once, the same run.
    const retry = await deliver(h, "main", "once");
    expect(retry).toMatchObject({
      status: 202,
      body: { runId, duplicate: true, originalDeliveryId: deliveryId },
    });

    // Three engines at once over the same pending delivery: one run.
    await Promise.all([startAllDeliveryRuns(), startAllDeliveryRuns(), startAllDeliveryRuns()]);
    const runs = await runsOf(h.name);
    expect(runs.map((r) => [r.id, r.runKey, r.params])).toEqual([
      [runId, `webhook__${deliveryId}`, { ref: "main" }],
    ]);
    expect(await db.webhookDelivery.findUnique({ where: { id: deliveryId } })).toMatchObject({
      result: "accepted",
      runId,
      params: null,
    });
    const audit = await db.auditEvent.findMany({
      where: { workspaceId: owner.workspace.id, action: "run.trigger", target: "ingest" },
    });
    expect(audit.filter((a) => (a.metadata as { runId: string }).runId === runId)).toHaveLength(1);
  });

  it("a delivery the DAG can no longer run is logged refused with the reason, and frees its key", async () => {
    const h = await hook();
    const first = await deliver(h, "main", "archived-meanwhile");
    await archiveDag(scope, "ingest");
    try {
      await startAllDeliveryRuns();
    } finally {
      await unarchiveDag(scope, "ingest");
    }
    expect(await db.webhookDelivery.findUnique({ where: { id: first.body.deliveryId } })).toMatchObject({
      result: "error",
      statusCode: 409,
      message: "DAG ingest is archived; unarchive it to run it",
      runId: null,
      idempotencyKey: null,
    });
    expect(await db.dagRun.findUnique({ where: { id: first.body.runId } })).toBeNull();
    const again = await deliver(h, "main", "archived-meanwhile");
    expect(again.body.duplicate).toBe(false);
    await startAllDeliveryRuns();
    expect((await runsOf(h.name)).map((r) => r.id)).toEqual([again.body.runId]);
  });
});

describe("the endpoints a process keeps (endpoint-cache.ts)", () => {
  it("answers a change made in this process at its next delivery", async () => {
    const h = await hook();
    const status = async (secret = h.secret) => (await deliver({ ...h, secret }, "main")).status;
    expect(await status()).toBe(202); // the endpoint is now kept for a second
    await owner.api.webhooks.update({ workspace: ws, webhookId: h.id, enabled: false });
    expect(await status()).toBe(404);
    await owner.api.webhooks.update({ workspace: ws, webhookId: h.id, enabled: true });
    expect(await status()).toBe(202);
    const rotated = await owner.api.webhooks.rotateSecret({ workspace: ws, webhookId: h.id });
    expect(await status()).toBe(401);
    expect(await status(rotated.secret!)).toBe(202);
    await archiveDag(scope, "ingest");
    try {
      expect(await status(rotated.secret!)).toBe(409);
    } finally {
      await unarchiveDag(scope, "ingest");
    }
    expect(await status(rotated.secret!)).toBe(202);
    const actor = { kind: "system" as const, label: "test" };
    await suspendWorkspace({ workspaceId: owner.workspace.id, reason: "checking the cache", actor });
    try {
      expect(await status(rotated.secret!)).toBe(503);
    } finally {
      await resumeWorkspace({ workspaceId: owner.workspace.id, actor });
    }
    expect(await status(rotated.secret!)).toBe(202);
  });
});

describe("killed processes", () => {
  it("a web process killed mid-request, its sender retrying every key: each key has exactly one run", async () => {
    const h = await hook();
    const KEYS = 300;
    const web = await spawnChild("test/support/webhook-sender-process.ts", {
      HOOK_ID: h.id,
      HOOK_SECRET: h.secret,
      KEYS: String(KEYS),
    });
    // Killed once some deliveries went in, with others in flight.
    for (let i = 0; i < 200; i++) {
      if ((await db.webhookDelivery.count({ where: { endpointId: h.id } })) >= 40) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await killed(web);
    const before = await db.webhookDelivery.count({ where: { endpointId: h.id } });
    expect(before).toBeGreaterThan(0);

    // The sender retries every key it was not answered for (here: all of them).
    const answers = new Map<string, string>();
    for (let k = 0; k < KEYS; k++) {
      const retry = await deliver(h, `k${k}`, `k${k}`);
      expect(retry.status).toBe(202);
      answers.set(`k${k}`, retry.body.runId);
    }
    await startAllDeliveryRuns();

    const runs = await runsOf(h.name);
    expect(runs).toHaveLength(KEYS);
    expect(new Set(runs.map((r) => r.id))).toEqual(new Set(answers.values()));
    for (const run of runs) expect(answers.get((run.params as { ref: string }).ref)).toBe(run.id);
    expect(await db.webhookDelivery.count({ where: { endpointId: h.id, result: "pending" } })).toBe(0);
  }, 120_000);

  it("workers killed while they turn deliveries into runs: every delivery gets exactly one run", async () => {
    const h = await hook();
    const DELIVERIES = 400;
    const accepted: Array<{ deliveryId: string; runId: string }> = [];
    for (let i = 0; i < DELIVERIES; i++) accepted.push((await deliver(h, `d${i}`)).body);

    for (let round = 0; round < 4; round++) {
      const worker = await spawnChild("test/support/worker-process.ts", { WORKER_CONCURRENCY: "2" });
      await new Promise((resolve) => setTimeout(resolve, 50 + round * 40));
      await killed(worker);
    }
    await startAllDeliveryRuns();

    const runs = await runsOf(h.name);
    expect(runs).toHaveLength(DELIVERIES);
    expect(new Set(runs.map((r) => r.id))).toEqual(new Set(accepted.map((a) => a.runId)));
    const settled = await db.webhookDelivery.findMany({
      where: { endpointId: h.id },
      select: { result: true, runId: true },
    });
    expect(settled.every((d) => d.result === "accepted")).toBe(true);
  }, 180_000);
});

describe("refusing what a request does not take", () => {
  it("an unknown field (a misspelt secret) is refused by name, over tRPC and REST", async () => {
    await expect(
      owner.api.webhooks.create({
        workspace: ws,
        dagId: "ingest",
        name: "typo",
        secrte: "whsec_abcdefghijklmnop",
      } as never),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("secrte") });
    const h = await hook();
    await expect(
      owner.api.webhooks.update({ workspace: ws, webhookId: h.id, enable: false } as never),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect((await owner.api.webhooks.get({ workspace: ws, webhookId: h.id })).enabled).toBe(true);

    const token = (
      await createToken(await openWorkspace(owner.caller, ws, "tokens:manage"), {
        name: "rest",
        role: "EDITOR",
      })
    ).token;
    const response = await handleRest(
      new Request("http://localhost/api/v1/dags/ingest/webhooks", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "rest-typo", authMode: "stripe", signingSecret: "whsec_x" }),
      }),
      "/dags/ingest/webhooks",
    );
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("signingSecret");
    expect(await db.webhookEndpoint.count({ where: { name: "rest-typo" } })).toBe(0);
  });
});
