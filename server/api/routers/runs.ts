import { z } from "zod";
import { maxTaskIdLength, maxTasks } from "@/server/dags/definition";
import { cancelRun, clearTasks, markTask, previewClear, retryFailed } from "@/server/engine/operations";
import { getRun, listRuns, listTaskInstances, readLogs } from "@/server/engine/queries";
import { runCalendar } from "@/server/engine/run-calendar";
import { runTriggers } from "@/server/engine/run-triggers";
import { triggerRun } from "@/server/engine/runs";
import { pageInput } from "@/server/pagination";
import { logRetentionDays } from "@/server/retention/purge";
import { uuid } from "@/server/validation";
import { nothing } from "../schemas/common";
import {
  clearedTasks,
  clearPreview,
  runCalendarSchema,
  runDetail,
  runPage,
  runStateSchema,
  taskInstancePage,
  taskLog,
  taskStateSchema,
  triggeredRun,
} from "../schemas/runs";
import { router, workspaceProcedure } from "../trpc";

const dagKey = z.string().min(1, "dagId is required").max(63);
const taskId = z.string().min(1).max(maxTaskIdLength);
const clearOptions = z.object({
  runId: uuid,
  taskIds: z.array(taskId).min(1).max(10_000),
  /** With every task downstream of them. */
  downstream: z.boolean().default(false),
  /** With every task upstream of them. */
  upstream: z.boolean().default(false),
  /** Of those, only the tasks that failed or whose upstream failed. */
  onlyFailed: z.boolean().default(false),
});

export const runsRouter = router({
  trigger: workspaceProcedure("runs:operate", "dag")
    .input(
      z.object({
        dagId: dagKey,
        params: z.record(z.string(), z.unknown()).optional(),
        logicalDate: z.coerce.date({ error: "logicalDate must be an ISO date-time" }).optional(),
        note: z.string().max(2000).optional(),
        /** A repeat with the same key answers the first one's run (the REST API's Idempotency-Key). */
        idempotencyKey: z
          .string()
          .min(1, "An idempotency key is 1 to 255 characters")
          .max(255, "An idempotency key is 1 to 255 characters")
          .regex(/^[\x21-\x7e]+$/, "An idempotency key is printable ASCII without spaces")
          .optional(),
      }),
    )
    .output(triggeredRun)
    .mutation(({ ctx, input }) =>
      triggerRun(ctx.scope, {
        dagKey: input.dagId,
        params: input.params,
        logicalDate: input.logicalDate,
        note: input.note,
        idempotencyKey: input.idempotencyKey,
        triggeredBy: ctx.caller?.kind === "token" ? "api" : "manual",
      }),
    ),
  list: workspaceProcedure("workspace:read", "dag")
    .input(
      z.object({
        dagId: dagKey.optional(),
        state: runStateSchema.optional(),
        triggeredBy: z.enum(runTriggers).optional(),
        logicalDateFrom: z.coerce
          .date({ error: "logicalDateFrom must be an ISO date-time" })
          .optional()
          .describe("Runs whose logical date is at or after this"),
        logicalDateBefore: z.coerce
          .date({ error: "logicalDateBefore must be an ISO date-time" })
          .optional()
          .describe("Runs whose logical date is before this"),
        ...pageInput,
      }),
    )
    .output(runPage)
    .query(({ ctx, input }) => listRuns(ctx.scope, { ...input, dagKey: input.dagId })),
  calendar: workspaceProcedure("workspace:read")
    .input(
      z.object({
        month: z
          .string()
          .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "month must be yyyy-mm, e.g. 2026-12")
          .describe("The month (yyyy-mm, UTC) whose days to count"),
        dagId: dagKey.optional(),
        triggeredBy: z.enum(runTriggers).optional(),
      }),
    )
    .output(runCalendarSchema)
    .query(({ ctx, input }) => runCalendar(ctx.scope, { ...input, dagKey: input.dagId })),
  get: workspaceProcedure("workspace:read", "run")
    .input(
      z.object({
        runId: uuid,
        /** Tasks in one answer: a 20,000-task run is megabytes; the run page asks for them all. */
        taskLimit: z.coerce
          .number()
          .int("Must be a whole number")
          .min(1, "At least 1")
          .max(maxTasks, `At most ${maxTasks}`)
          .default(1000),
        taskCursor: z.string().min(1).max(1000).optional(),
      }),
    )
    .output(runDetail)
    .query(async ({ ctx, input }) => {
      const run = await getRun(ctx.scope, input.runId, input);
      // A run whose logs retention removed (logsPurgedAt): the page says under which retention.
      return { ...run, logRetentionDays: run.logsPurgedAt ? await logRetentionDays(ctx.scope) : null };
    }),
  /** The run's task instances with mapped elements, a page at a time (runs.get summarises them). */
  tasks: workspaceProcedure("workspace:read", "run")
    .input(
      z.object({
        runId: uuid,
        taskId: taskId.optional(),
        state: taskStateSchema.optional(),
        /** Only the elements of mapped tasks. */
        mapped: z.union([z.boolean(), z.stringbool()]).optional(),
        ...pageInput,
      }),
    )
    .output(taskInstancePage)
    .query(({ ctx, input }) => listTaskInstances(ctx.scope, input)),
  cancel: workspaceProcedure("runs:operate", "run")
    .input(z.object({ runId: uuid }))
    .output(nothing)
    .mutation(({ ctx, input }) => cancelRun(ctx.scope, input.runId)),
  clear: workspaceProcedure("runs:operate", "run")
    .input(
      clearOptions.extend({
        /** Move the run to the DAG's current version first (same graph only), so a fix takes effect. */
        latestVersion: z.boolean().default(false),
      }),
    )
    .output(clearedTasks)
    .mutation(({ ctx, input }) => clearTasks(ctx.scope, input)),
  /** The dry run of `clear`: the tasks it would reset, with their states now. Changes nothing. */
  clearPreview: workspaceProcedure("workspace:read", "run")
    .input(clearOptions)
    .output(clearPreview)
    .query(({ ctx, input }) => previewClear(ctx.scope, input)),
  mark: workspaceProcedure("runs:operate", "run")
    .input(z.object({ runId: uuid, taskId, state: z.enum(["success", "failed"]) }))
    .output(nothing)
    .mutation(({ ctx, input }) => markTask(ctx.scope, input)),
  retryFailed: workspaceProcedure("runs:operate", "run")
    .input(z.object({ runId: uuid }))
    .output(clearedTasks)
    .mutation(({ ctx, input }) => retryFailed(ctx.scope, input.runId)),
  logs: workspaceProcedure("workspace:read", "run")
    .input(
      z.object({
        runId: uuid,
        taskId,
        mapIndex: z.coerce.number().int().min(-1).default(-1),
        attempt: z.coerce.number().int().min(1).optional(),
        afterId: z.string().regex(/^\d+$/).optional(),
      }),
    )
    .output(taskLog)
    .query(({ ctx, input }) => readLogs(ctx.scope, input)),
});
