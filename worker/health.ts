// The worker's small HTTP port (BATON_WORKER_HEALTH_PORT): /health (the process answers), /ready
// (the database answers, migrations are current, and the worker is taking work, not stopping)
// and /metrics (Prometheus text; BATON_METRICS_TOKEN as a bearer token when set). The same checks
// as the web's /api/health, /api/ready and /api/metrics (server/observability).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { env } from "@/server/config";
import { liveness, readiness } from "@/server/observability/health";
import { metricsText, scrapeAuthorized } from "@/server/observability/metrics";

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/** Starts the health port when BATON_WORKER_HEALTH_PORT is set; `stopping()` makes /ready answer 503. */
export async function startHealthServer(stopping: () => boolean): Promise<HealthServer | undefined> {
  const port = env.BATON_WORKER_HEALTH_PORT;
  if (port === undefined) return undefined;
  const server = http.createServer((request, response) => {
    const send = (status: number, body: string, type = "application/json") => {
      response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      response.end(body);
    };
    const route = new URL(request.url ?? "/", "http://worker").pathname;
    if (request.method !== "GET") return send(405, JSON.stringify({ error: "GET only" }));
    if (route === "/health") return send(200, JSON.stringify(liveness()));
    if (route === "/ready") {
      void readiness().then((result) => {
        const ready = result.ready && !stopping();
        send(ready ? 200 : 503, JSON.stringify({ ...result, ready, stopping: stopping() }));
      });
      return;
    }
    if (route === "/metrics") {
      if (!scrapeAuthorized(request.headers.authorization, env.BATON_METRICS_TOKEN)) {
        return send(401, "metrics need the bearer token set in BATON_METRICS_TOKEN\n", "text/plain");
      }
      void metricsText().then(
        ({ contentType, body }) => send(200, body, contentType),
        (error: Error) => send(500, `# metrics failed: ${error.message}\n`, "text/plain"),
      );
      return;
    }
    send(404, JSON.stringify({ error: "not found: /health, /ready, /metrics" }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
