// The worker's job catalog: graphile-worker task name → handler. Payloads carry ids only; a
// handler that touches tenant rows names the workspace the payload carries.
import type { TaskList } from "graphile-worker";
import { engineTasks } from "./engine";
import { purgeExpired } from "./maintenance";

export const taskList: TaskList = {
  ...engineTasks,
  "maintenance:purge-expired": purgeExpired,
};

/** Recurring jobs (graphile-worker crontab syntax). The reaper also re-adds itself every 10 s. */
export const crontab = [
  "0 * * * * maintenance:purge-expired",
  "* * * * * engine:reap ?jobKey=engine:reap",
].join("\n");
