// What several executors share at run time: loading a stored connection with its secret fields,
// and HTTP requests through the guarded client (the http operator, http_sensor, notify). Server-
// only (database, sockets): executors import it lazily, so definitions stay importable by the
// validator and the editor.
import { loadConnectionForExecution } from "@/server/config/connections";
import { AppError } from "@/server/errors";
import {
  GuardedFetchError,
  type GuardedRequestInit,
  type GuardedResponse,
  guardedFetch,
} from "@/server/net/guarded-fetch";
import { maskSecrets } from "@/server/templating/template";
import { systemScope } from "@/server/tenancy/door";
import { folderOfRun, type RunReach } from "@/server/tenancy/folders";
import { NonRetryableError } from "./execution";
import type { ConnectionType } from "./types";

export interface TaskConnection {
  name: string;
  fields: Record<string, unknown>;
  /** Secret field values: never logged, masked out of error messages. */
  secretValues: string[];
}

/**
 * A connection the run reaches (at the workspace root or in its DAG's folder), secret fields
 * decrypted, or a clear non-retryable error.
 */
export async function loadTaskConnection(
  from: RunReach,
  name: string,
  accepted: readonly ConnectionType[],
): Promise<TaskConnection> {
  const { workspaceId, runId } = from;
  let connection: Awaited<ReturnType<typeof loadConnectionForExecution>>;
  try {
    connection = await loadConnectionForExecution(await systemScope(workspaceId), name, {
      folderId: await folderOfRun(workspaceId, runId),
    });
  } catch (error) {
    if (error instanceof AppError && error.code === "NOT_FOUND") {
      throw new NonRetryableError(`Connection "${name}" does not exist in this workspace`);
    }
    throw error;
  }
  if (!accepted.includes(connection.type)) {
    throw new NonRetryableError(
      `Connection "${name}" is a ${connection.type} connection; this task needs ${accepted.join(" or ")}`,
    );
  }
  return { name, fields: connection.fields, secretValues: connection.secretValues };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface HttpRequestConfig {
  method: string;
  url: string;
  connection?: string | undefined;
  headers: Record<string, string>;
  query: Record<string, string | number | boolean>;
}

export interface PreparedRequest {
  url: URL;
  method: string;
  headers: Headers;
  secretValues: string[];
}

/**
 * The request a config describes: with a connection, the URL may be a path below its base URL and
 * its headers and auth header are added. An absolute URL on another origin is refused then, so the
 * connection's credentials only ever go to the origin they were stored for.
 */
export async function prepareRequest(from: RunReach, config: HttpRequestConfig): Promise<PreparedRequest> {
  const headers = new Headers();
  let url: URL;
  let secretValues: string[] = [];
  if (config.connection) {
    const connection = await loadTaskConnection(from, config.connection, ["http"]);
    secretValues = connection.secretValues;
    const base = new URL(String(connection.fields.baseUrl));
    url = /^[a-z][a-z0-9+.-]*:/i.test(config.url)
      ? parseUrl(config.url)
      : parseUrl(`${base.href.replace(/\/+$/, "")}/${config.url.replace(/^\/+/, "")}`);
    if (url.origin !== base.origin) {
      throw new NonRetryableError(
        `${url.origin} is not the origin of connection "${config.connection}" (${base.origin}); its credentials go only there`,
      );
    }
    const extra = (connection.fields.headers ?? {}) as Record<string, string>;
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    const authValue = connection.fields.authHeaderValue;
    if (typeof authValue === "string") {
      headers.set(String(connection.fields.authHeaderName ?? "Authorization"), authValue);
    }
  } else {
    url = parseUrl(config.url);
  }
  for (const [name, value] of Object.entries(config.headers)) {
    // The connection's auth header wins: a task cannot replace the credential it was given.
    if (config.connection && headers.has(name) && isAuthHeader(name)) continue;
    headers.set(name, value);
  }
  for (const [name, value] of Object.entries(config.query)) url.searchParams.append(name, String(value));
  return { url, method: config.method, headers, secretValues };
}

const isAuthHeader = (name: string) => /^(authorization|proxy-authorization|x-api-key)$/i.test(name);

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new NonRetryableError(`Not an absolute URL: ${text}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new NonRetryableError(`Only http: and https: URLs can be requested, not ${url.protocol}`);
  }
  return url;
}

/**
 * Sends the request through the guarded client. Refusals (private addresses, oversized
 * responses, redirect loops) fail without retry; timeouts and network errors may be retried.
 */
export async function sendRequest(
  request: PreparedRequest,
  init: Omit<GuardedRequestInit, "method" | "headers">,
): Promise<GuardedResponse> {
  try {
    return await guardedFetch(request.url, { ...init, method: request.method, headers: request.headers });
  } catch (error) {
    if (init.signal?.aborted) throw init.signal.reason;
    const message = maskSecrets(error instanceof Error ? error.message : String(error), request.secretValues);
    if (error instanceof GuardedFetchError) {
      if (error.code === "timeout" || error.code === "unresolvable") throw new Error(message);
      throw new NonRetryableError(message);
    }
    const code = (error as { code?: string }).code;
    throw new Error(`${request.method} ${request.url.host} failed: ${message}${code ? ` (${code})` : ""}`);
  }
}

/** The response body as a task output: parsed JSON (null when empty) or text. */
export async function responseBody(
  response: GuardedResponse,
  type: "json" | "text",
  secretValues: readonly string[] = [],
): Promise<unknown> {
  const text = await response.text();
  if (type === "text") return text;
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    const contentType = response.headers.get("content-type") ?? "none";
    throw new NonRetryableError(
      `The response is not JSON (content-type ${contentType}): ${snippet(text, secretValues)}; set responseType: text to keep it as text`,
    );
  }
}

/** The start of a body for an error message, secrets masked. */
export function snippet(text: string, secretValues: readonly string[] = [], max = 300): string {
  const short = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(maskSecrets(short, secretValues));
}

/** Failures that another attempt may cure: server errors, timeouts and throttling. */
export const retryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;
