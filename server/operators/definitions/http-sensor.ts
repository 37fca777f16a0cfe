import { z } from "zod";
import { defineOperator, sensorSettingsShape, statusCodes } from "../types";
import { checkHttpUrl, httpRequestShape } from "./http";

export const httpSensorConfigSchema = z
  .strictObject({
    ...httpRequestShape,
    expectedStatus: statusCodes.default([200]),
    /** When set, the body must also contain this text. */
    responseContains: z.string().optional(),
    requestTimeoutSeconds: z.number().positive().max(600).default(30),
    ...sensorSettingsShape,
  })
  .superRefine(checkHttpUrl);

export const httpSensorOperator = defineOperator({
  name: "http_sensor",
  title: "HTTP sensor",
  description: "Waits until a URL answers as expected.",
  icon: "📡",
  docs:
    "Requests the URL every `pokeIntervalSeconds` until the status is in `expectedStatus` (and " +
    "the body contains `responseContains`, when set), then succeeds with the last response as " +
    "output. After `timeoutSeconds` it fails, or is skipped with `softFail`. Between checks it " +
    "holds no worker.",
  configSchema: httpSensorConfigSchema,
  templatedFields: ["url", "headers", "query", "responseContains"],
  connectionFields: { connection: ["http"] },
  defaults: { url: "https://example.com/ready", pokeIntervalSeconds: 60 },
});
