// Approval tasks waiting for a decision, and deciding them (members with runs:operate and the
// task's minimum role). Signed links decide without a session: app/api/approvals/[token].
import { z } from "zod";
import { decide, pendingApprovals } from "@/server/approvals/service";
import { maxTaskIdLength } from "@/server/dags/definition";
import { pageInput } from "@/server/pagination";
import { uuid } from "@/server/validation";
import { approvalDecided, pendingApprovalPage } from "../schemas/operations";
import { router, workspaceProcedure } from "../trpc";

const taskId = z.string().min(1).max(maxTaskIdLength);

export const approvalsRouter = router({
  pending: workspaceProcedure("workspace:read")
    .input(z.object({ runId: uuid.optional(), ...pageInput }))
    .output(pendingApprovalPage)
    .query(({ ctx, input }) => pendingApprovals(ctx.scope, input)),
  decide: workspaceProcedure("runs:operate")
    .input(
      z.object({
        runId: uuid,
        taskId,
        mapIndex: z.number().int().min(-1).default(-1),
        decision: z.enum(["approve", "reject"]),
        comment: z.string().max(2000).optional(),
      }),
    )
    .output(approvalDecided)
    .mutation(({ ctx, input }) => decide(ctx.scope, input)),
});
