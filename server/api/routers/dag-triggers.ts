// Triggers that start a DAG when a run of another DAG of the workspace ends (server/triggers).
import { z } from "zod";
import { dagIdPattern } from "@/server/dags/definition";
import { pageInput } from "@/server/pagination";
import {
  createDagTrigger,
  dagTriggerMapping,
  deleteDagTrigger,
  listDagTriggers,
  outcomeSchema,
  updateDagTrigger,
} from "@/server/triggers/dag-triggers";
import { uuid } from "@/server/validation";
import { nothing } from "../schemas/common";
import { dagTriggerPage, dagTriggerSchema } from "../schemas/webhooks";
import { router, workspaceProcedure } from "../trpc";

const dagId = z.string().regex(dagIdPattern, "Not a DAG id (a-z, 0-9, _ and -, starting with a letter)");
const on = z.array(outcomeSchema).min(1, "Choose success, failed or both");

export const dagTriggersRouter = router({
  create: workspaceProcedure("dags:write")
    .input(
      z.object({
        /** The DAG to start. */
        dagId,
        /** The DAG whose runs' outcome starts it. */
        upstreamDagId: dagId,
        on: on.default(["success"]),
        paramMapping: dagTriggerMapping.default({}),
        enabled: z.boolean().default(true),
      }),
    )
    .output(dagTriggerSchema)
    .mutation(({ ctx, input }) => createDagTrigger(ctx.scope, input)),
  list: workspaceProcedure("workspace:read")
    .input(z.object({ dagId: dagId.optional(), ...pageInput }))
    .output(dagTriggerPage)
    .query(({ ctx, input }) => listDagTriggers(ctx.scope, input)),
  update: workspaceProcedure("dags:write")
    .input(
      z.object({
        dagId,
        triggerId: uuid,
        on: on.optional(),
        paramMapping: dagTriggerMapping.optional(),
        enabled: z.boolean().optional(),
      }),
    )
    .output(dagTriggerSchema)
    .mutation(({ ctx, input }) => updateDagTrigger(ctx.scope, input)),
  delete: workspaceProcedure("dags:write")
    .input(z.object({ dagId, triggerId: uuid }))
    .output(nothing)
    .mutation(({ ctx, input }) => deleteDagTrigger(ctx.scope, input)),
});
