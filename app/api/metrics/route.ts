// Prometheus metrics of this web process (server/observability/metrics.ts). With
// BATON_METRICS_TOKEN set, scrapers send it as a bearer token; without it, keep /api/metrics off
// the public network at the load balancer (docs/operations.md).
import { env } from "@/server/config";
import { metricsText, scrapeAuthorized } from "@/server/observability/metrics";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  if (!scrapeAuthorized(request.headers.get("authorization"), env.BATON_METRICS_TOKEN)) {
    return new Response("metrics need the bearer token set in BATON_METRICS_TOKEN\n", {
      status: 401,
      headers: { "www-authenticate": 'Bearer realm="metrics"' },
    });
  }
  const { contentType, body } = await metricsText();
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}
