// The usage page's data: current use against every quota, and the daily history.
import { usageHistory, usageSummary } from "@/server/usage/report";
import {
  usageHistory as usageHistorySchema,
  usageSummary as usageSummarySchema,
} from "../schemas/operations";
import { router, workspaceProcedure } from "../trpc";

export const usageRouter = router({
  summary: workspaceProcedure("workspace:read")
    .output(usageSummarySchema)
    .query(({ ctx }) => usageSummary(ctx.scope)),
  history: workspaceProcedure("workspace:read")
    .output(usageHistorySchema)
    .query(({ ctx }) => usageHistory(ctx.scope)),
});
