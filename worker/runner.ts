// Starts graphile-worker on the worker pools this process serves (BATON_WORKER_POOLS) with the
// handlers of Baton's job catalog, registers the worker (its pools and slots count into their
// capacity) and keeps its heartbeat.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { type Runner, run, type WorkerEvents } from "graphile-worker";
import { env } from "@/server/config";
import { isDatabaseUnavailable, noteDatabaseTrouble, sinceDatabaseTrouble } from "@/server/db/availability";
import { databaseUrl, pgPool } from "@/server/db/client";
import { connectionFields } from "@/server/db/url";
import { startWaitingSweep, wakeWaiting } from "@/server/engine/fair-share";
import { reapLostAttempts, repairRuns } from "@/server/engine/reaper";
import { startDeliveryPump } from "@/server/engine/webhook-runs";
import {
  abortAll,
  attemptsRunning,
  lostAfterSeconds,
  registerWorker,
  retireWorker,
  setLockIds,
  startCancellationChecks,
  startHeartbeat,
  unregisterWorker,
} from "@/server/engine/worker-registry";
import { graphileLogger, log } from "@/server/observability/logger";
import { metrics } from "@/server/observability/metrics";
import { startTracing } from "@/server/observability/tracing";
import { flushUsage } from "@/server/usage/meter";
import { crontab, taskListFor } from "./tasks";

export async function startWorker(options: { concurrency?: number; pools?: string[] } = {}): Promise<Runner> {
  const concurrency = options.concurrency ?? env.BATON_WORKER_CONCURRENCY;
  const pools = options.pools ?? env.BATON_WORKER_POOLS;
  const { taskList, runsEverything } = taskListFor(pools);
  await startTracing("worker");
  await registerWorker({ id: randomUUID(), pools, slots: concurrency });
  // The id graphile-worker locks this runner's jobs with (its own "worker pool" id), which the
  // attempts record as their workerId: the reaper tells live workers' attempts by it.
  const events: WorkerEvents = new EventEmitter();
  const lockIds: string[] = [];
  events.on("pool:create", ({ workerPool }) => lockIds.push(workerPool.id));
  const runner = await run({
    pgPool: pgPool(),
    taskList,
    // Recurring jobs are everyone's work: only the shared pool's workers run them.
    ...(runsEverything ? { crontab } : {}),
    events,
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
        // Failures batched too: a batch retries (with backoff, for minutes) when the database is
        // away, where a lone failJob() would reject unhandled and take the process down.
        failJobBatchDelay: 0,
        // We end attempts ourselves after BATON_SHUTDOWN_GRACE_SECONDS (below); graphile-worker
        // must not give up on its jobs before that.
        gracefulShutdownAbortTimeout: (env.BATON_SHUTDOWN_GRACE_SECONDS + 10) * 1000,
      },
    },
  });
  await setLockIds(lockIds);
  const stopHeartbeat = startHeartbeat(connectionFields(databaseUrl()));
  const stopCancellationChecks = startCancellationChecks();
  const stopReaping = startReaping();
  const stopSweeping = startWaitingSweep();
  // Tasks that waited for these pools (no live worker, or no room) may start now.
  wakeWaiting(pools);
  // Accepted webhook deliveries become runs here, in batches, as soon as they commit.
  const stopDeliveries = startDeliveryPump();
  const stop = runner.stop.bind(runner);
  runner.stop = async () => {
    // Graceful: no new work; running attempts may finish (still heartbeating) for the grace
    // period; what still runs then ends as a failure and is retried elsewhere, rather than being
    // reaped later.
    await retireWorker().catch((error: Error) => log.warn({ err: error }, "could not retire the worker"));
    stopReaping();
    stopSweeping();
    await stopDeliveries();
    const grace = env.BATON_SHUTDOWN_GRACE_SECONDS;
    if (attemptsRunning() > 0)
      log.info({ attempts: attemptsRunning(), graceSeconds: grace }, "letting running attempts finish");
    const handBack = setTimeout(() => {
      if (attemptsRunning() > 0)
        log.warn(
          { attempts: attemptsRunning() },
          "grace period over: handing attempts back to retry elsewhere",
        );
      abortAll("The worker was stopped before the attempt finished; it is retried");
    }, grace * 1000);
    try {
      await stop();
    } finally {
      clearTimeout(handBack);
      stopHeartbeat();
      stopCancellationChecks();
    }
    await unregisterWorker().catch((error: Error) =>
      log.warn({ err: error }, "could not unregister the worker"),
    );
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
      // After this process lost the database, every worker's heartbeats were late too: wait until
      // they have had time to beat again, so that no live attempt is taken for lost.
      if (sinceDatabaseTrouble() < lostAfterSeconds() * 1000) return;
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
        if (isDatabaseUnavailable(error)) noteDatabaseTrouble();
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
