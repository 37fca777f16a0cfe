// The API the web app speaks. The REST API (server/rest) maps HTTP routes onto these same
// procedures, so both go through the same door.
import { accountRouter } from "./routers/account";
import { connectionsRouter, secretsRouter, variablesRouter } from "./routers/config";
import { dagsRouter } from "./routers/dags";
import { runsRouter } from "./routers/runs";
import { auditRouter, membersRouter, tokensRouter, workspaceRouter } from "./routers/workspace";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  account: accountRouter,
  workspace: workspaceRouter,
  members: membersRouter,
  tokens: tokensRouter,
  audit: auditRouter,
  dags: dagsRouter,
  variables: variablesRouter,
  secrets: secretsRouter,
  connections: connectionsRouter,
  runs: runsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
