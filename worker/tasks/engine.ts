// graphile-worker handlers of the engine's jobs. Payloads carry ids only.
import type { Task } from "graphile-worker";
import { z } from "zod";
import { requeue } from "@/server/engine/complete";
import { runTask } from "@/server/engine/execute";
import { jobNames } from "@/server/engine/jobs";
import { kickWorkspace, timeoutRun } from "@/server/engine/operations";

const taskPayload = z.object({ ti: z.uuid(), w: z.uuid() });
const requeuePayload = taskPayload.extend({ n: z.int() });
const runPayload = z.object({ run: z.uuid(), w: z.uuid() });

export const engineTasks: Record<string, Task> = {
  [jobNames.runTask]: async (payload, helpers) => {
    const { ti, w } = taskPayload.parse(payload);
    await runTask(ti, w, helpers.job.locked_by ?? "unknown");
  },
  [jobNames.requeueTask]: async (payload) => {
    const { ti, w, n } = requeuePayload.parse(payload);
    await requeue(ti, w, n);
  },
  [jobNames.startRuns]: async (payload) => {
    // Jobs queued before run starts became workspace-wide also name a DAG; the workspace is enough.
    const { w } = z.object({ w: z.uuid() }).parse(payload);
    await kickWorkspace(w);
  },
  [jobNames.timeoutRun]: async (payload) => {
    const { run, w } = runPayload.parse(payload);
    await timeoutRun(run, w);
  },
};
