import { z } from "zod";
import { NonRetryableError } from "../execution";
import { poke } from "../sensor";
import { defineOperator, sensorSettingsShape, statusCodes } from "../types";
import { checkHttpUrl, httpRequestShape } from "./http";

export const httpSensorConfigSchema = z
  .strictObject({
    ...httpRequestShape,
    expectedStatus: statusCodes.default([200]),
    /** When set, the body must also contain this text. */
    responseContains: z.string().optional(),
    /** When set, the body must be JSON and the value at this path (`status`, `items[0].state`) truthy. */
    jsonPath: z
      .string()
      .regex(/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\])*$/, {
        message: "a path of names and [indexes], such as data.items[0].state",
      })
      .optional(),
    /** With jsonPath: the value must equal this (compared as JSON) instead of being truthy. */
    equals: z.unknown().optional(),
    requestTimeoutSeconds: z.number().positive().max(600).default(30),
    ...sensorSettingsShape,
  })
  .superRefine(checkHttpUrl);

/** The value at a path written like `data.items[0].state`, or undefined. */
function valueAt(value: unknown, path: string): unknown {
  for (const [, name, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (value === null || typeof value !== "object") return undefined;
    const key = name ?? Number(index);
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

export const httpSensorOperator = defineOperator({
  name: "http_sensor",
  title: "HTTP sensor",
  description: "Waits until a URL answers as expected.",
  icon: "radio-tower",
  docs:
    "Requests the URL every `pokeIntervalSeconds` until the status is in `expectedStatus` (and " +
    "the body contains `responseContains`, and the JSON value at `jsonPath` is truthy or equals " +
    "`equals`, when set), then succeeds with the last response (`{ status, body }`) as output. " +
    "Network errors count as not ready; refused addresses fail at once. After `timeoutSeconds` " +
    "it fails, or is skipped with `softFail`. Between checks it holds no worker.",
  configSchema: httpSensorConfigSchema,
  templatedFields: ["url", "headers", "query", "responseContains", "equals"],
  connectionFields: { connection: ["http"] },
  defaults: { url: "https://example.com/ready", pokeIntervalSeconds: 60 },
  async execute(context) {
    const { config, signal, workspaceId, run } = context;
    const { prepareRequest, sendRequest, snippet } = await import("../runtime");
    const request = await prepareRequest({ workspaceId, runId: run.id }, config);
    return poke(context, async () => {
      let response: Awaited<ReturnType<typeof sendRequest>>;
      try {
        response = await sendRequest(request, { signal, timeoutMs: config.requestTimeoutSeconds * 1000 });
      } catch (error) {
        if (error instanceof NonRetryableError || signal.aborted) throw error;
        return { done: false, reason: (error as Error).message };
      }
      const text = await response.text();
      if (!config.expectedStatus.includes(response.status)) {
        return { done: false, reason: `HTTP ${response.status} ${response.statusText}` };
      }
      if (config.responseContains !== undefined && !text.includes(config.responseContains)) {
        return {
          done: false,
          reason: `the body does not contain ${JSON.stringify(config.responseContains)}`,
        };
      }
      let body: unknown = text;
      try {
        body = text.trim() === "" ? null : JSON.parse(text);
      } catch {
        if (config.jsonPath) {
          return { done: false, reason: `the body is not JSON: ${snippet(text, request.secretValues, 100)}` };
        }
      }
      if (config.jsonPath) {
        const value = valueAt(body, config.jsonPath);
        const holds =
          config.equals !== undefined
            ? JSON.stringify(value) === JSON.stringify(config.equals)
            : Boolean(value);
        if (!holds)
          return { done: false, reason: `${config.jsonPath} is ${JSON.stringify(value) ?? "missing"}` };
      }
      return { done: true, output: { status: response.status, body } };
    });
  },
});
