// Operability as an operator sees it: health and readiness of the web and the worker, Prometheus
// metrics parsed with a Prometheus text parser after real work (runs, a webhook delivery, a
// scheduled run, API requests), the metrics token, and structured logs carrying the ids of the
// request, workspace, run, task instance and attempt they are about.
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { POST as hook } from "@/app/api/hooks/[endpointId]/route";
import { GET as metricsRoute } from "@/app/api/metrics/route";
import { GET as ready } from "@/app/api/ready/route";
import { GET as rest } from "@/app/api/v1/[...path]/route";
import { triggerRun } from "@/server/engine/runs";
import { registerWorker, unregisterWorker } from "@/server/engine/worker-registry";
import { logTo } from "@/server/observability/logger";
import { createTickRuns } from "@/server/schedules/scheduler";
import { generateKey } from "@/server/secrets/crypto";
import { startHealthServer } from "@/worker/health";
import { startTestWorker, stopTestWorker, storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";

process.env.BATON_MASTER_KEYS = `1:${generateKey()}`;
const lines: Record<string, unknown>[] = [];
logTo(
  new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  }),
  "debug",
);

let owner: Awaited<ReturnType<typeof createUser>>;
let token: string;
let runId: string;

beforeAll(async () => {
  await startTestWorker(4);
  owner = await createUser("observability");
  token = (await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "ops", role: "ADMIN" }))
    .token;
  const scope = await workspaceScope(owner.workspace.id);
  await storeDag(scope, {
    id: "observed",
    schedule: { type: "interval", every: "1h" },
    tasks: [
      { id: "first", operator: "noop" },
      { id: "second", operator: "noop", dependsOn: ["first"] },
      { id: "third", operator: "noop", dependsOn: ["second"] },
    ],
  });
  const run = await triggerRun(scope, { dagKey: "observed", triggeredBy: "manual" });
  runId = run.id;
  await waitForRun(run.id);
  // A scheduled run, created a little after its tick was due.
  const end = new Date(Date.now() - 1500);
  await createTickRuns(scope, {
    dagKey: "observed",
    ticks: [[new Date(end.getTime() - 3_600_000).toISOString(), end.toISOString()]],
    triggeredBy: "schedule",
  });
  // A webhook delivery the endpoint refuses (no signature) and one to no endpoint.
  const endpoint = await owner.api.webhooks.create({
    workspace: owner.workspace.slug,
    dagId: "observed",
    name: "ci",
  });
  await hook(new Request("http://localhost/api/hooks/x", { method: "POST", body: "{}" }), {
    params: Promise.resolve({ endpointId: endpoint.id }),
  });
  await hook(new Request("http://localhost/api/hooks/x", { method: "POST", body: "{}" }), {
    params: Promise.resolve({ endpointId: "00000000-0000-4000-8000-000000000000" }),
  });
}, 60_000);

afterAll(() => stopTestWorker());

const restGet = (path: string, headers: Record<string, string> = {}) =>
  rest(
    new Request(`http://localhost/api/v1/${path}`, {
      headers: { authorization: `Bearer ${token}`, ...headers },
    }),
    {
      params: Promise.resolve({ path: path.split("/") }),
    },
  );

describe("health", () => {
  it("the web answers /api/health and /api/ready (database reachable, migrations current)", async () => {
    expect((await health()).status).toBe(200);
    const answer = await ready();
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ready: true, checks: { database: "ok", migrations: "ok" } });
  });

  it("the worker answers the same on its port, and /ready says 503 while it stops", async () => {
    process.env.BATON_WORKER_HEALTH_PORT = "0";
    let stopping = false;
    const server = (await startHealthServer(() => stopping))!;
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(names(text)).toContain("baton_attempts_started_total");
      stopping = true;
      const stoppingAnswer = await fetch(`${base}/ready`);
      expect(stoppingAnswer.status).toBe(503);
      expect(await stoppingAnswer.json()).toMatchObject({ ready: false, stopping: true });
    } finally {
      await server.close();
      delete process.env.BATON_WORKER_HEALTH_PORT;
    }
  });
});

