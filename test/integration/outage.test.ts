// Database outages, as an operator meets them: PostgreSQL (a cluster this test controls) stops
// for longer than a heartbeat may be missed while runs are in flight on a worker started with the
// production command. The worker does not exit, a second worker started while the database is
// down waits for it, the web answers 503 with Retry-After (API, webhooks, readiness), and once the
// database is back, everything recovers by itself: every run ends, and no task's effect (an HTTP
// call outside Baton) happens twice — a completion that could not be written is retried by the
// worker that ran it, and no reaper takes a live attempt for lost.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { POST as hook } from "@/app/api/hooks/[endpointId]/route";
import { GET as ready } from "@/app/api/ready/route";
import { GET as rest } from "@/app/api/v1/[...path]/route";
import { db } from "@/server/db/client";
import { type EmbeddedDatabase, freePort, startEmbeddedPostgres } from "@/server/db/embedded";
import { migrateAll } from "@/server/db/migrate-all";
import { connectionFields, withDatabase } from "@/server/db/url";
import { triggerRun } from "@/server/engine/runs";
import { generateKey } from "@/server/secrets/crypto";
import { storeDag, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { startTestServer, type TestServer } from "../support/http-server";
import { until } from "../support/until";

const RUNS = 8;
const TASKS = 6;
const OUTAGE_MS = 9_000;
const LOST_AFTER_SECONDS = 5;

const clusterDir = mkdtempSync(path.join(os.tmpdir(), "baton-outage-"));
let cluster: EmbeddedDatabase;
let port: number;
let effects: TestServer;
const workers: ChildProcess[] = [];
const masterKeys = `1:${generateKey()}`;

function startWorkerProcess(healthPort: number): ChildProcess {
  // The worker itself (not a tsx wrapper), so that a signal, SIGKILL included, reaches it.
  const child = spawn(process.execPath, ["--import", "tsx", "worker/main.ts"], {
    env: {
      ...process.env,
      DATABASE_URL: process.env.DATABASE_URL,
      BATON_MASTER_KEYS: masterKeys,
      BATON_HTTP_ALLOW: "127.0.0.1/32",
      BATON_WORKER_HEALTH_PORT: String(healthPort),
      BATON_WORKER_CONCURRENCY: "6",
      // Attempts count as lost after 5 s without a heartbeat, and reapers look every second: an
      // outage of 9 s is long enough for a careless reaper to retry live attempts.
      BATON_LOST_ATTEMPT_SECONDS: String(LOST_AFTER_SECONDS),
      BATON_REAP_EVERY_MS: "1000",
      BATON_SHUTDOWN_GRACE_SECONDS: "5",
      NODE_ENV: "production",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    if (process.env.OUTAGE_TEST_VERBOSE) process.stderr.write(chunk);
  });
  workers.push(child);
  return child;
}

beforeAll(async () => {
  cluster = await startEmbeddedPostgres({ dir: clusterDir, durable: false });
  port = cluster.port;
  const admin = new pg.Client(connectionFields(cluster.serverUrl));
  await admin.connect();
  await admin.query("CREATE DATABASE outage");
  await admin.end();
  // This file's web handlers and services use the controlled cluster.
  process.env.DATABASE_URL = withDatabase(cluster.serverUrl, "outage");
  process.env.BATON_MASTER_KEYS = masterKeys;
  await migrateAll(process.env.DATABASE_URL);
  // Each effect takes a moment, so attempts are in flight when the database goes.
  effects = await startTestServer({
    "/effect": (_request, response) => {
      setTimeout(() => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end("{}");
      }, 150);
    },
  });
}, 120_000);

afterAll(async () => {
  for (const child of workers) if (child.exitCode === null) child.kill("SIGKILL");
  await effects?.close();
  await db.$disconnect().catch(() => {});
  await cluster?.stop().catch(() => {});
  rmSync(clusterDir, { recursive: true, force: true });
});

it("survives PostgreSQL going away mid-run: no exit, 503s meanwhile, every run ends, no effect twice", async () => {
  const owner = await createUser("outage");
  const token = (
    await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "ops", role: "ADMIN" })
  ).token;
  const scope = await workspaceScope(owner.workspace.id, { maxConcurrentTasks: 100 });
  await storeDag(scope, {
    id: "effects",
    maxActiveRuns: RUNS,
    tasks: Array.from({ length: TASKS }, (_, i) => ({
      id: `t${i}`,
      operator: "http",
      config: { url: `${effects.url}/effect?run={{ run.id }}&task={{ task.id }}` },
      dependsOn: i % 3 === 0 ? [] : [`t${i - 1}`],
    })),
  });
  const endpoint = await owner.api.webhooks.create({
    workspace: owner.workspace.slug,
    dagId: "effects",
    name: "ci",
  });

  const firstHealth = await freePort();
  const first = startWorkerProcess(firstHealth);
  await until(
    "the worker to be ready",
    async () => (await fetch(`http://127.0.0.1:${firstHealth}/ready`)).ok || undefined,
  );

  const runIds: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    runIds.push((await triggerRun(scope, { dagKey: "effects", triggeredBy: "manual" })).id);
  }
  // Some work done, more in flight.
  await until("the first effects", async () => effects.to("/effect").length >= RUNS || undefined);

  await cluster.stop();
  const downSince = Date.now();
  const restGet = () =>
    rest(new Request("http://localhost/api/v1/runs", { headers: { authorization: `Bearer ${token}` } }), {
      params: Promise.resolve({ path: ["runs"] }),
    });
  const apiAnswer = await restGet();
  expect(apiAnswer.status).toBe(503);
  expect(apiAnswer.headers.get("retry-after")).toBe("5");
  const delivery = await hook(new Request("http://localhost/api/hooks/x", { method: "POST", body: "{}" }), {
    params: Promise.resolve({ endpointId: endpoint.id }),
  });
  expect(delivery.status).toBe(503);
  expect(delivery.headers.get("retry-after")).toBe("5");
  const readiness = await ready();
  expect(readiness.status).toBe(503);
  expect((await readiness.json()).checks.database).toMatch(/^unreachable/);

  // A worker started while the database is away waits for it instead of exiting.
  const secondHealth = await freePort();
  const second = startWorkerProcess(secondHealth);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - downSince))));
  expect(first.exitCode).toBeNull();
  expect(second.exitCode).toBeNull();
  expect((await fetch(`http://127.0.0.1:${firstHealth}/ready`)).status).toBe(503);

  cluster = await startEmbeddedPostgres({ dir: clusterDir, port, durable: false });

  // Recovered by itself: the API answers again, both workers become ready, every run ends.
  await until("the API to answer again", async () => (await restGet()).status === 200 || undefined, 30_000);
  await until(
    "the second worker to be ready",
    async () => (await fetch(`http://127.0.0.1:${secondHealth}/ready`)).ok || undefined,
  );
  const ended = await until(
    "every run to end",
    async () => {
      const runs = await db.dagRun.findMany({ where: { id: { in: runIds } }, select: { state: true } });
      return runs.every((r) => ["success", "failed", "cancelled"].includes(r.state)) ? runs : undefined;
    },
    120_000,
  );
  const failures = await db.taskAttempt.findMany({
    where: { workspaceId: owner.workspace.id, state: { not: "success" } },
    select: { state: true, error: true },
  });
  expect(failures).toEqual([]);
  expect(ended.map((r) => r.state)).toEqual(runIds.map(() => "success"));

  // Exactly one attempt and one effect per task: the outage re-ran nothing.
  const attempts = await db.taskAttempt.groupBy({
    by: ["taskInstanceId"],
    where: { workspaceId: owner.workspace.id },
    _count: true,
  });
  expect(attempts).toHaveLength(RUNS * TASKS);
  expect(attempts.filter((a) => a._count !== 1)).toEqual([]);
  const counts = new Map<string, number>();
  for (const request of effects.to("/effect")) {
    const key = `${request.query.get("run")}/${request.query.get("task")}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  expect(counts.size).toBe(RUNS * TASKS);
  expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
  expect(first.exitCode).toBeNull();
  expect(second.exitCode).toBeNull();

  // And they stop cleanly when asked.
  const exits = [first, second].map(
    (child) => new Promise<number | null>((resolve) => child.once("exit", resolve)),
  );
  for (const child of [first, second]) child.kill("SIGTERM");
  expect(await Promise.all(exits)).toEqual([0, 0]);
}, 480_000);
