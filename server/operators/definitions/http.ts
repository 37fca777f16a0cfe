import { z } from "zod";
import { hasTemplate } from "../../templating/template";
import { NonRetryableError } from "../execution";
import { defineOperator, httpMethod, resourceName, statusCodes } from "../types";

/** Query values as written in a document; sent as strings. */
const queryValue = z.union([z.string(), z.number(), z.boolean()]);

/** The request part shared by the http operator and http_sensor. */
export const httpRequestShape = {
  method: httpMethod.default("GET"),
  /** Absolute, or relative to the base URL of `connection` when one is given. */
  url: z.string().min(1),
  /** An HTTP connection: base URL, and credentials sent as headers. */
  connection: resourceName.optional(),
  headers: z.record(z.string(), z.string()).default(() => ({})),
  query: z.record(z.string(), queryValue).default(() => ({})),
};

/**
 * A URL that is not templated can be checked when the DAG is saved rather than when it runs.
 * Whether it may be reached (no private addresses) is the HTTP client's decision at run time.
 */
export function checkHttpUrl(config: { url: string; connection?: string | undefined }, ctx: z.RefinementCtx) {
  if (config.connection || hasTemplate(config.url)) return;
  let protocol = "";
  try {
    protocol = new URL(config.url).protocol;
  } catch {}
  if (protocol !== "http:" && protocol !== "https:") {
    ctx.addIssue({
      code: "custom",
      path: ["url"],
      message: "must be an absolute http(s) URL, or a path when a connection is given",
    });
  }
}

export const httpConfigSchema = z
  .strictObject({
    ...httpRequestShape,
    /** Body sent as JSON; a string that is one `{{ … }}` sends the referenced value itself. */
    json: z.unknown().optional(),
    /** Body sent as text. */
    text: z.string().optional(),
    /** Status codes that count as success; any 2xx when absent. */
    expectedStatus: statusCodes.optional(),
    timeoutSeconds: z.number().positive().max(600).default(30),
    /** How the response body becomes the task output. */
    responseType: z.enum(["json", "text"]).default("json"),
    /** Largest response body read; a larger one fails the task. Default: 1 MiB. */
    maxResponseBytes: z
      .int()
      .min(1)
      .max(64 * 1024 * 1024)
      .optional(),
  })
  .superRefine((config, ctx) => {
    checkHttpUrl(config, ctx);
    if (config.json !== undefined && config.text !== undefined) {
      ctx.addIssue({ code: "custom", path: ["text"], message: "set json or text, not both" });
    }
  });

export const httpOperator = defineOperator({
  name: "http",
  title: "HTTP request",
  description: "Calls an HTTP API; the response body becomes the output.",
  icon: "globe",
  docs:
    "Sends one request and succeeds when the status is in `expectedStatus` (any 2xx by default). " +
    "The body is `json` or `text`; the response is parsed as `responseType` and becomes the task " +
    "output, so downstream tasks can read `{{ tasks.<id>.output… }}`. With a `connection`, the URL " +
    "may be a path below the connection's base URL and its credentials are added as headers, so " +
    "they never appear in the DAG. Requests to private, loopback and metadata addresses are refused.",
  configSchema: httpConfigSchema,
  templatedFields: ["url", "headers", "query", "json", "text"],
  connectionFields: { connection: ["http"] },
  defaults: { method: "GET", url: "https://example.com/" },
  async execute({ config, signal, log, workspaceId, run }) {
    const { prepareRequest, sendRequest, responseBody, retryableStatus, snippet } = await import(
      "../runtime"
    );
    const request = await prepareRequest({ workspaceId, runId: run.id }, config);
    let body: string | undefined;
    if (config.json !== undefined || config.text !== undefined) {
      const json = config.json !== undefined;
      body = json ? JSON.stringify(config.json) : config.text;
      if (!request.headers.has("content-type")) {
        request.headers.set("content-type", json ? "application/json" : "text/plain; charset=utf-8");
      }
    }
    const started = performance.now();
    const response = await sendRequest(request, {
      body,
      signal,
      timeoutMs: config.timeoutSeconds * 1000,
      maxResponseBytes: config.maxResponseBytes ?? 1024 * 1024,
    });
    const target = `${request.url.origin}${request.url.pathname}`;
    log.info(
      `${request.method} ${target} → ${response.status} ${response.statusText} in ${Math.round(performance.now() - started)} ms` +
        (response.redirected ? ` (redirected to ${new URL(response.url).origin})` : ""),
    );
    const expected = config.expectedStatus?.includes(response.status) ?? response.ok;
    if (!expected) {
      const message =
        `HTTP ${response.status} ${response.statusText} from ${request.url.host} ` +
        `(expected ${config.expectedStatus?.join(", ") ?? "2xx"}): ${snippet(await response.text(), request.secretValues)}`;
      throw retryableStatus(response.status) ? new Error(message) : new NonRetryableError(message);
    }
    return { output: await responseBody(response, config.responseType, request.secretValues) };
  },
});
