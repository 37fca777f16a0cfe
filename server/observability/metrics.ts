// Prometheus metrics (prom-client), served as text by the web at /api/metrics and by each worker on
// its health port (BATON_WORKER_HEALTH_PORT). Counters and histograms count what this process did;
// the gauges of ready tasks and held slots are read from the database when scraped, so they are
// the installation's and the same on every process (use max, not sum, across processes).
//
// Label sets are bounded: operators and outcomes are fixed lists, routes are patterns (never
// paths with ids), and the per-workspace gauges keep the 20 largest workspace/pool pairs and add
// the rest up as workspace="other". docs/operations.md lists every series; docs/grafana-dashboard.json
// is built on these names.
import { timingSafeEqual } from "node:crypto";
import client from "prom-client";
import { crossTenantSql } from "@/server/db/cross-tenant";

interface Metrics {
  registry: client.Registry;
  attemptsStarted: client.Counter<"operator">;
  attemptsEnded: client.Counter<"operator" | "outcome">;
  hopLatency: client.Histogram;
  queueToStart: client.Histogram;
  webhookDeliveries: client.Counter<"result">;
  reaperRepairs: client.Counter<"kind">;
  schedulerLag: client.Histogram;
  httpDuration: client.Histogram<"route" | "method" | "status">;
}

/** Per-workspace gauges keep this many workspace/pool pairs; the rest count as "other". */
export const TOP_WORKSPACE_POOLS = 20;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function create(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "baton_" });
  const m: Metrics = {
    registry,
    attemptsStarted: new client.Counter({
      name: "baton_attempts_started_total",
      help: "Task attempts started on this worker, by operator",
      labelNames: ["operator"],
      registers: [registry],
    }),
    attemptsEnded: new client.Counter({
      name: "baton_attempts_ended_total",
      help: "Task attempts ended on this worker, by operator and outcome (success, failed, up_for_retry, deferred…)",
      labelNames: ["operator", "outcome"],
      registers: [registry],
    }),
    hopLatency: new client.Histogram({
      name: "baton_hop_latency_seconds",
      help: "From the commit that made a task ready (its upstream's completion) to its attempt's start",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    queueToStart: new client.Histogram({
      name: "baton_queue_to_start_seconds",
      help: "From a task's job becoming available in the queue to its attempt's start",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    webhookDeliveries: new client.Counter({
      name: "baton_webhook_deliveries_total",
      help: "Webhook deliveries received, by result (started, duplicate, unauthorized, too_large, rate_limited, refused, error)",
      labelNames: ["result"],
      registers: [registry],
    }),
    reaperRepairs: new client.Counter({
      name: "baton_reaper_repairs_total",
      help: "Repairs by the reaper: attempts of dead workers failed for retry (attempt), runs ended or restarted (run)",
      labelNames: ["kind"],
      registers: [registry],
    }),
    schedulerLag: new client.Histogram({
      name: "baton_scheduler_lag_seconds",
      help: "From a schedule tick's due time to its run's creation",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: "baton_http_request_duration_seconds",
      help: "HTTP requests served by the web, by route pattern, method and status",
      labelNames: ["route", "method", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
  // Series that may stay at zero are there from the start, so dashboards and alerts find them.
  for (const kind of ["attempt", "run"]) m.reaperRepairs.inc({ kind }, 0);
  const work = (name: string, help: string, column: "ready" | "held") =>
    new client.Gauge({
      name,
      help,
      labelNames: ["workspace", "pool"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of await workByWorkspace())
          this.set({ workspace: row.workspace, pool: row.pool }, row[column]);
      },
    });
  work(
    "baton_ready_tasks",
    "Task instances ready to run and not running yet (queued for admission or scheduled), by workspace and pool",
    "ready",
  );
  work("baton_held_slots", "Slots held (task instances scheduled or running), by workspace and pool", "held");
  return m;
}

/** Both gauges come from one query per scrape: they collect at once and share the query in flight. */
let inFlight: Promise<WorkRow[]> | undefined;
interface WorkRow {
  workspace: string;
  pool: string;
  ready: number;
  held: number;
}

function workByWorkspace(): Promise<WorkRow[]> {
  if (inFlight) return inFlight;
  const rows = crossTenantSql
    .query<WorkRow>(
      `SELECT w.slug AS workspace, ti.pool,
              count(*) FILTER (WHERE ti.state IN ('queued', 'scheduled'))::int AS ready,
              count(*) FILTER (WHERE ti.state IN ('scheduled', 'running'))::int AS held
       FROM "TaskInstance" ti JOIN "Workspace" w ON w.id = ti."workspaceId"
       WHERE ti.state IN ('queued', 'scheduled', 'running')
       GROUP BY 1, 2 ORDER BY count(*) DESC`,
    )
    .then(({ rows }) => {
      const top = rows.slice(0, TOP_WORKSPACE_POOLS);
      const rest = rows.slice(TOP_WORKSPACE_POOLS);
      if (rest.length > 0) {
        top.push({
          workspace: "other",
          pool: "other",
          ready: rest.reduce((sum, r) => sum + r.ready, 0),
          held: rest.reduce((sum, r) => sum + r.held, 0),
        });
      }
      return top;
    });
  inFlight = rows;
  const clear = () => {
    inFlight = undefined;
  };
  rows.then(clear, clear);
  return rows;
}

// One registry per process, also across Next.js's module reloads in development.
const holder = globalThis as typeof globalThis & { __batonMetrics?: Metrics };
holder.__batonMetrics ??= create();
export const metrics: Metrics = holder.__batonMetrics;

/** The Prometheus text of this process's metrics. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
}

/** Whether a scrape's `authorization` header carries the token (any scrape, when none is configured). */
export function scrapeAuthorized(
  authorization: string | null | undefined,
  token: string | undefined,
): boolean {
  if (!token) return true;
  const given = Buffer.from(authorization?.replace(/^Bearer\s+/i, "") ?? "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
