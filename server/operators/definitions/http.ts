import { z } from "zod";
import { hasTemplate } from "../../templating/template";
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
  icon: "🌐",
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
});
