// Handlers of the triggers' jobs: the scheduler's tick and run creation, backfill steps, runs on
// another DAG's outcome, and webhook log housekeeping.
import { crossTenantSql } from "@/server/db/cross-tenant";
import { enqueue, type JobHandler } from "@/server/jobs/catalog";
import { backfillStep } from "@/server/schedules/backfill";
import { createScheduledRuns, nextTickAt, runScheduler } from "@/server/schedules/scheduler";
import { fireDagTriggers } from "@/server/triggers/dag-triggers";
import { freeExpiredIdempotencyKeys } from "@/server/webhooks/purge";

/** Longest wait between two scheduler ticks (sooner when a DAG is due sooner). */
const TICK_EVERY_MS = 5_000;

export const triggerHandlers: {
  "schedule:tick": JobHandler<"schedule:tick">;
  "schedule:create-runs": JobHandler<"schedule:create-runs">;
  "backfill:step": JobHandler<"backfill:step">;
  "triggers:dag-outcome": JobHandler<"triggers:dag-outcome">;
  "webhooks:purge": JobHandler<"webhooks:purge">;
} = {
  "schedule:tick": async (_payload, helpers) => {
    try {
      const ticks = await runScheduler();
      if (ticks > 0) helpers.logger.info(`scheduler: ${ticks} tick(s) claimed`);
    } finally {
      // One pending tick at a time, whichever worker adds it (job key); the crontab line restarts
      // the loop within a minute should it ever break.
      await enqueue(
        crossTenantSql,
        "schedule:tick",
        {},
        { jobKey: "schedule:tick", runAt: await nextTickAt(TICK_EVERY_MS) },
      );
    }
  },
  "schedule:create-runs": async ({ workspaceId, dagId, ticks }, helpers) => {
    const result = await createScheduledRuns({ workspaceId, dagId, ticks });
    for (const skipped of result.skipped) {
      helpers.logger.warn(`scheduler: no run for ${skipped.logicalDate}: ${skipped.reason}`);
    }
  },
  "backfill:step": async ({ workspaceId, backfillId }) => {
    await backfillStep(backfillId, workspaceId);
  },
  "triggers:dag-outcome": async ({ runId, workspaceId, state }, helpers) => {
    for (const fired of await fireDagTriggers({ runId, workspaceId, state })) {
      if (fired.error) helpers.logger.warn(`trigger ${fired.triggerId}: ${fired.error}`);
    }
  },
  "webhooks:purge": async (_payload, helpers) => {
    const freed = await freeExpiredIdempotencyKeys();
    helpers.logger.info(`freed ${freed} expired webhook idempotency keys`);
  },
};

/** Crontab lines of the triggers (graphile-worker syntax). */
export const triggerCrontab = ["* * * * * schedule:tick ?jobKey=schedule:tick", "17 * * * * webhooks:purge"];
