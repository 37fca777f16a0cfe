// Public webhook URL: POST /api/hooks/<endpoint id>. No session or API token; the endpoint's own
// secret authenticates the sender (server/webhooks/receive.ts).
import { observed } from "@/server/observability/http";
import { metrics } from "@/server/observability/metrics";
import { receiveWebhook } from "@/server/webhooks/receive";

type Params = { params: Promise<{ endpointId: string }> };

// Next answers other methods with 405 itself.
// Each delivery is in the endpoint's delivery log: its request line is only logged at debug.
export const POST = observed(
  "/api/hooks/[endpointId]",
  async (request: Request, { params }: Params) => {
    const { endpointId } = await params;
    const response = await receiveWebhook(request, endpointId);
    metrics.webhookDeliveries.inc({ result: deliveryResult(response.status) });
    return response;
  },
  { answeredLevel: "debug" },
);

/** A bounded name for a delivery's answer. */
function deliveryResult(status: number): string {
  if (status < 300) return "accepted";
  const named: Record<number, string> = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    413: "too_large",
    429: "rate_limited",
    503: "unavailable",
  };
  return named[status] ?? (status >= 500 ? "error" : "refused");
}
