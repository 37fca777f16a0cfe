// Readiness: the database answers and its migrations are current; 503 otherwise, so a load
// balancer sends this process nothing until it can serve (server/observability/health.ts).
import { readiness } from "@/server/observability/health";

export const dynamic = "force-dynamic";

export async function GET() {
  const result = await readiness();
  return Response.json(result, {
    status: result.ready ? 200 : 503,
    headers: { "cache-control": "no-store", ...(result.ready ? {} : { "retry-after": "5" }) },
  });
}
