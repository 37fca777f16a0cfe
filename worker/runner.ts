// Starts graphile-worker on the shared pool with Baton's job catalog, and the heartbeats that
// tell the reaper this process's attempts are alive.
import { type Runner, run } from "graphile-worker";
import { env } from "@/server/config";
import { pgPool } from "@/server/db/client";
import { reapLostAttempts, repairRuns } from "@/server/engine/reaper";
import { SHARED_POOL } from "@/server/engine/worker-pools";
import { abortAll, countingSlot, setWorkerSlots, startHeartbeats } from "@/server/engine/worker-registry";
import { graphileLogger, log } from "@/server/observability/logger";
import { metrics } from "@/server/observability/metrics";
import { flushUsage } from "@/server/usage/meter";
import { crontab, taskListFor } from "./tasks";

export async function startWorker(options: { concurrency?: number } = {}): Promise<Runner> {
  const concurrency = options.concurrency ?? env.BATON_WORKER_CONCURRENCY;
  setWorkerSlots(concurrency);
  const taskList = taskListFor([SHARED_POOL]);
  const runner = await run({
    pgPool: pgPool(),
    // Counted, so that a finishing task knows whether another slot is idle (worker-registry.ts).
    taskList: Object.fromEntries(Object.entries(taskList).map(([name, task]) => [name, countingSlot(task!)])),
    crontab,
    concurrency,
    // We stop the runner ourselves on SIGINT/SIGTERM (worker/main.ts, scripts/start.ts).
    noHandleSignals: true,
    logger: graphileLogger(),
    // New jobs arrive by LISTEN/NOTIFY; polling only finds delayed ones (retries, deferrals) when due.
    pollInterval: 1_000,
    preset: {
      worker: {
        // Jobs are completed together (the same tick's completions in one statement). A job
        // completed but not yet recorded when the process dies runs again; ours then find their
        // instance already claimed and do nothing. No local queue: jobs it fetched ahead would be
        // locked yet not running, and a slot taking its workspace's next job in the finishing
        // call (server/engine/complete.ts) would pass them over.
        completeJobBatchDelay: 0,
      },
    },
  });
  const stopHeartbeats = startHeartbeats();
  const stopReaping = startReaping();
  const stop = runner.stop.bind(runner);
  runner.stop = async () => {
    stopHeartbeats();
    stopReaping();
    // Running attempts end as failures now (and retry elsewhere) rather than being reaped later.
    abortAll("The worker is shutting down");
    await stop();
    // Usage counted since the last flush would otherwise be lost with the process.
    await flushUsage().catch((error: Error) => log.warn({ err: error }, "could not write usage"));
  };
  return runner;
}

/**
 * Every worker looks for attempts whose worker died, on a timer rather than as a queued job: a
 * job could itself be held by the dead worker. Reaping is idempotent (completions are guarded),
 * so several workers doing it at once is harmless.
 */
function startReaping(): () => void {
  const every = env.BATON_REAP_EVERY_MS;
  let busy = false;
  const timer = setInterval(
    async () => {
      if (busy) return;
      busy = true;
      try {
        const reaped = await reapLostAttempts();
        if (reaped > 0) {
          metrics.reaperRepairs.inc({ kind: "attempt" }, reaped);
          log.warn({ attempts: reaped }, "failed attempts whose worker stopped; they retry");
        }
        const repaired = await repairRuns();
        if (repaired > 0) metrics.reaperRepairs.inc({ kind: "run" }, repaired);
      } catch (error) {
        log.warn({ err: error }, "reaping lost attempts failed");
      } finally {
        busy = false;
      }
    },
    every * (0.8 + Math.random() * 0.4),
  );
  timer.unref();
  return () => clearInterval(timer);
}
