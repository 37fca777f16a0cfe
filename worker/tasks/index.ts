// The worker's job catalog: graphile-worker task name → handler. Payloads carry ids only; a
// handler that touches tenant rows opens them through systemScope(workspaceId).
import type { TaskList } from "graphile-worker";
import { purgeExpired } from "./maintenance";

export const taskList: TaskList = {
  "maintenance:purge-expired": purgeExpired,
};

/** Recurring jobs (graphile-worker crontab syntax). */
export const crontab = ["0 * * * * maintenance:purge-expired"].join("\n");
