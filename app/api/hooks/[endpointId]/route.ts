// Public webhook URL: POST /api/hooks/<endpoint id>. No session or API token; the endpoint's own
// secret authenticates the sender (server/webhooks/receive.ts).
import { receiveWebhook } from "@/server/webhooks/receive";

type Params = { params: Promise<{ endpointId: string }> };

// Next answers other methods with 405 itself.
export async function POST(request: Request, { params }: Params) {
  const { endpointId } = await params;
  return receiveWebhook(request, endpointId);
}
