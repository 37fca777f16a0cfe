// Production entry point of a worker process: `npm run worker` with DATABASE_URL set.
//
// It outlives the database: at start it waits for PostgreSQL to answer (rather than exiting with
// a stack trace when the worker comes up first), and when graphile-worker gives up (it retries
// its own statements for minutes first) the runner is started again. SIGTERM or SIGINT stops it
// gracefully: no new work, running attempts finish within BATON_SHUTDOWN_GRACE_SECONDS.
import type { Runner } from "graphile-worker";
import { checkConfig, env } from "@/server/config";
import { isDatabaseUnavailable } from "@/server/db/availability";
import { closeDb, pgPool } from "@/server/db/client";
import { log } from "@/server/observability/logger";
import { stopTracing } from "@/server/observability/tracing";
import { autovacuumProblems } from "./autovacuum-check";
import { startHealthServer } from "./health";
import { startWorker } from "./runner";

checkConfig("worker", { production: true });
let stopping = false;
let runner: Runner | undefined;
const health = await startHealthServer(() => stopping || !runner);
if (health) log.info({ healthPort: health.port }, "health port open");
// The Python sandbox takes seconds to prepare its first interpreter: when asked, before a task does.
if (env.BATON_PYTHON_PREWARM && env.BATON_PYTHON_POOL_SIZE > 0) {
  void import("@/server/sandbox/python/run-python").then(({ prewarmPython }) => prewarmPython());
}

async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "stopping: no new work; running attempts may finish");
  await runner?.stop().catch((error: Error) => log.warn({ err: error }, "the runner stopped with an error"));
  await health?.close();
  await stopTracing();
  await closeDb();
  log.info("stopped");
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the database answers; says so while it does not. */
async function databaseAnswers(): Promise<void> {
  for (let wait = 500, said = 0; !stopping; wait = Math.min(wait * 2, 5_000)) {
    try {
      await pgPool().query("SELECT 1");
      return;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      if (Date.now() - said > 15_000) {
        log.warn({ err: error }, "waiting for the database");
        said = Date.now();
      }
      await sleep(wait);
    }
  }
}

/** Says in the log when the database would let the engine's dead rows pile up (autovacuum-check.ts). */
async function warnOfLazyAutovacuum(): Promise<void> {
  const problems = await autovacuumProblems(pgPool()).catch((error: Error) => {
    log.warn({ err: error }, "could not read the database's autovacuum settings");
    return [];
  });
  for (const problem of problems)
    log.warn(
      { problem },
      "the engine's tables may not be vacuumed in time (docs/operations.md, PostgreSQL settings)",
    );
}

for (let restarts = 0; !stopping; restarts++) {
  await databaseAnswers();
  if (stopping) break;
  if (restarts === 0) await warnOfLazyAutovacuum();
  try {
    runner = await startWorker();
    log.info(restarts ? { restarts } : {}, "baton worker running");
    await runner.promise;
  } catch (error) {
    if (stopping) break;
    log.error({ err: error }, "the worker's runner stopped; starting it again");
    // Its heartbeats and reaper timers go with it.
    await runner?.stop().catch(() => {});
  }
  runner = undefined;
  if (!stopping) await sleep(Math.min(1_000 * 2 ** Math.min(restarts, 5), 30_000));
}
