// Production entry point of a worker process: `npm run worker` with DATABASE_URL set.
import { checkConfig, env } from "@/server/config";
import { closeDb } from "@/server/db/client";
import { log } from "@/server/observability/logger";
import { startHealthServer } from "./health";
import { startWorker } from "./runner";

checkConfig("worker", { production: true });
let stopping = false;
const runner = await startWorker();
const health = await startHealthServer(() => stopping);
log.info(health ? { healthPort: health.port } : {}, "baton worker running");
// The Python sandbox takes seconds to prepare its first interpreter: before a task asks, not when.
if (env.BATON_PYTHON_POOL_SIZE > 0) {
  void import("@/server/sandbox/python/run-python").then(({ prewarmPython }) => prewarmPython());
}

async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "stopping: finishing running jobs");
  await runner.stop();
  await health?.close();
  await closeDb();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
await runner.promise;
