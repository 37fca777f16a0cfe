// Serves /api/v1/*: authenticates the bearer token (a workspace's, or a platform token for the
// console's operations under /platform), takes the request from the workspace's (or the token's)
// per-minute budget (quota apiRateLimitPerMinute; RateLimit-* headers on every answer, 429 with
// Retry-After beyond it), matches a route, calls its procedure through the same router (and so the
// same workspace door) as the web app, and answers JSON. Every failure is a 4xx with
// `{ error: { code, message, problems } }`; only our own bugs are 500s.
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { agentEndpoint, checkProtocol } from "@/server/agents/http";
import { contextFromRequest } from "@/server/api/context";
import { createCaller } from "@/server/api/root";
import { problemsOf } from "@/server/api/trpc";
import { env } from "@/server/config";
import { dagJsonSchema } from "@/server/dags/json-schema";
import { isDatabaseUnavailable } from "@/server/db/availability";
import { AppError, httpStatus, type Problem, RetryLater } from "@/server/errors";
import { internalError } from "@/server/observability/http";
import { PLATFORM_TOKEN_RATE_PER_MINUTE } from "@/server/platform/tokens";
import { type RateAnswer, takeFromBudget } from "@/server/quotas/rate-limits";
import { openApiDocument } from "./openapi";
import { isPlatformRoute, type RestRoute, restRoutes } from "./routes";

/** Body limits: a DAG document may hold up to 20,000 tasks, far beyond any other request. */
const bodyLimits = {
  request: { bytes: env.BATON_API_MAX_BODY_BYTES, setting: "BATON_API_MAX_BODY_BYTES" },
  dagDocument: { bytes: env.BATON_API_MAX_DAG_BODY_BYTES, setting: "BATON_API_MAX_DAG_BODY_BYTES" },
};

/** Extra documents served beside the API (JSON Schemas and the like), by path under /api/v1. */
const documents = new Map<string, () => unknown>([
  ["/openapi.json", openApiDocument],
  ["/schema/dag.json", dagJsonSchema],
]);
export function registerDocument(path: string, build: () => unknown) {
  documents.set(path, build);
}

