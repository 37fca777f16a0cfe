// Methods the web process refuses before Next.js sees them. The fetch standard forbids TRACE, TRACK
// and CONNECT (`new Request(url, { method: "TRACE" })` throws), and Next.js builds a Request for
// every request it routes, so such a request failed inside the framework as a 500. The web
// process answers them 405 itself, from its HTTP server (installed by instrumentation.ts).
import http from "node:http";
import https from "node:https";

const FORBIDDEN = new Set(["TRACE", "TRACK", "CONNECT"]);
const ALLOWED = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE";

/** The 405 answer to a forbidden method: JSON in the API's error shape. */
function refuse(request: http.IncomingMessage, response: http.ServerResponse): void {
  const body = JSON.stringify({
    error: { code: "METHOD_NOT_ALLOWED", message: `${request.method} is not allowed`, problems: [] },
  });
  response.writeHead(405, {
    allow: ALLOWED,
    "content-type": "application/json",
    "cache-control": "no-store",
  });
  response.end(body);
  // Whatever body came with it is not read: drop it.
  request.resume();
}

let installed = false;
/** Makes this process's HTTP servers answer forbidden methods 405 before any framework code runs. */
export function refuseForbiddenMethods(): void {
  if (installed) return;
  installed = true;
  for (const Server of [http.Server, https.Server]) {
    const emit = Server.prototype.emit;
    Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
      if (event === "request") {
        const [request, response] = args as [http.IncomingMessage, http.ServerResponse];
        if (FORBIDDEN.has(request.method?.toUpperCase() ?? "")) {
          refuse(request, response);
          return true;
        }
      }
      return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
    } as typeof emit;
  }
}
