// Schedules (the preview of next fire times) and backfills. Runs on a schedule are created by the
// scheduler job (server/schedules/scheduler.ts); nothing here starts them.
import { z } from "zod";
import { dagIdPattern, dagSchema, scheduleSchema } from "@/server/dags/definition";
import { pageInput } from "@/server/pagination";
import { cancelBackfill, createBackfill, getBackfill, listBackfills } from "@/server/schedules/backfill";
import { previewSchedule } from "@/server/schedules/preview";
import { uuid } from "@/server/validation";
import { backfillPage, backfillProgress, schedulePreview } from "../schemas/schedules";
import { router, workspaceProcedure } from "../trpc";

const dagId = z.string().regex(dagIdPattern, "Not a DAG id (a-z, 0-9, _ and -, starting with a letter)");
/** A date (midnight in the schedule's time zone) or a date-time with offset, as startDate. */
const date = dagSchema.shape.startDate.unwrap();

export const schedulesRouter = router({
  preview: workspaceProcedure("workspace:read")
    .input(
      z
        .object({
          /** A stored DAG's schedule and dates… */
          dagId: dagId.optional(),
          /** …or a schedule being written, with its dates. */
          schedule: scheduleSchema.optional(),
          startDate: dagSchema.shape.startDate,
          endDate: dagSchema.shape.endDate,
          count: z.coerce.number().int().min(1).max(500).default(10),
        })
        .refine((input) => (input.dagId === undefined) !== (input.schedule === undefined), {
          message: "Give either dagId or schedule",
          path: ["dagId"],
        }),
    )
    .output(schedulePreview)
    .query(({ ctx, input }) => previewSchedule(ctx.scope, input)),
});

export const backfillsRouter = router({
  create: workspaceProcedure("runs:operate")
    .input(
      z.object({
        dagId,
        from: date,
        to: date,
        params: z.record(z.string(), z.unknown()).optional(),
        note: z.string().max(2000).optional(),
      }),
    )
    .output(backfillProgress)
    .mutation(({ ctx, input }) => createBackfill(ctx.scope, input)),
  list: workspaceProcedure("workspace:read")
    .input(z.object({ dagId: dagId.optional(), ...pageInput }))
    .output(backfillPage)
    .query(({ ctx, input }) => listBackfills(ctx.scope, input)),
  get: workspaceProcedure("workspace:read")
    .input(z.object({ backfillId: uuid }))
    .output(backfillProgress)
    .query(({ ctx, input }) => getBackfill(ctx.scope, input.backfillId)),
  cancel: workspaceProcedure("runs:operate")
    .input(z.object({ backfillId: uuid }))
    .output(backfillProgress)
    .mutation(({ ctx, input }) => cancelBackfill(ctx.scope, input.backfillId)),
});
