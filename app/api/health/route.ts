// Liveness: the web process answers (server/observability/health.ts).
import { liveness } from "@/server/observability/health";

export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(liveness(), { headers: { "cache-control": "no-store" } });
}
