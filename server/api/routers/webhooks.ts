// Webhook endpoints (create, change, rotate the secret, delete: `dags:write`), their delivery log
// (`workspace:read`) and replay (`runs:operate`, it starts a run). Deliveries themselves arrive at
// the public route app/api/hooks/[endpointId] (server/webhooks/receive.ts).
import { z } from "zod";
import { dagIdPattern } from "@/server/dags/definition";
import { uuid } from "@/server/validation";
import {
  createWebhook,
  deleteWebhook,
  getDelivery,
  getWebhook,
  listDeliveries,
  listWebhooks,
  replayDelivery,
  rotateWebhookSecret,
  updateWebhook,
  webhookSettings,
} from "@/server/webhooks/endpoints";
import { router, workspaceProcedure } from "../trpc";

const dagId = z.string().regex(dagIdPattern, "Not a DAG id (a-z, 0-9, _ and -, starting with a letter)");
const s = webhookSettings;

export const webhooksRouter = router({
  create: workspaceProcedure("dags:write")
    .input(
      z.object({
        dagId,
        name: s.name,
        authMode: s.authMode.default("hmac"),
        idempotencyField: s.idempotencyField.optional(),
        paramMapping: s.paramMapping.default({}),
        mode: s.mode.default("async"),
        waitSeconds: s.waitSeconds.default(10),
        enabled: s.enabled.default(true),
      }),
    )
    .mutation(({ ctx, input }) => createWebhook(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  list: workspaceProcedure("workspace:read")
    .input(z.object({ dagId: dagId.optional() }))
    .query(({ ctx, input }) => listWebhooks(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  get: workspaceProcedure("workspace:read")
    .input(z.object({ webhookId: uuid }))
    .query(({ ctx, input }) => getWebhook(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  update: workspaceProcedure("dags:write")
    .input(
      z.object({
        webhookId: uuid,
        name: s.name.optional(),
        authMode: s.authMode.optional(),
        idempotencyField: s.idempotencyField.optional(),
        paramMapping: s.paramMapping.optional(),
        mode: s.mode.optional(),
        waitSeconds: s.waitSeconds.optional(),
        enabled: s.enabled.optional(),
      }),
    )
    .mutation(({ ctx, input }) => updateWebhook(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  delete: workspaceProcedure("dags:write")
    .input(z.object({ webhookId: uuid }))
    .mutation(({ ctx, input }) => deleteWebhook(ctx.scope, input.webhookId)),
  rotateSecret: workspaceProcedure("dags:write")
    .input(
      z.object({
        webhookId: uuid,
        /** How long the old secret keeps working (0: it stops at once). */
        graceSeconds: z.coerce
          .number()
          .int()
          .min(0)
          .max(7 * 86_400)
          .default(0),
      }),
    )
    .mutation(({ ctx, input }) => rotateWebhookSecret(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  deliveries: workspaceProcedure("workspace:read")
    .input(
      z.object({
        webhookId: uuid,
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.iso.datetime().optional(),
      }),
    )
    .query(({ ctx, input }) => listDeliveries(ctx.scope, input)),
  delivery: workspaceProcedure("workspace:read")
    .input(z.object({ webhookId: uuid, deliveryId: uuid }))
    .query(({ ctx, input }) => getDelivery(ctx.scope, input)),
  replay: workspaceProcedure("runs:operate")
    .input(z.object({ webhookId: uuid, deliveryId: uuid }))
    .mutation(({ ctx, input }) => replayDelivery(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
});
