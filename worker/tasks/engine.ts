// graphile-worker handlers of the engine's jobs. Payloads carry ids only.
import type { Task } from "graphile-worker";
import { z } from "zod";
import { requeue } from "@/server/engine/complete";
import { runTask } from "@/server/engine/execute";
import { jobNames } from "@/server/engine/jobs";
import { timeoutRun } from "@/server/engine/operations";
import { reapLostAttempts } from "@/server/engine/reaper";
import { sql } from "@/server/engine/sql";

const taskPayload = z.object({ ti: z.uuid(), w: z.uuid() });
const requeuePayload = taskPayload.extend({ n: z.int() });
const runPayload = z.object({ run: z.uuid(), w: z.uuid() });

/** How often lost attempts are looked for (the reap job re-adds itself). */
const REAP_EVERY_MS = 10_000;

export const engineTasks: Record<string, Task> = {
  [jobNames.runTask]: async (payload, helpers) => {
    const { ti, w } = taskPayload.parse(payload);
    await runTask(ti, w, helpers.job.locked_by ?? "unknown");
  },
  [jobNames.requeueTask]: async (payload) => {
    const { ti, w, n } = requeuePayload.parse(payload);
    await requeue(ti, w, n);
  },
  [jobNames.timeoutRun]: async (payload) => {
    const { run, w } = runPayload.parse(payload);
    await timeoutRun(run, w);
  },
  [jobNames.reap]: async (_payload, helpers) => {
    const reaped = await reapLostAttempts();
    if (reaped > 0) helpers.logger.warn(`failed ${reaped} attempt(s) whose worker stopped`);
    // One pending reap job at a time, whichever worker adds it (job_key).
    await sql.query(
      `SELECT graphile_worker.add_job($1, '{}'::json, run_at := now() + make_interval(secs => $2), job_key := 'engine:reap')`,
      [jobNames.reap, REAP_EVERY_MS / 1000],
    );
  },
};
