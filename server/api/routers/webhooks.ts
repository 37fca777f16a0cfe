// Webhook endpoints (create, change, rotate the secret, delete: `dags:write`), their delivery log
// (`workspace:read`) and replay (`runs:operate`, it starts a run). Deliveries themselves arrive at
// the public route app/api/hooks/[endpointId] (server/webhooks/receive.ts).
//
// Inputs are strict: a field the procedure does not take (a misspelt `secrte`, say) is refused by
// name rather than dropped, so nobody believes a setting was saved that was not.
import { z } from "zod";
import { dagIdPattern } from "@/server/dags/definition";
import { pageInput } from "@/server/pagination";
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
import { nothing } from "../schemas/common";
import {
  deliveryDetail,
  deliveryPage,
  replayed,
  webhookPage,
  webhookSchema,
  webhookWithSecret,
} from "../schemas/webhooks";
import { router, workspaceProcedure } from "../trpc";

const dagId = z.string().regex(dagIdPattern, "Not a DAG id (a-z, 0-9, _ and -, starting with a letter)");
const s = webhookSettings;

/** This router's input objects: strict, with the workspace the procedure builder reads. */
const strict = <T extends z.ZodRawShape>(shape: T) => z.strictObject({ workspace: z.string(), ...shape });

export const webhooksRouter = router({
  create: workspaceProcedure("dags:write")
    .input(
      strict({
        dagId,
        name: s.name,
        authMode: s.authMode.default("hmac"),
        authOptions: s.authOptions.optional(),
        secret: s.secret.optional(),
        idempotencyField: s.idempotencyField.optional(),
        paramMapping: s.paramMapping.default({}),
        mode: s.mode.default("async"),
        waitSeconds: s.waitSeconds.default(10),
        enabled: s.enabled.default(true),
      }),
    )
    .output(webhookWithSecret)
    .mutation(({ ctx, input }) => createWebhook(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  list: workspaceProcedure("workspace:read")
    .input(strict({ dagId: dagId.optional(), ...pageInput }))
    .output(webhookPage)
    .query(({ ctx, input }) => listWebhooks(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  get: workspaceProcedure("workspace:read")
    .input(strict({ webhookId: uuid }))
    .output(webhookSchema)
    .query(({ ctx, input }) => getWebhook(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  update: workspaceProcedure("dags:write")
    .input(
      strict({
        webhookId: uuid,
        name: s.name.optional(),
        authMode: s.authMode.optional(),
        authOptions: s.authOptions.optional(),
        secret: s.secret.optional(),
        idempotencyField: s.idempotencyField.optional(),
        paramMapping: s.paramMapping.optional(),
        mode: s.mode.optional(),
        waitSeconds: s.waitSeconds.optional(),
        enabled: s.enabled.optional(),
      }),
    )
    .output(webhookSchema)
    .mutation(({ ctx, input }) => updateWebhook(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  delete: workspaceProcedure("dags:write")
    .input(strict({ webhookId: uuid }))
    .output(nothing)
    .mutation(({ ctx, input }) => deleteWebhook(ctx.scope, input.webhookId)),
  rotateSecret: workspaceProcedure("dags:write")
    .input(
      strict({
        webhookId: uuid,
        /** The sender's new secret, pasted; left out, Baton generates one (shown once). */
        secret: s.secret.optional(),
        /** How long the old secret keeps working (0: it stops at once). */
        graceSeconds: z.coerce
          .number()
          .int()
          .min(0)
          .max(7 * 86_400)
          .default(0),
      }),
    )
    .output(webhookWithSecret)
    .mutation(({ ctx, input }) => rotateWebhookSecret(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
  deliveries: workspaceProcedure("workspace:read")
    .input(strict({ webhookId: uuid, ...pageInput }))
    .output(deliveryPage)
    .query(({ ctx, input }) => listDeliveries(ctx.scope, input)),
  delivery: workspaceProcedure("workspace:read")
    .input(strict({ webhookId: uuid, deliveryId: uuid }))
    .output(deliveryDetail)
    .query(({ ctx, input }) => getDelivery(ctx.scope, input)),
  replay: workspaceProcedure("runs:operate")
    .input(strict({ webhookId: uuid, deliveryId: uuid }))
    .output(replayed)
    .mutation(({ ctx, input }) => replayDelivery(ctx.scope, { ...input, baseUrl: ctx.baseUrl })),
});
