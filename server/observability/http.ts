// Every API route handler of the web is wrapped in `observed(route, handler)`: the request gets its
// id (context.ts) for every log line it causes and the `x-request-id` response header, its
// duration is recorded by route pattern (metrics.ts), it is logged once when answered, and an
// error that escapes the handler becomes a 500 that names the request id and nothing internal.
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from "@/server/db/availability";
import { currentContext, requestIdOf, withContext } from "./context";
import { log } from "./logger";
import { metrics } from "./metrics";
import { inRequestSpan } from "./tracing";

export function observed<Rest extends unknown[]>(
  route: string,
  handler: (request: Request, ...rest: Rest) => Promise<Response> | Response,
  options: {
    /**
     * The level of the line an answer below 500 is logged with ("info"). A route whose requests
     * keep a log of their own (webhook deliveries) says "debug": at thousands a second the lines
     * would cost more than the requests.
     */
    answeredLevel?: "info" | "debug";
  } = {},
): (request: Request, ...rest: Rest) => Promise<Response> {
  const answeredLevel = options.answeredLevel ?? "info";
  return (request, ...rest) => {
    const requestId = requestIdOf(request.headers);
    const started = performance.now();
    return withContext({ requestId, route }, () =>
      inRequestSpan(request, route, async () => {
        let response: Response;
        try {
          response = await handler(request, ...rest);
        } catch (error) {
          response = internalError(error);
        }
        const seconds = (performance.now() - started) / 1000;
        metrics.httpDuration.observe(
          { route, method: request.method, status: String(response.status) },
          seconds,
        );
        const line = { method: request.method, status: response.status, ms: Math.round(seconds * 1000) };
        if (response.status >= 500) log.warn(line, "request answered with an error");
        else log[answeredLevel](line, "request");
        return withRequestId(response, requestId);
      }),
    );
  };
}

/**
 * 503 with Retry-After while the database is away (a restart, a failover): the client, a webhook
 * sender among them, should try again shortly, and nothing was done.
 */
export function databaseUnavailable(): Response {
  return Response.json(
    {
      error: {
        code: "SERVICE_UNAVAILABLE",
        message: `The database is unavailable; try again in ${RETRY_AFTER_SECONDS} seconds`,
        requestId: currentContext().requestId,
      },
    },
    { status: 503, headers: { "retry-after": String(RETRY_AFTER_SECONDS) } },
  );
}

/** A 500 for an error no handler expected (a 503 when the database is away), answered with the request id only. */
export function internalError(error: unknown): Response {
  if (isDatabaseUnavailable(error)) {
    log.warn({ error: (error as Error).message }, "database unavailable: answered 503");
    return databaseUnavailable();
  }
  const { requestId } = currentContext();
  log.error({ err: error }, "unexpected error");
  return Response.json(
    {
      error: {
        code: "INTERNAL_SERVER_ERROR",
        message: `Something went wrong (request ${requestId})`,
        requestId,
      },
    },
    { status: 500 },
  );
}

function withRequestId(response: Response, requestId: string): Response {
  try {
    response.headers.set("x-request-id", requestId);
    return response;
  } catch {
    // Immutable headers (a redirect made by Response.redirect): copy the response.
    const headers = new Headers(response.headers);
    headers.set("x-request-id", requestId);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}
