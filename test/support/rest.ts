// The REST API as the tests call it: in-process (handleRest, no HTTP server), through the typed
// client generated from the OpenAPI document, with every answer checked against the document.
// `raw` sends what the typed client cannot (malformed bodies, odd content types) and checks the
// answer the same way.
import type { Middleware } from "openapi-fetch";
import { createBatonClient } from "@/server/client";
import { handleRest, matchRoute } from "@/server/rest/handler";
import { checkAnswer } from "./contract";

/** Answers a request as the server would, from /api/v1 on. */
export const inProcess = (request: Request) =>
  handleRest(request, new URL(request.url).pathname.replace(/^\/api\/v1/, ""));

const contract: Middleware = {
  async onResponse({ request, response, schemaPath }) {
    const text = await response.clone().text();
    checkAnswer(request.method, schemaPath, response.status, text ? JSON.parse(text) : null);
  },
};

/** The typed client acting with `token`; answers are checked against the document. */
export function restClient(token: string, options: { maxRetries?: number } = {}) {
  return createBatonClient({
    url: "http://localhost",
    token,
    fetch: inProcess,
    middleware: [contract],
    maxRetries: options.maxRetries ?? 0,
  });
}

/** A request built by hand; the answer (when it reaches a route) is checked against the document. */
export async function raw(
  method: string,
  path: string,
  options: { token?: string; body?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await inProcess(
    new Request(`http://localhost/api/v1${path}`, { method, headers, body: options.body }),
  );
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  const matched = matchRoute(method, path.split("?")[0]!);
  if (matched && matched !== "method") checkAnswer(method, matched.route.path, response.status, body);
  return { status: response.status, headers: response.headers, body };
}

/** `raw` with a token and a JSON body, for tests that spell a few calls by hand. */
export const jsonCaller = (token: string) => (method: string, path: string, body?: unknown) =>
  raw(method, path, { token, body: body === undefined ? undefined : JSON.stringify(body) });
