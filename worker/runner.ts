// Starts graphile-worker on the shared pool with Baton's job catalog.
import { type Runner, run } from "graphile-worker";
import { pgPool } from "@/server/db/client";
import { crontab, taskList } from "./tasks";

export function startWorker(options: { concurrency?: number } = {}): Promise<Runner> {
  return run({
    pgPool: pgPool(),
    taskList,
    crontab,
    concurrency: options.concurrency ?? Number(process.env.BATON_WORKER_CONCURRENCY ?? 10),
    // We stop the runner ourselves on SIGINT/SIGTERM (worker/main.ts, scripts/start.ts).
    noHandleSignals: true,
    pollInterval: 2_000,
  });
}
