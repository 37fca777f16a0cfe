// Pools: named slot limits shared by the workspace's DAGs. Everyone reads them; changing them is
// workspace administration (workspace:update), since a pool throttles every DAG that names it.
import { z } from "zod";
import { listAgents, revokeAgent, revokeJoinToken, rotateJoinToken } from "@/server/agents/service";
import { pageInput } from "@/server/pagination";
import {
  createPool,
  deletePool,
  listPools,
  poolDescription,
  poolName,
  poolSlots,
  updatePool,
} from "@/server/pools/service";
import { nothing } from "../schemas/common";
import {
  agentListSchema,
  createdPoolSchema,
  joinTokenSchema,
  poolPage,
  poolSchema,
} from "../schemas/operations";
import { router, workspaceProcedure } from "../trpc";

export const poolsRouter = router({
  list: workspaceProcedure("workspace:read")
    .input(z.object(pageInput))
    .output(poolPage)
    .query(({ ctx, input }) => listPools(ctx.scope, input)),
  create: workspaceProcedure("workspace:update")
    .input(
      z.object({
        name: poolName,
        slots: poolSlots,
        description: poolDescription.optional(),
        agents: z
          .boolean()
          .optional()
          .describe(
            "An agent pool: its tasks run on the workspace's own agents; answers its join token once",
          ),
      }),
    )
    .output(createdPoolSchema)
    .mutation(({ ctx, input }) => createPool(ctx.scope, input)),
  update: workspaceProcedure("workspace:update")
    .input(z.object({ name: poolName, slots: poolSlots.optional(), description: poolDescription.optional() }))
    .output(poolSchema)
    .mutation(({ ctx, input }) => updatePool(ctx.scope, input)),
  delete: workspaceProcedure("workspace:update")
    .input(z.object({ name: poolName }))
    .output(nothing)
    .mutation(({ ctx, input }) => deletePool(ctx.scope, input.name)),
  agents: workspaceProcedure("workspace:read")
    .input(z.object({ name: poolName }))
    .output(agentListSchema)
    .query(({ ctx, input }) => listAgents(ctx.scope, input.name)),
  rotateJoinToken: workspaceProcedure("workspace:update")
    .input(z.object({ name: poolName }))
    .output(joinTokenSchema)
    .mutation(({ ctx, input }) => rotateJoinToken(ctx.scope, input.name)),
  revokeJoinToken: workspaceProcedure("workspace:update")
    .input(z.object({ name: poolName }))
    .output(nothing)
    .mutation(({ ctx, input }) => revokeJoinToken(ctx.scope, input.name)),
  revokeAgent: workspaceProcedure("workspace:update")
    .input(z.object({ name: poolName, agentId: z.uuid("Must be an agent id") }))
    .output(nothing)
    .mutation(({ ctx, input }) => revokeAgent(ctx.scope, input.name, input.agentId)),
});
