// Answers of the webhook endpoint and DAG trigger procedures.
import { z } from "zod";
import { WebhookAuthMode, WebhookMode } from "@/prisma/generated/enums";
import { pageOf } from "@/server/pagination";
import { timestamp } from "./common";

export const paramMapping = z.record(z.string(), z.string()).meta({
  id: "ParamMapping",
  description:
    'Run param → where its value is read: a JSON pointer ("/a/0/b", "" for all) or "header:<name>"',
});

const webhookFields = {
  id: z.string(),
  dagId: z.string(),
  name: z.string(),
  url: z.string().describe("Where senders deliver (no API token needed)"),
  authMode: z.enum(WebhookAuthMode).describe("The sender preset (server/webhooks/providers)"),
  authOptions: z.record(z.string(), z.unknown()).describe("The preset's options"),
  idempotencyField: z.string().nullable(),
  paramMapping,
  mode: z.enum(WebhookMode),
  waitSeconds: z.number().int(),
  enabled: z.boolean(),
  previousSecretExpiresAt: timestamp
    .nullable()
    .describe("Until when the secret before the last rotation works"),
  keyVersion: z.number().int().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
};
export const webhookSchema = z
  .object(webhookFields)
  .meta({ id: "Webhook", description: "A webhook endpoint" });
export const webhookPage = pageOf(webhookSchema);
export const webhookWithSecret = z
  .object({
    ...webhookFields,
    secret: z
      .string()
      .optional()
      .describe("Shown this once, when Baton generated it; a pasted secret is never answered"),
  })
  .meta({ id: "WebhookWithSecret" });

const deliveryFields = {
  id: z.string(),
  receivedAt: timestamp,
  result: z.string(),
  statusCode: z.number().int(),
  message: z.string(),
  runId: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  bodyBytes: z.number().int(),
  bodyTruncated: z.boolean(),
  replayOf: z.string().nullable(),
};
export const deliverySchema = z.object(deliveryFields).meta({ id: "WebhookDelivery" });
export const deliveryPage = pageOf(deliverySchema, { webhookId: z.string() });
export const deliveryDetail = z
  .object({
    ...deliveryFields,
    headers: z.record(z.string(), z.string()).describe("Credentials and signatures redacted"),
    body: z.string().describe("Up to 64 KiB of the body"),
  })
  .meta({ id: "WebhookDeliveryDetail" });

export const replayed = z
  .object({ deliveryId: z.string(), runId: z.string(), statusUrl: z.string() })
  .meta({ id: "WebhookReplay" });

export const dagTriggerSchema = z
  .object({
    id: z.string(),
    dagId: z.string().describe("The DAG it starts"),
    upstreamDagId: z.string().describe("The DAG whose runs' outcome starts it"),
    on: z.array(z.string()),
    paramMapping,
    enabled: z.boolean(),
    lastFiredAt: timestamp.nullable(),
    lastRunId: z.string().nullable(),
    lastError: z.string().nullable(),
    pendingRunId: z
      .string()
      .nullable()
      .describe("The upstream run that fired it, waiting for the DAG's triggerCondition to hold"),
    pendingSince: timestamp.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: "DagTrigger", description: "Starts a DAG when a run of another ends" });
export const dagTriggerPage = pageOf(dagTriggerSchema);
