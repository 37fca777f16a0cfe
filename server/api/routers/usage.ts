// The usage page's data: current use against every quota, and the daily history.
import { usageHistory, usageSummary } from "@/server/usage/report";
import { router, workspaceProcedure } from "../trpc";

export const usageRouter = router({
  summary: workspaceProcedure("workspace:read").query(({ ctx }) => usageSummary(ctx.scope)),
  history: workspaceProcedure("workspace:read").query(({ ctx }) => usageHistory(ctx.scope)),
});
