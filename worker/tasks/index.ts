// The worker's job catalog: graphile-worker task name → handler. Payloads carry ids only; a
// handler that touches tenant rows names the workspace the payload carries.
import type { TaskList } from "graphile-worker";
import { jobNames } from "@/server/engine/jobs";
import { runCallbacks } from "./callbacks";
import { engineTasks } from "./engine";
import { purgeExpired } from "./maintenance";
import { retentionCrontab, retentionTasks } from "./retention";
import { triggerCrontab, triggerTasks } from "./triggers";

export const taskList: TaskList = {
  ...engineTasks,
  [jobNames.runCallbacks]: runCallbacks,
  "maintenance:purge-expired": purgeExpired,
  ...triggerTasks,
  // The cleanup of graphile-worker's tables keeps every identifier of this list.
  ...retentionTasks(() => Object.keys(taskList)),
};

/** Recurring jobs (graphile-worker crontab syntax). */
export const crontab = ["0 * * * * maintenance:purge-expired", ...triggerCrontab, ...retentionCrontab].join(
  "\n",
);
