// Scale-out, proven: two web processes (`next start`, the production build) and three workers
// (`npm run worker`'s command) on one PostgreSQL that this test controls. Runs arrive through
// webhooks and the REST API on both webs, a DAG is scheduled every minute, one worker is
// SIGKILLed and PostgreSQL restarted mid-run. Then: every run ends successfully, every task has
// one successful attempt and its effect (an HTTP call outside Baton) happened once per attempt
// that reached it, never twice for one attempt (the engine's promise), no scheduled tick has two
// runs, and both webs answered 503 with Retry-After while the database was away and recovered.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createAccount } from "@/server/auth/accounts";
import { pushDag } from "@/server/dags/service";
import { db } from "@/server/db/client";
import { type EmbeddedDatabase, freePort, startEmbeddedPostgres } from "@/server/db/embedded";
import { migrateAll } from "@/server/db/migrate-all";
import { connectionFields, withDatabase } from "@/server/db/url";
import { generateKey } from "@/server/secrets/crypto";
import { openWorkspace } from "@/server/tenancy/door";
import { createToken } from "@/server/tokens/service";
import { createWebhook } from "@/server/webhooks/endpoints";
import { signBody } from "@/server/webhooks/signature";
import { startTestServer, type TestServer } from "../support/http-server";
import { until } from "../support/until";

const HOOKED_RUNS = 24;
const REST_RUNS = 12;
const TASKS = 4;

const clusterDir = mkdtempSync(path.join(os.tmpdir(), "baton-scale-out-"));
let cluster: EmbeddedDatabase;
let effects: TestServer;
const children: ChildProcess[] = [];
const masterKeys = `1:${generateKey()}`;

function spawnProcess(command: string, args: string[], extra: Record<string, string>): ChildProcess {
  const child = spawn(command, args, {
    env: {
      ...process.env,
      DATABASE_URL: process.env.DATABASE_URL,
      BATON_MASTER_KEYS: masterKeys,
      NEXTAUTH_SECRET: "scale-out-secret-scale-out-secret",
      BATON_HTTP_ALLOW: "127.0.0.1/32",
      BATON_LOG_LEVEL: "warn",
      NODE_ENV: "production",
      ...extra,
    },
    stdio: ["ignore", "ignore", process.env.SCALE_OUT_VERBOSE ? "inherit" : "ignore"],
  });
  children.push(child);
  return child;
}

beforeAll(async () => {
  cluster = await startEmbeddedPostgres({ dir: clusterDir, durable: false });
  const admin = new pg.Client(connectionFields(cluster.serverUrl));
  await admin.connect();
  await admin.query("CREATE DATABASE scale_out");
  await admin.end();
  process.env.DATABASE_URL = withDatabase(cluster.serverUrl, "scale_out");
  process.env.BATON_MASTER_KEYS = masterKeys;
  await migrateAll(process.env.DATABASE_URL);
  effects = await startTestServer({
    "/effect": (_request, response) =>
      setTimeout(() => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end("{}");
      }, 100),
  });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await effects?.close();
  await db.$disconnect().catch(() => {});
  await cluster?.stop().catch(() => {});
  rmSync(clusterDir, { recursive: true, force: true });
});