describe("metrics", () => {
  it("has every named series after a run, in Prometheus text format", async () => {
    expect((await restGet("runs")).status).toBe(200);
    // Work that waits: a worker registered (its slots count) but running nothing, so a new run's
    // first task is admitted and stays there.
    await stopTestWorker();
    await registerWorker({ id: randomUUID(), pools: ["shared"], slots: 2 });
    await triggerRun(await workspaceScope(owner.workspace.id), { dagKey: "observed", triggeredBy: "manual" });
    const answer = await metricsRoute(new Request("http://localhost/api/metrics"));
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await answer.text();
    const families = parsePrometheusTextFormat(text);
    const family = (name: string) => families.find((f) => f.name === name);
    for (const name of [
      "baton_attempts_started_total",
      "baton_attempts_ended_total",
      "baton_hop_latency_seconds",
      "baton_queue_to_start_seconds",
      "baton_ready_tasks",
      "baton_held_slots",
      "baton_webhook_deliveries_total",
      "baton_reaper_repairs_total",
      "baton_scheduler_lag_seconds",
      "baton_http_request_duration_seconds",
    ]) {
      expect(family(name), name).toBeDefined();
      expect(family(name)!.metrics.length, name).toBeGreaterThan(0);
    }
    const value = (name: string, labels: Record<string, string>) =>
      Number(
        (family(name)!.metrics as { labels?: Record<string, string>; value?: string }[]).find((m) =>
          Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
        )?.value ?? 0,
      );
    const count = (name: string) => Number((family(name)!.metrics[0] as { count: string }).count);
    expect(value("baton_attempts_started_total", { operator: "noop" })).toBeGreaterThanOrEqual(3);
    expect(
      value("baton_attempts_ended_total", { operator: "noop", outcome: "success" }),
    ).toBeGreaterThanOrEqual(3);
    // The second and third tasks each followed a completion: hops.
    expect(count("baton_hop_latency_seconds")).toBeGreaterThanOrEqual(2);
    expect(count("baton_queue_to_start_seconds")).toBeGreaterThanOrEqual(1);
    expect(count("baton_scheduler_lag_seconds")).toBeGreaterThanOrEqual(1);
    expect(value("baton_webhook_deliveries_total", { result: "unauthorized" })).toBe(1);
    expect(value("baton_webhook_deliveries_total", { result: "not_found" })).toBe(1);
    // The parser flattens labelled histograms, so their series are read from the text itself.
    const requests = text
      .split("\n")
      .filter((line) => line.startsWith("baton_http_request_duration_seconds_count{"));
    expect(
      requests.some(
        (line) =>
          line.includes('route="/api/v1/[...path]"') &&
          line.includes('method="GET"') &&
          line.includes('status="200"'),
      ),
    ).toBe(true);
    // Route patterns, never paths with ids: the hook's endpoint id is not a label.
    expect(requests.some((line) => line.includes('route="/api/hooks/[endpointId]"'))).toBe(true);
    expect(requests.every((line) => !/[0-9a-f]{8}-[0-9a-f]{4}/.test(line))).toBe(true);
    const waiting = { workspace: owner.workspace.slug, pool: "default" };
    expect(value("baton_ready_tasks", waiting)).toBeGreaterThanOrEqual(1);
    expect(value("baton_held_slots", waiting)).toBeGreaterThanOrEqual(1);
    await unregisterWorker();
  });

  it("asks for the bearer token when BATON_METRICS_TOKEN is set", async () => {
    process.env.BATON_METRICS_TOKEN = "scrape-secret-0123456789";
    try {
      expect((await metricsRoute(new Request("http://localhost/api/metrics"))).status).toBe(401);
      const wrong = { authorization: "Bearer scrape-secret-9876543210" };
      expect(
        (await metricsRoute(new Request("http://localhost/api/metrics", { headers: wrong }))).status,
      ).toBe(401);
      const right = { authorization: "Bearer scrape-secret-0123456789" };
      expect(
        (await metricsRoute(new Request("http://localhost/api/metrics", { headers: right }))).status,
      ).toBe(200);
    } finally {
      delete process.env.BATON_METRICS_TOKEN;
    }
  });
});

describe("structured logs", () => {
  it("a request's lines carry its id (given or made), its route and its workspace; the answer names the id", async () => {
    const answer = await restGet(`runs/${runId}`, { "x-request-id": "req-observability-1" });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-request-id")).toBe("req-observability-1");
    const line = lines.find((l) => l.requestId === "req-observability-1" && l.msg === "request");
    expect(line).toMatchObject({
      level: "info",
      route: "/api/v1/[...path]",
      method: "GET",
      status: 200,
      workspaceId: owner.workspace.id,
    });
    const made = (await restGet("runs")).headers.get("x-request-id");
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("an attempt's lines carry its workspace, run, task instance and attempt", async () => {
    const ended = lines.filter((l) => l.msg === "attempt ended" && l.runId === runId);
    expect(ended).toHaveLength(3);
    for (const line of ended) {
      expect(line).toMatchObject({ workspaceId: owner.workspace.id, operator: "noop", outcome: "success" });
      expect(line.taskInstanceId).toEqual(expect.any(String));
      expect(line.attemptId).toEqual(expect.any(String));
    }
  });

  it("graphile-worker's own lines come through the same logger", () => {
    expect(lines.some((l) => l.component === "graphile-worker")).toBe(true);
  });
});

function names(text: string): string[] {
  return parsePrometheusTextFormat(text).map((f) => f.name);
}
