// The API the web app speaks. The REST API (server/rest) maps HTTP routes onto these same
// procedures, so both go through the same door.
import { accountRouter } from "./routers/account";
import { alertsRouter, lineageRouter, slasRouter } from "./routers/alerts";
import { approvalsRouter } from "./routers/approvals";
import { connectionsRouter, secretsRouter, variablesRouter } from "./routers/config";
import { dagTriggersRouter } from "./routers/dag-triggers";
import { dagsRouter } from "./routers/dags";
import { foldersRouter } from "./routers/folders";
import { groupsRouter } from "./routers/groups";
import { notificationsRouter } from "./routers/notifications";
import { operatorsRouter } from "./routers/operators";
import { platformRouter } from "./routers/platform";
import { poolsRouter } from "./routers/pools";
import { runsRouter } from "./routers/runs";
import { backfillsRouter, schedulesRouter } from "./routers/schedules";
import { ssoRouter } from "./routers/sso";
import { twoFactorRouter } from "./routers/two-factor";
import { usageRouter } from "./routers/usage";
import { webhooksRouter } from "./routers/webhooks";
import { auditRouter, membersRouter, tokensRouter, workspaceRouter } from "./routers/workspace";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  account: accountRouter,
  twoFactor: twoFactorRouter,
  workspace: workspaceRouter,
  members: membersRouter,
  groups: groupsRouter,
  folders: foldersRouter,
  sso: ssoRouter,
  tokens: tokensRouter,
  audit: auditRouter,
  dags: dagsRouter,
  variables: variablesRouter,
  secrets: secretsRouter,
  connections: connectionsRouter,
  runs: runsRouter,
  approvals: approvalsRouter,
  operators: operatorsRouter,
  schedules: schedulesRouter,
  backfills: backfillsRouter,
  webhooks: webhooksRouter,
  dagTriggers: dagTriggersRouter,
  pools: poolsRouter,
  usage: usageRouter,
  notifications: notificationsRouter,
  slas: slasRouter,
  alerts: alertsRouter,
  lineage: lineageRouter,
  platform: platformRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