it("2 webs and 3 workers: a worker SIGKILLed and PostgreSQL restarted mid-run change no outcome", async () => {
  const { user, workspace } = await createAccount({
    email: "scale@example.com",
    name: "scale",
    password: "scale out password",
  });
  await db.workspace.update({
    where: { id: workspace.id },
    data: { maxConcurrentTasks: 1000, webhookRateLimitPerMinute: 100_000, maxConcurrentRuns: 1000 },
  });
  const scope = await openWorkspace(
    { kind: "user", userId: user.id, email: user.email },
    workspace.slug,
    "dags:write",
  );
  const tasks = Array.from({ length: TASKS }, (_, i) => ({
    id: `t${i}`,
    operator: "http",
    config: { url: `${effects.url}/effect?run={{ run.id }}&task={{ task.id }}` },
    dependsOn: i === 0 ? [] : [`t${i - 1}`],
  }));
  const defaults = { retries: 5, retryDelaySeconds: 0.5 };
  await pushDag(scope, { document: { id: "work", maxActiveRuns: 1000, defaults, tasks } });
  await pushDag(scope, {
    document: {
      id: "ticking",
      schedule: { type: "interval", every: "1m" },
      catchup: false,
      defaults,
      tasks: [tasks[0]!],
    },
  });
  const hook = await createWebhook(scope, {
    dagId: "work",
    name: "ci",
    authMode: "hmac",
    baseUrl: "http://scale.local",
  });
  const { token } = await createToken(scope, { name: "ops", role: "ADMIN" });

  const webs: string[] = [];
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    spawnProcess("next", ["start", "--port", String(port)], { NEXTAUTH_URL: `http://127.0.0.1:${port}` });
    webs.push(`http://127.0.0.1:${port}`);
  }
  const workers: { child: ChildProcess; health: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    // The worker itself (not a tsx wrapper), so that SIGKILL kills it.
    const child = spawnProcess(process.execPath, ["--import", "tsx", "worker/main.ts"], {
      BATON_WORKER_HEALTH_PORT: String(port),
      BATON_WORKER_CONCURRENCY: "4",
      BATON_LOST_ATTEMPT_SECONDS: "5",
      BATON_REAP_EVERY_MS: "1000",
    });
    workers.push({ child, health: `http://127.0.0.1:${port}` });
  }
  for (const web of webs) await until(`${web} to be ready`, async () => (await fetch(`${web}/api/ready`)).ok);
  for (const w of workers)
    await until("a worker to be ready", async () => (await fetch(`${w.health}/ready`)).ok);

  const api = (web: string, route: string, init: RequestInit = {}) =>
    fetch(`${web}/api/v1${route}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
    });
  const deliver = async (web: string) => {
    const body = JSON.stringify({ id: randomUUID() });
    const answer = await fetch(`${web}/api/hooks/${hook.id}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-baton-signature": signBody(hook.secret!, body) },
      body,
    });
    expect(answer.status).toBe(202);
    return ((await answer.json()) as { runId: string }).runId;
  };
  const trigger = async (web: string) => {
    const answer = await api(web, "/dags/work/runs", {
      method: "POST",
      body: JSON.stringify({ params: {} }),
    });
    expect(answer.status).toBeLessThan(300);
    return ((await answer.json()) as { id: string }).id;
  };

  const runIds: string[] = [];
  for (let i = 0; i < HOOKED_RUNS; i++) runIds.push(await deliver(webs[i % 2]!));
  for (let i = 0; i < REST_RUNS; i++) runIds.push(await trigger(webs[i % 2]!));

  // Mid-run: a worker dies without warning, then the database restarts.
  await until("work in flight", async () => effects.to("/effect").length >= 10);
  workers[0]!.child.kill("SIGKILL");
  await cluster.stop();
  for (const web of webs) {
    const answer = await api(web, "/runs");
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("5");
  }
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  cluster = await startEmbeddedPostgres({ dir: clusterDir, port: cluster.port, durable: false });
  for (const web of webs)
    await until(`${web} to recover`, async () => (await api(web, "/runs")).status === 200);

  const ended = await until(
    "every run to end",
    async () => {
      const runs = await db.dagRun.findMany({ where: { id: { in: runIds } }, select: { state: true } });
      return runs.length === runIds.length &&
        runs.every((r) => ["success", "failed", "cancelled"].includes(r.state))
        ? runs
        : undefined;
    },
    180_000,
  );
  expect(ended.map((r) => r.state)).toEqual(runIds.map(() => "success"));
  expect(workers[1]!.child.exitCode).toBeNull();
  expect(workers[2]!.child.exitCode).toBeNull();

  // One successful attempt per task; at most one effect per attempt (an attempt killed with its
  // worker may have left its effect before dying, and its retry makes its own).
  const instances = await db.taskInstance.findMany({
    where: { runId: { in: runIds } },
    include: { attempts: true },
  });
  expect(instances).toHaveLength(runIds.length * TASKS);
  expect(instances.filter((ti) => ti.attempts.filter((a) => a.state === "success").length !== 1)).toEqual([]);
  const effectsOf = new Map<string, number>();
  for (const request of effects.to("/effect")) {
    const key = `${request.query.get("run")}/${request.query.get("task")}`;
    effectsOf.set(key, (effectsOf.get(key) ?? 0) + 1);
  }
  const twice = instances.filter((ti) => {
    const n = effectsOf.get(`${ti.runId}/${ti.taskId}`) ?? 0;
    return n < 1 || n > ti.attempts.length;
  });
  expect(twice).toEqual([]);

  // No scheduled tick has two runs.
  const scheduled = await db.dagRun.groupBy({
    by: ["dagId", "logicalDate"],
    where: { workspaceId: workspace.id, triggeredBy: "schedule" },
    _count: true,
  });
  expect(scheduled.filter((s) => s._count > 1)).toEqual([]);

  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
});
