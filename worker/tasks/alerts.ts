// Handlers of the SLA and alert jobs (server/slas, server/alerts).
import { deliverAlert } from "@/server/alerts/deliver";
import { checkWorkspaceAlerts, onRunEnded } from "@/server/alerts/evaluate";
import { sweepAlertRules } from "@/server/alerts/sweep";
import type { JobHandler } from "@/server/jobs/catalog";
import { checkSla } from "@/server/slas/check";
import { systemScope } from "@/server/tenancy/door";

export const alertHandlers: {
  "sla:check": JobHandler<"sla:check">;
  "alerts:run-ended": JobHandler<"alerts:run-ended">;
  "alerts:deliver": JobHandler<"alerts:deliver">;
  "alerts:sweep": JobHandler<"alerts:sweep">;
  "alerts:check": JobHandler<"alerts:check">;
} = {
  "sla:check": (payload) => checkSla(payload),
  "alerts:run-ended": async ({ runId, workspaceId, state }) => {
    await onRunEnded(await systemScope(workspaceId), { runId, state });
  },
  "alerts:deliver": (payload) => deliverAlert(payload),
  "alerts:sweep": async () => {
    await sweepAlertRules();
  },
  "alerts:check": async ({ workspaceId }) => {
    await checkWorkspaceAlerts(await systemScope(workspaceId));
  },
};

/** The sweep every minute (graphile-worker crontab syntax). */
export const alertsCrontab = ["* * * * * alerts:sweep ?jobKey=alerts:sweep"];
