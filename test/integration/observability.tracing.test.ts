// OpenTelemetry traces across processes: with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a tiny
// OTLP/HTTP receiver in this test, a REST request that triggers a run (this process, as the web)
// and the attempts of the run's tasks (a worker process of their own) arrive as one trace: the
// request's SERVER span continues the caller's traceparent, the run's span is its child, and each
// attempt's span is the run's child. Without the variable nothing is recorded.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as rest } from "@/app/api/v1/[...path]/route";
import { db } from "@/server/db/client";
import { flushTracing, startTracing, stopTracing, tracingEnabled } from "@/server/observability/tracing";
import { storeDag, waitForRun, workspaceScope } from "../support/engine";
import { createUser } from "../support/factories";
import { until } from "../support/until";
import { killWorkerProcesses, startWorkerProcess } from "../support/worker-processes";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  status?: { code?: number };
  service: string;
}
const SERVER = 2;

/** What the receiver got: every span of every export, with its service's name. */
const received: OtlpSpan[] = [];
const paths = new Set<string>();
let receiver: Server;
let token: string;

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};

function trigger(headers: Record<string, string> = {}) {
  return rest(
    new Request("http://localhost/api/v1/dags/traced/runs", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      body: "{}",
    }),
    { params: Promise.resolve({ path: ["dags", "traced", "runs"] }) },
  );
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      paths.add(`${request.method} ${request.url} ${request.headers["content-type"]}`);
      const exported = JSON.parse(body) as {
        resourceSpans: Array<{
          resource: { attributes: OtlpSpan["attributes"] };
          scopeSpans: Array<{ spans: Omit<OtlpSpan, "service">[] }>;
        }>;
      };
      for (const { resource, scopeSpans } of exported.resourceSpans) {
        const service = String(
          Object.values(resource.attributes.find((a) => a.key === "service.name")!.value)[0],
        );
        for (const { spans } of scopeSpans) for (const span of spans) received.push({ ...span, service });
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const owner = await createUser("traced");
  token = (await owner.api.tokens.create({ workspace: owner.workspace.slug, name: "ci", role: "ADMIN" }))
    .token;
  await storeDag(await workspaceScope(owner.workspace.id), {
    id: "traced",
    tasks: [
      { id: "extract", operator: "noop" },
      { id: "load", operator: "noop", dependsOn: ["extract"] },
    ],
  });
});

afterAll(async () => {
  await stopTracing();
  killWorkerProcesses();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete process.env.OTEL_SERVICE_NAME;
  await new Promise((resolve) => receiver?.close(resolve));
});

describe("without OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  it("records nothing: no tracing, no trace kept with a run", async () => {
    await startTracing("web");
    expect(tracingEnabled()).toBe(false);
    const response = await trigger();
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    expect(await db.dagRun.findUniqueOrThrow({ where: { id } })).toMatchObject({ traceContext: null });
  });
});

describe("with OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  it("links the web request, the run it created and the attempts a worker process ran in one trace", async () => {
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
    process.env.OTEL_SERVICE_NAME = "web-under-test";
    await stopTracing(); // forget the start without an endpoint
    await startTracing("web");
    expect(tracingEnabled()).toBe(true);
    await startWorkerProcess({ OTEL_SERVICE_NAME: "worker-under-test" });

    // The caller's own trace, which the request continues.
    const callerTrace = randomBytes(16).toString("hex");
    const callerSpan = randomBytes(8).toString("hex");
    const response = await trigger({ traceparent: `00-${callerTrace}-${callerSpan}-01` });
    expect(response.status).toBe(201);
    const { id: runId } = (await response.json()) as { id: string };
    expect((await waitForRun(runId, 60_000)).state).toBe("success");
    await flushTracing();

    const attempts = await until("both attempts' spans from the worker", () => {
      const spans = received.filter(
        (s) => s.name === "baton.attempt" && attribute(s, "baton.run.id") === runId,
      );
      return spans.length === 2 && spans;
    });
    const request = received.find((s) => s.kind === SERVER && s.traceId === callerTrace)!;
    expect(request).toMatchObject({
      name: "POST /api/v1/[...path]",
      parentSpanId: callerSpan,
      service: "web-under-test",
    });
    expect(attribute(request, "http.response.status_code")).toBe(201);
    const run = received.find((s) => s.name === "baton.run" && attribute(s, "baton.run.id") === runId)!;
    expect(run).toMatchObject({
      traceId: callerTrace,
      parentSpanId: request.spanId,
      service: "web-under-test",
    });
    expect(attribute(run, "baton.run.triggered_by")).toBe("api");
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({
        traceId: callerTrace,
        parentSpanId: run.spanId,
        service: "worker-under-test",
      });
      expect(attribute(attempt, "baton.attempt.outcome")).toBe("success");
      expect(attribute(attempt, "baton.operator")).toBe("noop");
    }
    expect(attempts.map((a) => attribute(a, "baton.task.id")).sort()).toEqual(["extract", "load"]);
    // The traceparent kept with the run is the run span's.
    expect((await db.dagRun.findUniqueOrThrow({ where: { id: runId } })).traceContext).toBe(
      `00-${callerTrace}-${run.spanId}-01`,
    );
    expect([...paths]).toEqual(["POST /v1/traces application/json"]);
  }, 120_000);
});
