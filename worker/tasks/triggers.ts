// graphile-worker handlers of the triggers: the scheduler's tick and run creation, backfill steps,
// runs on another DAG's outcome, and webhook log housekeeping. Payloads carry ids only.
import type { Task } from "graphile-worker";
import { z } from "zod";
import { sql } from "@/server/engine/sql";
import { backfillStep } from "@/server/schedules/backfill";
import { createScheduledRuns, nextTickAt, runScheduler } from "@/server/schedules/scheduler";
import { fireDagTriggers } from "@/server/triggers/dag-triggers";
import { addTriggerJob, triggerJobNames } from "@/server/triggers/jobs";
import { freeExpiredIdempotencyKeys } from "@/server/webhooks/purge";

/** Longest wait between two scheduler ticks (sooner when a DAG is due sooner). */
const TICK_EVERY_MS = 5_000;

const createRunsPayload = z.object({
  w: z.uuid(),
  dag: z.uuid(),
  ticks: z.array(z.tuple([z.iso.datetime(), z.iso.datetime()])),
});
const backfillPayload = z.object({ w: z.uuid(), id: z.uuid() });
const outcomePayload = z.object({ run: z.uuid(), w: z.uuid(), state: z.enum(["success", "failed"]) });

export const triggerTasks: Record<string, Task> = {
  [triggerJobNames.tick]: async (_payload, helpers) => {
    try {
      const ticks = await runScheduler();
      if (ticks > 0) helpers.logger.info(`scheduler: ${ticks} tick(s) claimed`);
    } finally {
      // One pending tick at a time, whichever worker adds it (job key); the crontab line restarts
      // the loop within a minute should it ever break.
      await addTriggerJob(
        sql,
        triggerJobNames.tick,
        {},
        { jobKey: triggerJobNames.tick, runAt: await nextTickAt(TICK_EVERY_MS) },
      );
    }
  },
  [triggerJobNames.createRuns]: async (payload, helpers) => {
    const { w, dag, ticks } = createRunsPayload.parse(payload);
    const result = await createScheduledRuns({ workspaceId: w, dagId: dag, ticks });
    for (const skipped of result.skipped) {
      helpers.logger.warn(`scheduler: no run for ${skipped.logicalDate}: ${skipped.reason}`);
    }
  },
  [triggerJobNames.backfillStep]: async (payload) => {
    const { w, id } = backfillPayload.parse(payload);
    await backfillStep(id, w);
  },
  [triggerJobNames.dagOutcome]: async (payload, helpers) => {
    const { run, w, state } = outcomePayload.parse(payload);
    for (const fired of await fireDagTriggers({ runId: run, workspaceId: w, state })) {
      if (fired.error) helpers.logger.warn(`trigger ${fired.triggerId}: ${fired.error}`);
    }
  },
  [triggerJobNames.purgeWebhooks]: async (_payload, helpers) => {
    const freed = await freeExpiredIdempotencyKeys();
    helpers.logger.info(`freed ${freed} expired webhook idempotency keys`);
  },
};

/** Crontab lines of the triggers (graphile-worker syntax). */
export const triggerCrontab = [
  `* * * * * ${triggerJobNames.tick} ?jobKey=${triggerJobNames.tick}`,
  `17 * * * * ${triggerJobNames.purgeWebhooks}`,
];