function json(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function errorResponse(status: number, code: string, message: string, problems: Problem[] = []): Response {
  return json(status, { error: { code, message, problems } });
}

function appErrorResponse(error: AppError): Response {
  const response = errorResponse(httpStatus[error.code], error.code, error.message, error.problems);
  if (error instanceof RetryLater) response.headers.set("Retry-After", String(error.retryAfterSeconds));
  return response;
}

/** The route a request reaches, with its path parameters; "method" when only the method is wrong. */
export function matchRoute(
  method: string,
  path: string,
): { route: RestRoute; params: Record<string, string> } | "method" | null {
  let pathMatched = false;
  for (const route of restRoutes) {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return "([^/]+)";
      })}$`,
    );
    const found = pattern.exec(path);
    if (!found) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    const params = Object.fromEntries(
      names.map((name, i) => [name, decodePathParam(name, found[i + 1] ?? "")]),
    );
    return { route, params };
  }
  return pathMatched ? "method" : null;
}

/** A path parameter's text; bad percent-encoding (`%ZZ`, a lone `%25` byte) is the caller's 400. */
function decodePathParam(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AppError("BAD_REQUEST", `The path parameter ${name} is not valid percent-encoding`, [
      {
        path: name,
        message: "is not valid percent-encoding (each % must start a UTF-8 byte as two hex digits)",
      },
    ]);
  }
}

const gunzipAsync = promisify(gunzip);

/**
 * The request body as text, at most `limit` bytes (BATON_API_MAX_BODY_BYTES, or
 * BATON_API_MAX_DAG_BODY_BYTES for DAG documents), read as it arrives so that a body without a
 * Content-Length is refused at the limit rather than held whole. `Content-Encoding: gzip` is
 * decoded, and the limit holds for the decoded text too (a small gzip can inflate a thousandfold).
 */
async function readBodyText(
  request: Request,
  { bytes: limit, setting } = bodyLimits.request,
): Promise<string> {
  const tooLarge = () =>
    new AppError("PAYLOAD_TOO_LARGE", `Request body is over ${limit} bytes (${setting})`);
  const encoding = request.headers.get("content-encoding")?.trim().toLowerCase() || "identity";
  if (!["identity", "gzip", "x-gzip"].includes(encoding)) {
    throw new AppError(
      "BAD_REQUEST",
      `Content-Encoding ${encoding} is not supported; send gzip or no encoding`,
      [{ path: "Content-Encoding", message: "must be gzip or absent" }],
    );
  }
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > limit) throw tooLarge();
      chunks.push(chunk);
    }
  }
  const bytes = Buffer.concat(chunks, size);
  if (encoding === "identity") return bytes.toString("utf8");
  try {
    return (await gunzipAsync(bytes, { maxOutputLength: limit })).toString("utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge();
    throw new AppError("BAD_REQUEST", `Request body is not valid gzip: ${(error as Error).message}`);
  }
}

/** The format a content type names, for routes taking a document as the body. */
function formatOf(contentType: string | null): "json" | "yaml" | undefined {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (/^(application|text)\/(x-)?yaml$/.test(type)) return "yaml";
  if (type === "application/json") return "json";
  return undefined;
}

async function readJsonBody(request: Request): Promise<unknown> {
  const text = await readBodyText(request);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError("BAD_REQUEST", `Request body is not valid JSON: ${(error as Error).message}`);
  }
}

export async function handleRest(request: Request, path: string): Promise<Response> {
  const state: { budget?: RateAnswer } = {};
  const response = await answer(request, path, state);
  if (state.budget) {
    response.headers.set("RateLimit-Limit", String(state.budget.limit));
    response.headers.set("RateLimit-Remaining", String(state.budget.remaining));
    response.headers.set("RateLimit-Reset", String(state.budget.resetSeconds));
  }
  return response;
}

async function answer(request: Request, path: string, state: { budget?: RateAnswer }): Promise<Response> {
  try {
    // Agents (server/agents/http.ts): their own tokens, no tRPC procedure behind them.
    if (path.startsWith("/agent/")) {
      const refused = checkProtocol(request);
      if (refused) return refused;
      return json(
        200,
        await agentEndpoint(request, path.slice("/agent".length), await readJsonBody(request)),
      );
    }
    const document = documents.get(path);
    if (document && request.method === "GET") return json(200, document());
    const matched = matchRoute(request.method, path);
    if (matched === "method") {
      return errorResponse(405, "METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${path}`);
    }
    if (!matched) return errorResponse(404, "NOT_FOUND", `No API route ${request.method} /api/v1${path}`);
    const { route, params } = matched;

    const ctx = await contextFromRequest(request, { allowSession: false });
    const platform = isPlatformRoute(route);
    // The console's operations take a platform token; everything else a workspace's API token.
    if (ctx.platformToken) {
      if (!platform) {
        return errorResponse(
          403,
          "FORBIDDEN",
          "A platform token reaches the console's operations only (/api/v1/platform/…); use a workspace's API token here",
        );
      }
      state.budget = await takeFromBudget(
        "api-platform",
        ctx.platformToken.tokenId,
        PLATFORM_TOKEN_RATE_PER_MINUTE,
      );
    } else if (ctx.caller?.kind !== "token") {
      return errorResponse(401, "UNAUTHORIZED", "Send an API token as `Authorization: Bearer <token>`");
    } else if (platform) {
      return errorResponse(
        403,
        "FORBIDDEN",
        "The console's operations need a platform token (made in the platform console); this is a workspace's API token",
      );
    } else {
      state.budget = await takeFromBudget("api", ctx.caller.workspaceId, ctx.caller.apiRateLimitPerMinute);
    }
    if (!state.budget.ok) {
      throw new RetryLater(
        platform
          ? `This platform token is over its ${state.budget.limit} requests a minute; retry in ${state.budget.resetSeconds} s`
          : `This workspace is over its ${state.budget.limit} API requests a minute (quota apiRateLimitPerMinute); retry in ${state.budget.resetSeconds} s`,
        state.budget.resetSeconds,
      );
    }
    // Query strings are text: the procedures' input schemas coerce numbers and flags themselves.
    const query = Object.fromEntries(new URL(request.url).searchParams);
    let body: unknown;
    if (route.method === "GET" || route.method === "DELETE") body = query;
    else if (route.bodyText) {
      // A document sent as a file: the procedure parses it, so syntax errors come back as 422 problems.
      const { field, formatField } = route.bodyText;
      const format = formatOf(request.headers.get("content-type"));
      body = {
        ...query,
        ...(formatField && format ? { [formatField]: format } : {}),
        [field]: await readBodyText(request, bodyLimits.dagDocument),
      };
    } else body = await readJsonBody(request);
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new AppError("BAD_REQUEST", "Request body must be a JSON object");
    }
    const headers = Object.fromEntries(
      Object.entries(route.headers ?? {}).flatMap(([name, { field }]) => {
        const value = request.headers.get(name);
        return value === null ? [] : [[field, value]];
      }),
    );
    // A workspace token's workspace is its own; a platform route names one in its path, if any.
    const workspace = ctx.caller?.kind === "token" ? { workspace: ctx.caller.workspaceSlug } : {};
    const input = { ...body, ...headers, ...params, ...route.input, ...workspace };
    const procedure = route.procedure
      .split(".")
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], createCaller(ctx)) as (
      input: unknown,
    ) => Promise<unknown>;
    const answered = await procedure(input);
    const result = route.answer ? route.answer.parse(answered) : answered;
    const status = typeof route.status === "function" ? route.status(result) : (route.status ?? 200);
    const response = json(result === undefined ? 204 : status, result ?? null);
    for (const [name, value] of Object.entries(route.answerHeaders?.(result as never) ?? {})) {
      response.headers.set(name, value);
    }
    return response;
  } catch (error) {
    // The database is away (a restart, a failover): 503 with Retry-After, whatever wrapped it.
    if (isDatabaseUnavailable(error)) return internalError(error);
    if (error instanceof AppError) return appErrorResponse(error);
    if (error instanceof TRPCError && error.code !== "INTERNAL_SERVER_ERROR") {
      if (error.cause instanceof AppError) return appErrorResponse(error.cause);
      return errorResponse(getHTTPStatusCodeFromError(error), error.code, error.message, problemsOf(error));
    }
    // Ours: logged in full with the request id, answered with the id only.
    return internalError(error instanceof TRPCError ? (error.cause ?? error) : error);
  }
}
