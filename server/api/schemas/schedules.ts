// Answers of the schedule preview and backfill procedures.
import { z } from "zod";
import { BackfillState } from "@/prisma/generated/enums";
import { pageOf } from "@/server/pagination";
import { storedJson, timestamp } from "./common";
import { scheduleOutput } from "./dags";

export const schedulePreview = z
  .object({
    schedule: scheduleOutput.nullable(),
    timezone: z.string(),
    catchup: z.boolean(),
    runs: z.array(
      z.object({
        runAt: timestamp.describe("When the run is created: the end of its data interval"),
        logicalDate: timestamp,
        dataIntervalStart: timestamp,
        dataIntervalEnd: timestamp,
      }),
    ),
    dagId: z.string().optional().describe("For a stored DAG"),
    paused: z.boolean().optional(),
    nextRunAt: timestamp.nullable().optional(),
  })
  .meta({ id: "SchedulePreview", description: "The next runs of a schedule" });

const backfillFields = {
  id: z.string(),
  dagId: z.string(),
  from: timestamp,
  to: timestamp,
  state: z.enum(BackfillState),
  total: z.number().int().describe("Logical dates in the range"),
  created: z.number().int().describe("Runs created so far"),
  existing: z.number().int().describe("Dates that already had a run"),
  params: storedJson,
  note: z.string(),
  createdByLabel: z.string(),
  error: z.string().nullable(),
  createdAt: timestamp,
  endedAt: timestamp.nullable(),
};
export const backfillSchema = z.object(backfillFields).meta({ id: "Backfill" });
export const backfillPage = pageOf(backfillSchema);

export const backfillProgress = z
  .object({
    ...backfillFields,
    runs: z.object({
      queued: z.number().int(),
      running: z.number().int(),
      success: z.number().int(),
      failed: z.number().int(),
      cancelled: z.number().int(),
    }),
    finished: z.number().int().describe("Runs of the range that have ended"),
  })
  .meta({ id: "BackfillProgress", description: "A backfill with its runs by state" });
